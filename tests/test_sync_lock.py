"""The sync lock: one sync at a time, a dead holder's lock taken over after its timeout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.functions import Now
from django.utils import timezone

from segments import tasks
from segments.models import Lease, SyncState
from segments.services.leases import (
    LeaseLost,
    lease_acquire,
    lease_beat,
    lease_current,
    lease_held,
    lease_release,
)
from segments.services.sync_lock import SYNC_LEASE, sync_exclusive, sync_running
from segments.services.write_lock import SegmentBusy, segment_write_lock

TIMEOUT = timedelta(seconds=60)


@pytest.mark.django_db
def test_a_lease_is_held_by_one_holder_until_released():
    assert lease_acquire(name="x", holder="a", timeout=TIMEOUT)
    assert not lease_acquire(name="x", holder="b", timeout=TIMEOUT)
    assert lease_beat(name="x", holder="a")
    assert not lease_beat(name="x", holder="b")
    lease_release(name="x", holder="b")  # not b's: nothing happens
    assert lease_current(name="x", timeout=TIMEOUT).holder == "a"
    lease_release(name="x", holder="a")
    assert lease_current(name="x", timeout=TIMEOUT) is None
    assert lease_acquire(name="x", holder="b", timeout=TIMEOUT)


@pytest.mark.django_db
def test_a_lease_whose_heartbeat_stopped_is_taken_over_after_the_timeout():
    assert lease_acquire(name="x", holder="dead", timeout=TIMEOUT)
    Lease.objects.filter(name="x").update(heartbeat_at=Now() - TIMEOUT / 2)
    assert not lease_acquire(name="x", holder="new", timeout=TIMEOUT)
    Lease.objects.filter(name="x").update(heartbeat_at=Now() - TIMEOUT * 1.1)
    assert lease_current(name="x", timeout=TIMEOUT) is None
    assert lease_acquire(name="x", holder="new", timeout=TIMEOUT)
    assert not lease_beat(name="x", holder="dead")  # the old holder learns it lost it


@pytest.mark.django_db
def test_leases_and_write_locks_go_by_the_database_s_clock_not_the_host_s(monkeypatch):
    """With several hosts, their clocks differ. Nothing here can move this machine's
    clock, so the host's (``timezone.now``) is moved instead; the database's is not."""
    real_now = timezone.now
    assert lease_acquire(name="x", holder="a", timeout=TIMEOUT)
    with segment_write_lock(segment_id=7, wait=0):
        # A host whose clock runs ahead takes neither the live lease nor the lock.
        monkeypatch.setattr(timezone, "now", lambda: real_now() + 10 * TIMEOUT)
        assert not lease_acquire(name="x", holder="b", timeout=TIMEOUT)
        assert lease_current(name="x", timeout=TIMEOUT).holder == "a"
        with pytest.raises(SegmentBusy), segment_write_lock(segment_id=7, wait=0):
            pass
    # One whose clock runs behind takes a dead holder's lease after the timeout.
    Lease.objects.filter(name="x").update(heartbeat_at=Now() - TIMEOUT * 1.1)
    monkeypatch.setattr(timezone, "now", lambda: real_now() - 10 * TIMEOUT)
    assert lease_current(name="x", timeout=TIMEOUT) is None
    assert lease_acquire(name="x", holder="b", timeout=TIMEOUT)


@pytest.mark.django_db
def test_a_holder_that_confirms_before_its_work_keeps_the_lease_for_a_timeout():
    """A holder whose heartbeat thread could not beat (a busy database) confirms
    before a write that must not be sent twice: from then on nobody takes the
    lease over, for a whole timeout."""
    with lease_held(name="x", timeout=TIMEOUT) as beat:  # in a transaction: no beat thread
        Lease.objects.filter(name="x").update(heartbeat_at=Now() - TIMEOUT * 1.1)
        beat.confirm()
        assert not lease_acquire(name="x", holder="new", timeout=TIMEOUT)
        # Once taken over, the old holder's confirmation fails and its work is not done.
        Lease.objects.filter(name="x").update(heartbeat_at=Now() - TIMEOUT * 1.1)
        assert lease_acquire(name="x", holder="new", timeout=TIMEOUT)
        with pytest.raises(LeaseLost):
            beat.confirm()


def _held_elsewhere(done: int = 7, total: int = 60) -> None:
    lease_acquire(name=SYNC_LEASE, holder="another-host:1:abc", timeout=TIMEOUT)
    SyncState.objects.update_or_create(
        source=SyncState.Source.SEGMENTS, defaults={"progress_done": done, "progress_total": total}
    )


@pytest.mark.django_db
def test_every_way_to_sync_answers_already_running_while_one_runs(remote_settings, sandbox):
    _held_elsewhere()
    sandbox.requests.clear()

    assert sync_exclusive(full=True) is None
    with pytest.raises(CommandError, match=r"already running \(7 of 60 audiences\)"):
        call_command("sync", full=True)
    result = tasks.sync_platform.enqueue(full=False)
    assert result.return_value == {
        "already_running": "A sync of the whole platform is already running (7 of 60 audiences)."
    }
    assert sandbox.requests.counts() == {}  # nothing was asked of the platform
    assert sync_running().done == 7


@pytest.mark.django_db
def test_a_dead_syncs_lock_is_taken_over_and_released_after(remote_settings, fresh_sandbox):
    _held_elsewhere()
    Lease.objects.filter(name=SYNC_LEASE).update(
        heartbeat_at=Now() - timedelta(seconds=remote_settings.SYNC_LOCK_TIMEOUT + 1)
    )
    report = sync_exclusive(full=True)
    assert report is not None
    assert report.ok
    assert Lease.objects.get(name=SYNC_LEASE).holder == ""
    assert sync_running() is None


def test_a_bulk_lock_timeout_shorter_than_a_write_is_warned_of(settings):
    from segments.checks import bulk_run_lock_timeout_check

    assert bulk_run_lock_timeout_check() == []  # the defaults: 60 s against 52 s
    settings.BULK_RUN_LOCK_TIMEOUT = 30
    [warning] = bulk_run_lock_timeout_check()
    assert warning.id == "segments.W001"
    assert "(52 s with the REMOTE timeouts)" in warning.msg


@pytest.mark.django_db
def test_a_started_bulk_run_is_stalled_unless_its_lease_beats():
    from segments.models import BulkRun
    from segments.services.bulk_execution import bulk_run_lease, bulk_runs_stalled

    def run(**fields) -> int:
        now = timezone.now()
        started = {"confirmed_at": now, "started_at": now, **fields}
        return BulkRun.objects.create(action="extend", total=1, **started).pk

    no_lease, live, stale, free = run(), run(), run(), run()
    finished = run(finished_at=timezone.now())
    run(started_at=None)  # queued, not started: not stalled
    Lease.objects.create(name=bulk_run_lease(live), holder="w1", heartbeat_at=Now())
    Lease.objects.create(
        name=bulk_run_lease(stale), holder="w2", heartbeat_at=Now() - timedelta(hours=1)
    )
    Lease.objects.create(name=bulk_run_lease(free), holder="", heartbeat_at=None)
    Lease.objects.create(name=bulk_run_lease(finished), holder="w3", heartbeat_at=Now())
    stalled = bulk_runs_stalled()
    assert sorted(stalled) == sorted([no_lease, stale, free])
