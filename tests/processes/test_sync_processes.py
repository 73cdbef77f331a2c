"""The sync lock between real processes: two syncs at once, a killed sync's lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from segments import processes
from segments.models import Lease, SyncState
from segments.services.sync_lock import SYNC_LEASE, sync_exclusive, sync_running
from tests.conftest import make_user
from tests.processes.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

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


def _operator_browser(url: str) -> requests.Session:
    user = User.objects.filter(username="ulla").first() or make_user("ulla", "Operator")
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.get(f"{url}/", timeout=30).raise_for_status()
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def test_refresh_from_the_ui_and_manage_py_sync_at_once_one_runs(cluster, sandbox):
    sandbox.faults.set("segments_of_audience", **SLOW_AUDIENCES)
    _, web = cluster.web()
    cluster.worker()
    browser = _operator_browser(web)
    command = sync_command(cluster, "sync-cli")
    wait_until(lease_holder, timeout=60, what="the command's sync taking the lock")
    page = browser.post(f"{web}/refresh/", data={"scope": "all", "full": "1"}, timeout=30)
    assert "already running" in page.text
    assert command.wait(timeout=120) == 0
    assert cluster.log("sync-cli").count("Full sync in") == 1


def test_the_web_process_restarted_during_a_sync_the_sync_completes(cluster, sandbox):
    sandbox.faults.set("segments_of_audience", **SLOW_AUDIENCES)
    web_process, web = cluster.web()
    cluster.worker()
    asked_at = timezone.now()
    browser = _operator_browser(web)
    browser.post(f"{web}/refresh/", data={"scope": "all", "full": "1"}, timeout=30)
    wait_until(lease_holder, timeout=60, what="the worker's sync taking the lock")

    processes.stop(web_process)  # a deploy: the web process goes, the worker stays
    _, web = cluster.web("web-restarted")

    def synced() -> bool:
        state = SyncState.objects.get(source=SyncState.Source.SEGMENTS)
        return state.last_success_at is not None and state.last_success_at > asked_at

    wait_until(synced, timeout=120, what="the sync started before the restart")
    # The lock goes after the success is recorded (the planner statistics come between).
    wait_until(lambda: lease_holder() == "", timeout=30, what="the sync's lock released")
    banner = _operator_browser(web).get(f"{web}/refresh/banner/", timeout=30).text
    assert "Refreshing from the platform" not in banner
