"""A bounded soak: 200 writes while the platform often applies a write and then
answers with an error (500, 429, a dropped connection) or fails without
applying it. Every message must match the platform's state, and the mirror must
equal the platform at the end without a full sync."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from segments import remote
from segments.models import AuditEvent, Segment
from segments.services.audit import Actor
from segments.services.platform_writes import segment_delete, segment_extend

pytestmark = pytest.mark.django_db
Outcome = AuditEvent.Outcome
ACTIONS = 200
# (fault of the write endpoints, how many actions run under it)
PHASES = [
    ({"status": 500, "apply": True, "error_rate": 0.4}, 60),
    ({"status": 429, "apply": True, "error_rate": 0.4}, 40),
    ({"kind": "disconnect", "apply": True, "error_rate": 0.3}, 40),
    ({"status": 503, "error_rate": 0.4}, 40),
    ({"status": 500, "kind": "html", "apply": True, "error_rate": 0.4}, 20),
]


def on_platform(sandbox, segment_id):
    try:
        return remote.Segment.parse(sandbox.store.get_segment(segment_id))
    except Exception:
        return None


def test_messages_match_the_platform_and_the_mirror_equals_it(synced, operator):
    sandbox = synced
    rng = random.Random(8)
    actor = Actor(user=operator, ip="127.0.0.1")
    ids = list(
        Segment.objects.visible()
        .filter(end_date__gt=sandbox.anchor + timedelta(days=2))
        .values_list("segment_id", flat=True)
    )
    touched, tally, false_messages = set(), {}, []
    assert sum(count for _, count in PHASES) == ACTIONS
    for fault, count in PHASES:
        for endpoint in ("update_end_date", "delete_segment"):
            sandbox.faults.set(endpoint, **fault)
        for _ in range(count):
            segment_id = rng.choice(ids)
            before = on_platform(sandbox, segment_id)
            if before is None:
                continue
            touched.add(segment_id)
            seen = Segment.objects.get(segment_id=segment_id).updated
            if rng.random() < 0.15:
                ids.remove(segment_id)
                result = segment_delete(actor=actor, segment_id=segment_id, expected_updated=seen)
                applied = on_platform(sandbox, segment_id) is None
            else:
                new_end = before.end_date + timedelta(days=rng.randint(1, 60))
                result = segment_extend(
                    actor=actor, segment_id=segment_id, new_end_date=new_end, expected_updated=seen
                )
                after = on_platform(sandbox, segment_id)
                applied = abs(after.end_date - new_end) < timedelta(microseconds=1)
                if not applied:
                    assert after.end_date == before.end_date
            noted = "read back" in result.message and result.outcome == Outcome.DONE
            key = (str(result.outcome), applied, "error noted" if noted else "")
            tally[key] = tally.get(key, 0) + 1
            # The message tells the truth: done means applied, anything else means not.
            truthful = (result.outcome == Outcome.DONE) == applied and (
                applied or "Not applied" in result.message or "Nothing was sent" in result.message
            )
            if not truthful:
                false_messages.append((segment_id, applied, result.outcome, result.message))
    sandbox.faults.clear()
    print("soak tally (outcome, applied) -> count:", tally)
    assert sum(tally.values()) >= ACTIONS * 0.9
    # The faults really hit both ways: applied-then-error, and not applied.
    assert tally.get(("done", True, "error noted"), 0) > 20
    assert sum(v for (o, *_), v in tally.items() if o != "done") > 10

    wrong = []
    for segment in Segment.objects.filter(segment_id__in=touched):
        platform = on_platform(sandbox, segment.segment_id)
        if platform is None:
            if not segment.is_deleted:
                wrong.append(segment.segment_id)
        elif segment.is_deleted or abs(segment.end_date - platform.end_date) >= timedelta(
            microseconds=1
        ):
            wrong.append(segment.segment_id)
    print(f"soak: {len(wrong)} of {len(touched)} touched segments differ from the platform")
    assert wrong == [], f"{len(wrong)} of {len(touched)} touched segments differ from the platform"
    assert false_messages == [], f"{len(false_messages)} false messages: {false_messages[:3]}"
