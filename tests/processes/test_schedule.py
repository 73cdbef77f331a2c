"""The scheduler and workers as real processes: a change on the platform reaches the
mirror with nobody clicking; the production server's health check."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from segments import processes
from segments.models import Segment
from segments.services.sync import sync_run
from tests.processes.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_change_on_the_platform_reaches_the_mirror_with_no_click(cluster, segment_client):
    assert sync_run(full=True).ok
    segment = Segment.objects.visible().exclude(end_date=None).order_by("segment_id").first()
    new_end = segment.end_date + timedelta(days=40)
    cluster.worker()
    cluster.scheduler(SYNC_INTERVAL_TEST_SECONDS="2")

    segment_client.update_end_date(segment_id=segment.segment_id, end_date=new_end)

    def mirrored():
        segment.refresh_from_db()
        return abs(segment.end_date - new_end) < timedelta(seconds=1)

    wait_until(mirrored, timeout=90, what="the scheduled sync")


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_healthz_on_gunicorn_answers_503_when_the_database_is_down(cluster):
    cluster.worker()
    _, url = cluster.web()
    status, body = _get(f"{url}/healthz/")
    assert status == 200
    assert body["database"]["reachable"] is True
    wait_until(
        lambda: _get(f"{url}/healthz/")[1]["queue"]["workers_seen"] == 1,
        what="the worker's heartbeat",
    )

    closed = processes.free_port()  # nothing listens there
    _, down = cluster.web("web-no-db", DATABASE_URL=f"postgres://nobody@127.0.0.1:{closed}/nothing")
    status, body = _get(f"{down}/healthz/")
    assert status == 503
    assert body["status"] == "down"
    assert body["database"] == {"reachable": False}
