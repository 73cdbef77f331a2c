"""Deletes with an undo window, against the sandbox over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments import remote
from segments.models import AuditEvent, BulkRun, ScheduledDelete, Segment
from segments.remote import NotFound
from segments.services.audit import Actor
from segments.services.bulk import bulk_run_confirm, bulk_run_create
from segments.services.deletes import (
    scheduled_delete_cancel,
    scheduled_deletes_run_due,
    segment_delete_schedule,
)
from segments.services.platform_writes import segment_extend
from tests.conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("undo_window")]
State = ScheduledDelete.State


@pytest.fixture
def actor(synced):
    return Actor(user=make_user("ann", "Operator"), ip="127.0.0.1")


@pytest.fixture
def live(synced):
    return list(
        Segment.objects.visible()
        .filter(end_date__gt=timezone.now() + timedelta(days=1))
        .order_by("segment_id")[:3]
    )


def on_platform(segment_id: int) -> bool:
    try:
        with remote.segment_api() as client:
            client.segment(segment_id=segment_id)
    except NotFound:
        return False
    return True


def schedule(actor, segment) -> ScheduledDelete:
    result = segment_delete_schedule(
        actor=actor, segment_id=segment.segment_id, expected_updated=segment.updated
    )
    assert result.ok, result.message
    return result.scheduled


def after_deadline(scheduled: ScheduledDelete):
    return scheduled.deadline + timedelta(seconds=1)


def test_undo_before_the_deadline_sends_nothing(synced, actor, live):
    segment = live[0]
    synced.requests.clear()
    scheduled = schedule(actor, segment)
    assert scheduled_deletes_run_due() == 0  # the window is still open
    undoer = Actor(user=make_user("bob", "Operator"))
    assert scheduled_delete_cancel(actor=undoer, scheduled=scheduled)
    assert scheduled_deletes_run_due(now=after_deadline(scheduled)) == 0
    assert synced.requests.count("delete_segment") == 0
    assert on_platform(segment.segment_id)
    scheduled.refresh_from_db()
    assert scheduled.state == State.CANCELLED
    assert scheduled.cancelled_by.username == "bob"
    undo = AuditEvent.objects.get(action=AuditEvent.Action.UNDO_DELETE)
    assert (undo.username, undo.segment_id) == ("bob", segment.segment_id)
    assert not Segment.objects.get(pk=segment.pk).is_deleted


def test_at_the_deadline_the_delete_is_sent_once(synced, actor, live):
    segment = live[0]
    scheduled = schedule(actor, segment)
    synced.requests.clear()
    now = after_deadline(scheduled)
    assert scheduled_deletes_run_due(now=now) == 1
    assert scheduled_deletes_run_due(now=now) == 0
    assert synced.requests.count("delete_segment") == 1
    assert not on_platform(segment.segment_id)
    scheduled.refresh_from_db()
    assert scheduled.state == State.DONE
    assert Segment.objects.get(pk=segment.pk).is_deleted
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE)
    assert (event.username, event.outcome) == ("ann", AuditEvent.Outcome.DONE)
    # Too late to undo.
    assert not scheduled_delete_cancel(actor=actor, scheduled=scheduled)


def test_a_segment_changed_meanwhile_is_not_deleted(synced, actor, live):
    segment = live[0]
    scheduled = schedule(actor, segment)
    # The desk refuses to extend it while it waits (a bulk run, a policy), sending nothing.
    refused = segment_extend(
        actor=actor,
        segment_id=segment.segment_id,
        new_end_date=segment.end_date + timedelta(days=3),
        expected_updated=segment.updated,
    )
    assert refused.outcome == "refused"
    assert "undo the delete first" in refused.message
    assert synced.requests.count("update_end_date") == 0
    # So it is changed on the platform itself.
    with remote.segment_api() as client:
        client.update_end_date(
            segment_id=segment.segment_id, end_date=segment.end_date + timedelta(days=3)
        )
    synced.requests.clear()
    assert scheduled_deletes_run_due(now=after_deadline(scheduled)) == 1
    assert synced.requests.count("delete_segment") == 0
    assert on_platform(segment.segment_id)
    scheduled.refresh_from_db()
    assert scheduled.state == State.CHANGED
    assert "changed on the platform" in scheduled.message


def test_a_segment_already_gone_counts_as_deleted(synced, actor, live):
    segment = live[0]
    scheduled = schedule(actor, segment)
    with remote.segment_api() as client:
        client.delete_segment(segment_id=segment.segment_id)
    scheduled_deletes_run_due(now=after_deadline(scheduled))
    scheduled.refresh_from_db()
    assert scheduled.state == State.GONE
    assert Segment.objects.get(pk=segment.pk).is_deleted


def test_a_failed_send_is_retried_then_given_up(synced, actor, live):
    segment = live[0]
    scheduled = schedule(actor, segment)
    synced.faults.set("delete_segment", status=503)
    now = after_deadline(scheduled)
    for expected in (State.PENDING, State.PENDING, State.FAILED):
        scheduled_deletes_run_due(now=now)
        scheduled.refresh_from_db()
        assert scheduled.state == expected
    synced.faults.clear()
    assert on_platform(segment.segment_id)


def test_a_send_whose_worker_died_is_sent_again(synced, actor, live):
    segment = live[0]
    scheduled = schedule(actor, segment)
    now = after_deadline(scheduled)
    # A worker claimed it and died before sending anything.
    ScheduledDelete.objects.filter(pk=scheduled.pk).update(state=State.RUNNING, claimed_at=now)
    assert scheduled_deletes_run_due(now=now + timedelta(minutes=1)) == 0
    assert scheduled_deletes_run_due(now=now + timedelta(minutes=6)) == 1
    assert not on_platform(segment.segment_id)


def test_one_open_delete_per_segment(synced, actor, live):
    schedule(actor, live[0])
    again = segment_delete_schedule(
        actor=actor, segment_id=live[0].segment_id, expected_updated=live[0].updated
    )
    assert not again.ok
    assert "already scheduled" in again.message


def test_bulk_delete_with_undo(synced, actor, live, settings):
    ids = [s.segment_id for s in live]
    run = bulk_run_create(actor=actor, action=BulkRun.Action.DELETE, segment_ids=ids, params={})
    synced.requests.clear()
    assert bulk_run_confirm(run=run, actor=actor)  # executed inline in the tests
    assert synced.requests.count("delete_segment") == 0
    scheduled = {d.segment_id: d for d in ScheduledDelete.objects.filter(bulk_run=run)}
    assert set(scheduled) == set(ids)
    assert scheduled_delete_cancel(actor=actor, scheduled=scheduled[ids[0]])
    assert scheduled_deletes_run_due(now=after_deadline(scheduled[ids[1]])) == 2
    assert synced.requests.count("delete_segment") == 2
    assert on_platform(ids[0])
    assert not on_platform(ids[1])
    assert not on_platform(ids[2])


def test_no_window_deletes_at_once(synced, actor, live, settings):
    settings.DELETE_UNDO_SECONDS = 0
    ids = [live[0].segment_id]
    run = bulk_run_create(actor=actor, action=BulkRun.Action.DELETE, segment_ids=ids, params={})
    assert bulk_run_confirm(run=run, actor=actor)  # executed inline in the tests
    assert not ScheduledDelete.objects.exists()
    assert not on_platform(ids[0])
