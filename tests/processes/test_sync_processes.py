"""The sync lock between real processes: two syncs at once, a killed sync's lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from segments.models import Lease, SyncState
from segments.services.sync_lock import SYNC_LEASE, sync_exclusive, sync_running
from tests.processes.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# Each audience's segments answer slowly, so that a full sync lasts a few seconds.
SLOW_AUDIENCES = {"latency_ms": 150}


def sync_command(cluster, name: str, **env: str) -> subprocess.Popen:
    return cluster.start(name, [sys.executable, "manage.py", "sync", "--full"], **env)


def lease_holder() -> str:
    return Lease.objects.filter(name=SYNC_LEASE).values_list("holder", flat=True).first() or ""


def test_two_syncs_requested_at_once_one_runs(cluster, sandbox):
    sandbox.faults.set("segments_of_audience", **SLOW_AUDIENCES)
    first, second = sync_command(cluster, "sync-1"), sync_command(cluster, "sync-2")
    codes = sorted([first.wait(timeout=120), second.wait(timeout=120)])
    assert codes == [0, 1]
    logs = cluster.log("sync-1") + cluster.log("sync-2")
    assert logs.count("Full sync in") == 1
    assert "already running" in logs
    assert SyncState.objects.get(source=SyncState.Source.SEGMENTS).healthy
    assert lease_holder() == ""


def test_a_killed_syncs_lock_is_taken_over_after_the_heartbeat_timeout(cluster, sandbox, settings):
    settings.SYNC_LOCK_TIMEOUT = 5
    env = {"SYNC_LOCK_TIMEOUT": "5"}
    sandbox.faults.set("segments_of_audience", latency_ms=400)
    victim = sync_command(cluster, "victim", **env)
    wait_until(lease_holder, timeout=60, what="the first sync taking the lock")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed = time.monotonic()
    killed_at = timezone.now()

    # Its last heartbeat is recent: a second sync is refused for now.
    assert sync_running() is not None
    assert sync_exclusive(full=False) is None
    wait_until(lambda: sync_running() is None, timeout=30, what="the dead lock going stale")
    assert time.monotonic() - killed < 5 + 3

    sandbox.faults.clear()
    retry = sync_command(cluster, "retry", **env)
    assert retry.wait(timeout=120) == 0, cluster.log("retry")
    assert "Full sync in" in cluster.log("retry")
    state = SyncState.objects.get(source=SyncState.Source.SEGMENTS)
    assert state.last_success_at > killed_at
    assert lease_holder() == ""
