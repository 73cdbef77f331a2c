"""Which alert conditions hold right now, read from the mirror (no writes).

- **ends soon**: a segment that is not expired or archived ends between now and
  ``days`` days from now (the largest ``days`` of the subscriptions; each
  subscription then hears only of the segments within its own ``days``);
- **turned failed or no-data**: the segment's latest count snapshot has more
  failed or more no-data items than the snapshot before it (snapshots are taken
  when a sync sees the counts change; the condition clears with the next change
  that is not a rise);
- **count anomaly**: the latest snapshot breaks the rule in ``anomalies``;
- **scheduled sync failing**: a sync source's latest attempt failed and its last
  success is more than ``ALERT_SYNC_FAILING_MINUTES`` (default 30) ago;
- **policy keeps failing**: an expiry policy's latest attempt on a visible segment
  was its ``FAILURES_FLAGGED``-th (3rd) failure in a row or later, as the policy
  page flags it; it clears when the policy's next attempt on it is not a failure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from segments.alerts.anomalies import DROP_FIELDS, Thresholds, count_anomalies
from segments.alerts.messages import days_remaining
from segments.models import (
    Alert,
    Condition,
    PolicyRunItem,
    Segment,
    SegmentCountSnapshot,
    SyncState,
)
from segments.models.policies import FAILURES_FLAGGED

GONE_STATUSES = ("Expired", "Archived")
PROBLEM_FIELDS = (("total_failed_count", "failed"), ("total_no_data_count", "no-data"))
_COMPARED = (
    *DROP_FIELDS,
    "total_failed_count",
    "total_no_data_count",
    "total_segment_upload_count",
)


@dataclass(frozen=True)
class Found:
    """A condition that holds: on which subject, what was found, the values compared."""

    subject: str
    condition: str
    segment_id: int | None
    detail: str
    values: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.subject, self.condition


def conditions_found(
    *, now: datetime | None = None, ends_within_days: int = 7, only: frozenset | None = None
) -> list[Found]:
    """Every condition that holds now, over all visible segments and the sync sources
    (only the conditions in ``only`` when given)."""
    now = now or timezone.now()
    readers = {
        Condition.ENDS_SOON: lambda: _ends_soon(now, ends_within_days),
        Condition.SYNC_FAILING: lambda: _sync_failing(now),
        Condition.POLICY_FAILING: _policy_failing,
    }
    wanted = set(Condition.values if only is None else only)
    found = [f for condition, read in readers.items() if condition in wanted for f in read()]
    # Both snapshot conditions come from one pass over the count history.
    if wanted & {Condition.PROBLEMS_ROSE, Condition.ANOMALY}:
        found += [f for f in _from_snapshots(Thresholds.from_settings()) if f.condition in wanted]
    return found


def _ends_soon(now: datetime, days: int) -> Iterator[Found]:
    rows = (
        Segment.objects.visible()
        .exclude(status__in=GONE_STATUSES)
        .filter(end_date__gte=now, end_date__lte=now + timedelta(days=days))
        .values_list("segment_id", "end_date")
    )
    for segment_id, end_date in rows.iterator(chunk_size=5000):
        left = (end_date - now).days
        when = end_date.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")  # stored: one zone
        yield Found(
            Alert.segment_subject(segment_id),
            Condition.ENDS_SOON,
            segment_id,
            f"ends {when} ({days_remaining(left)} left)",
            {"end_date": end_date.isoformat(), "days_left": left},
        )


def _histories(window: int) -> Iterator[tuple[int, list[dict]]]:
    """The latest ``window`` snapshots (newest first) of each visible segment that has
    more than one: a first snapshot has nothing to compare with."""
    by_segment = {"partition_by": F("segment_id")}
    ranked = (
        SegmentCountSnapshot.objects.filter(segment__is_deleted=False)
        .annotate(
            rank=Window(RowNumber(), order_by=[F("taken_at").desc(), F("id").desc()], **by_segment),
            snapshots=Window(Count("id"), **by_segment),
        )
        .filter(rank__lte=window, snapshots__gt=1)
        .order_by("segment_id", "rank")
        .values_list("segment_id", *_COMPARED)
    )
    current, rows = None, []
    for segment_id, *values in ranked.iterator(chunk_size=10_000):
        if segment_id != current:
            if rows:
                yield current, rows
            current, rows = segment_id, []
        rows.append(dict(zip(_COMPARED, values, strict=True)))
    if rows:
        yield current, rows


def _from_snapshots(thresholds: Thresholds) -> Iterator[Found]:
    for segment_id, newest_first in _histories(max(thresholds.history, 1) + 1):
        current, history = newest_first[0], newest_first[:0:-1]
        subject = Alert.segment_subject(segment_id)
        rose = [
            (label, history[-1][name], current[name])
            for name, label in PROBLEM_FIELDS
            if current[name] is not None and current[name] > (history[-1][name] or 0)
        ]
        if rose:
            yield Found(
                subject,
                Condition.PROBLEMS_ROSE,
                segment_id,
                "; ".join(
                    f"{label} items rose from {old or 0:,} to {new:,}" for label, old, new in rose
                ),
                {label: {"previous": old, "current": new} for label, old, new in rose},
            )
        anomalies = count_anomalies(history=history, current=current, thresholds=thresholds)
        if anomalies:
            yield Found(
                subject,
                Condition.ANOMALY,
                segment_id,
                "; ".join(a.describe() for a in anomalies),
                {
                    a.field: {
                        "kind": a.kind,
                        "current": a.current,
                        "median": a.median,
                        "previous": a.previous,
                    }
                    for a in anomalies
                },
            )


def _sync_failing(now: datetime) -> Iterator[Found]:
    limit = timedelta(minutes=settings.ALERT_SYNC_FAILING_MINUTES)
    failing = defaultdict(list)
    for state in SyncState.objects.all():
        if state.last_error_at is None or state.healthy:
            continue
        since = state.last_success_at
        if since is None or now - since > limit:
            failing["sources"].append(state.get_source_display())
            failing["errors"].append(state.last_error[:200])
            failing["since"].append(since.isoformat() if since else None)
    if failing:
        yield Found(
            Alert.SYNC_SUBJECT,
            Condition.SYNC_FAILING,
            None,
            f"failing for over {settings.ALERT_SYNC_FAILING_MINUTES} minutes: "
            + ", ".join(failing["sources"]),
            dict(failing),
        )


def _policy_failing() -> Iterator[Found]:
    """Segments whose latest attempt under a policy is a 3rd (or later) failure in a row;
    the values name each such policy and its owner (who hears of it)."""
    later = PolicyRunItem.objects.filter(
        policy_id=OuterRef("policy_id"), segment_id=OuterRef("segment_id"), id__gt=OuterRef("id")
    )
    items = (
        PolicyRunItem.objects.filter(failures_in_a_row__gte=FAILURES_FLAGGED)
        .filter(~Exists(later))
        .filter(segment_id__in=Segment.objects.visible().values("segment_id"))
        .order_by("segment_id", "policy_id")
        .values_list(
            "segment_id",
            "policy_id",
            "policy__name",
            "policy__owner_id",
            "failures_in_a_row",
            "outcome",
        )
    )
    by_segment = defaultdict(list)
    for segment_id, policy_id, name, owner_id, failures, outcome in items:
        by_segment[segment_id].append(
            {
                "id": policy_id,
                "name": name,
                "owner_id": owner_id,
                "failures": failures,
                "outcome": outcome,
            }
        )
    for segment_id, policies in by_segment.items():
        yield Found(
            Alert.segment_subject(segment_id),
            Condition.POLICY_FAILING,
            segment_id,
            "; ".join(
                f"policy “{p['name']}” could not extend it in {p['failures']} runs in a row"
                f" (last outcome: {p['outcome']})"
                for p in policies
            ),
            {"policies": policies},
        )
