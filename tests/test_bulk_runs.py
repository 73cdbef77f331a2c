"""Bulk runs: confirmed once, by the operator who prepared them, audited as who
acted, and resumed after a lost worker without writing any segment twice."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from segments import remote
from segments.models import AuditEvent, BulkItem, BulkRun, Lease, Segment, SegmentWriteLock
from segments.services import bulk, leases
from segments.services.audit import Actor
from segments.services.bulk_execution import bulk_run_execute, bulk_run_lease
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _ids(count: int) -> list[int]:
    return list(
        Segment.objects.visible()
        .exclude(end_date=None)
        .order_by("segment_id")
        .values_list("segment_id", flat=True)[:count]
    )


def _prepared(user, count: int = 4) -> BulkRun:
    return bulk.bulk_run_create(
        actor=Actor(user=user), action=BulkRun.Action.EXTEND, segment_ids=_ids(count), params={}
    )


def _confirmed_started(run: BulkRun, operator, **fields) -> None:
    """The run as a worker that stopped half-way left it: confirmed, extending by 7
    days, started (unless ``fields`` say otherwise)."""
    BulkRun.objects.filter(pk=run.pk).update(
        **{
            "confirmed_at": timezone.now(),
            "confirmed_by": operator,
            "started_at": timezone.now(),
            "params": {**run.params, "days": 7, "end_date": None},
            **fields,
        }
    )


def test_a_run_is_confirmed_once_and_a_second_confirm_changes_nothing(synced, operator):
    run = _prepared(operator)
    actor = Actor(user=operator, ip="10.0.0.1")
    assert bulk.bulk_run_confirm(run=run, actor=actor, days=7, end_date=None) is True
    assert bulk.bulk_run_confirm(run=run, actor=actor, days=30, end_date=None) is False
    run.refresh_from_db()
    assert run.params["days"] == 7
    assert run.finished
    assert synced.requests.count("update_end_date") == run.total
    assert run.events.count() == run.total
    assert set(run.events.values_list("ip", flat=True)) == {"10.0.0.1"}


def test_only_the_operator_who_prepared_a_run_may_confirm_it(synced, operator):
    run = _prepared(operator)
    other = make_user("oscar", "Operator")
    with pytest.raises(PermissionDenied):
        bulk.bulk_run_confirm(run=run, actor=Actor(user=other), days=7, end_date=None)
    run.refresh_from_db()
    assert run.confirmed_at is None
    assert synced.requests.count("update_end_date") == 0


def test_a_retry_by_another_operator_is_audited_as_that_operator(synced, operator):
    run = _prepared(operator, count=2)
    synced.faults.set("update_end_date", status=503)
    bulk.bulk_run_confirm(run=run, actor=Actor(user=operator), days=7, end_date=None)
    assert set(run.events.values_list("outcome", flat=True)) == {AuditEvent.Outcome.FAILED}
    synced.faults.clear()
    other = make_user("oscar", "Operator")
    retry, created = bulk.bulk_run_retry(run=run, actor=Actor(user=other, ip="10.0.0.2"))
    assert created
    assert retry.created_by == other
    assert set(retry.events.values_list("username", "outcome")) == {
        ("oscar", AuditEvent.Outcome.DONE)
    }


def _failed_run(sandbox, user, count: int) -> BulkRun:
    """A run extending ``count`` segments by 7 days whose every write failed."""
    run = _prepared(user, count=count)
    sandbox.faults.set("update_end_date", status=503)
    bulk.bulk_run_confirm(run=run, actor=Actor(user=user), days=7, end_date=None)
    sandbox.faults.clear()
    assert set(run.events.values_list("outcome", flat=True)) == {AuditEvent.Outcome.FAILED}
    return run


def _remote_ends(segment_ids) -> dict:
    with remote.segment_api() as client:
        return {i: client.segment(segment_id=i).end_date for i in segment_ids}


def test_a_run_is_retried_once_and_a_second_retry_sends_nothing(synced, operator):
    run = _failed_run(synced, operator, count=2)
    before = _remote_ends(run.segment_ids)
    retry, created = bulk.bulk_run_retry(run=run, actor=Actor(user=operator))
    sent = synced.requests.count("update_end_date")
    again, created_again = bulk.bulk_run_retry(run=run, actor=Actor(user=operator))
    assert (created, created_again) == (True, False)
    assert again.pk == retry.pk
    assert BulkRun.objects.filter(retry_of=run).count() == 1
    assert synced.requests.count("update_end_date") == sent
    assert _remote_ends(run.segment_ids) == {i: e + timedelta(days=7) for i, e in before.items()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_operators_retrying_one_run_at_once_extend_each_segment_once(synced):
    # The service checks no permission (the views do): users without a role suffice.
    ann, bob = make_user("ann", None), make_user("bob", None)
    run = _failed_run(synced, ann, count=3)
    before = _remote_ends(run.segment_ids)
    barrier, created = threading.Barrier(2), {}

    def retry_as(user):
        barrier.wait()
        try:
            fresh = BulkRun.objects.get(pk=run.pk)
            created[user.username] = bulk.bulk_run_retry(run=fresh, actor=Actor(user=user))[1]
        except Exception as exc:  # shown by the assertion below
            created[user.username] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry_as, args=(user,)) for user in (ann, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(created.values(), key=str) == [False, True], created
    assert BulkRun.objects.filter(retry_of=run).count() == 1
    assert _remote_ends(run.segment_ids) == {i: e + timedelta(days=7) for i, e in before.items()}


def test_a_resumed_run_reads_back_a_write_whose_answer_was_lost(synced, operator):
    """The worker was killed with segment A's write sent (and applied) but its answer
    lost, and with segment B marked sending but never sent. The resumed run sends
    nothing for A and one write for B."""
    run = _prepared(operator, count=3)
    a, b, c = run.segment_ids
    _confirmed_started(run, operator)
    ends = dict(Segment.objects.filter(segment_id__in=[a, b]).values_list("segment_id", "end_date"))
    target_a, target_b = ends[a] + timedelta(days=7), ends[b] + timedelta(days=7)
    with remote.segment_api() as platform:
        platform.update_end_date(segment_id=a, end_date=target_a)  # applied, answer "lost"
    BulkItem.objects.create(run=run, segment_id=a, state="sending", target_end_date=target_a)
    BulkItem.objects.create(run=run, segment_id=b, state="sending", target_end_date=target_b)
    synced.requests.clear()

    assert bulk_run_execute(run_id=run.pk) == "finished"

    assert synced.requests.count("update_end_date") == 2  # b and c, not a
    outcomes = dict(run.events.values_list("segment_id", "outcome"))
    assert outcomes == dict.fromkeys((a, b, c), AuditEvent.Outcome.DONE)
    assert "read back" in run.events.get(segment_id=a).message
    assert abs(Segment.objects.get(segment_id=a).end_date - target_a) < timedelta(seconds=1)
    assert set(run.items.values_list("state", flat=True)) == {"finished"}
    assert bulk_run_execute(run_id=run.pk) == "finished already"


def test_the_run_page_shows_queued_then_finished_never_not_confirmed(
    synced, operator, client, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client.force_login(operator)
    run = _prepared(operator)
    page = client.get(f"/bulk/{run.pk}/").content.decode()
    assert "Not confirmed" in page
    form = client.post(
        "/segments/bulk/",
        {"intent": "extend-selected", "selected": [str(i) for i in run.segment_ids]},
    ).content.decode()
    run = BulkRun.objects.latest("pk")
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    client.post(f"/bulk/{run.pk}/confirm/", {"days": "7", "form_token": token})
    page = client.get(f"/bulk/{run.pk}/").content.decode()
    assert "Not confirmed" not in page
    assert "Queued" in page
    again = client.post(
        f"/bulk/{run.pk}/confirm/", {"days": "30", "form_token": "0" * 32}, follow=True
    ).content.decode()
    assert "already confirmed" in again
    bulk_run_execute(run_id=run.pk)
    page = client.get(f"/bulk/{run.pk}/").content.decode()
    assert "Finished" in page
    assert "Not confirmed" not in page


def test_a_run_records_the_end_date_it_sent_not_the_mirrors(synced, operator):
    """+N days count from the platform's end date: the target a resumed run reads back
    against is that one, also when the mirror is behind the platform."""
    run = _prepared(operator, count=1)
    (segment_id,) = run.segment_ids
    platform_end = Segment.objects.get(segment_id=segment_id).end_date
    # The mirror's end date is off (its "updated" is not, so no conflict is seen).
    Segment.objects.filter(segment_id=segment_id).update(end_date=platform_end - timedelta(3))

    bulk.bulk_run_confirm(run=run, actor=Actor(user=operator), days=7, end_date=None)

    item = run.items.get(segment_id=segment_id)
    ended = Segment.objects.get(segment_id=segment_id).end_date
    assert abs(ended - (platform_end + timedelta(days=7))) < timedelta(seconds=1)
    assert abs(item.target_end_date - ended) < timedelta(seconds=1)


def test_a_resumed_run_takes_over_the_write_lock_its_killed_worker_held(synced, operator, settings):
    """The worker was killed between taking segment A's write lock and sending its
    write: the lock's lease would outlive it by minutes. The run's next worker takes
    that lock over at once and sends A's write once; a lock held by anyone else
    still keeps the run off its segment."""
    settings.SEGMENT_WRITE_LOCK_WAIT = 0.3
    run = _prepared(operator, count=2)
    a, b = run.segment_ids
    _confirmed_started(run, operator)
    lease = bulk_run_lease(run.pk)
    far = timezone.now() + timedelta(hours=1)
    SegmentWriteLock.objects.create(segment_id=a, holder="dead", run_lease=lease, expires_at=far)
    SegmentWriteLock.objects.create(segment_id=b, holder="someone", expires_at=far)
    BulkItem.objects.create(run=run, segment_id=a, state="sending")
    ends = dict(Segment.objects.filter(segment_id__in=[a, b]).values_list("segment_id", "end_date"))
    synced.requests.clear()

    assert bulk_run_execute(run_id=run.pk) == "finished"

    assert synced.requests.count("update_end_date") == 1
    outcomes = dict(run.events.values_list("segment_id", "outcome"))
    assert outcomes == {a: AuditEvent.Outcome.DONE, b: AuditEvent.Outcome.CONFLICT}
    ended = Segment.objects.get(segment_id=a).end_date
    assert abs(ended - (ends[a] + timedelta(days=7))) < timedelta(seconds=1)
    assert SegmentWriteLock.objects.get(segment_id=a).holder == ""
    assert SegmentWriteLock.objects.get(segment_id=b).holder == "someone"


@pytest.mark.parametrize("action", [BulkRun.Action.EXTEND, BulkRun.Action.DELETE])
def test_a_worker_whose_run_was_taken_over_sends_nothing_more(
    synced, operator, settings, monkeypatch, action
):
    """Another worker took the run over (this one's heartbeat had stalled) while
    this one read the segment before its write: it stops before sending, as the
    database says, before its own heartbeat notices, and leaves the segment to
    the run's new worker. (The takeover is made inside the read: a stall the
    sandbox cannot produce.)"""
    settings.DELETE_UNDO_SECONDS = 0
    run = _prepared(operator, count=1)
    (segment_id,) = run.segment_ids
    updated = Segment.objects.get(segment_id=segment_id).updated
    _confirmed_started(
        run,
        operator,
        action=action,
        started_at=None,
        params={"days": 7, "end_date": None, "seen": {str(segment_id): updated.isoformat()}},
    )
    read = remote.SegmentApiClient.segment

    def read_then_taken_over(client, **kwargs):
        found = read(client, **kwargs)
        Lease.objects.filter(name=bulk_run_lease(run.pk)).update(holder="host:2:another")
        return found

    monkeypatch.setattr(remote.SegmentApiClient, "segment", read_then_taken_over)
    synced.requests.clear()
    with pytest.raises(leases.LeaseLost):
        bulk_run_execute(run_id=run.pk)
    assert synced.requests.count("segment") == 1
    assert synced.requests.count("update_end_date") + synced.requests.count("delete_segment") == 0
    # Left as sending (with the end date it was about to send, if an extend): the
    # run's new worker reads it back, finds it not applied, and sends it once.
    assert run.items.get(segment_id=segment_id).state == "sending"
    assert not run.events.exists()
    assert SegmentWriteLock.objects.get(segment_id=segment_id).holder == ""
    # The new worker (here: whoever takes the free lease) sends it, once.
    monkeypatch.undo()
    Lease.objects.filter(name=bulk_run_lease(run.pk)).update(holder="", heartbeat_at=None)
    assert bulk_run_execute(run_id=run.pk) == "finished"
    assert synced.requests.count("update_end_date") + synced.requests.count("delete_segment") == 1
    assert list(run.events.values_list("outcome", flat=True)) == [AuditEvent.Outcome.DONE]
