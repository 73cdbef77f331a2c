"""A bulk run through real processes: two gunicorn web processes, two workers and
the scheduler. An operator confirms through web 1 and watches through web 2;
the worker running it is killed with SIGKILL half-way; another worker resumes
it, and the platform receives exactly one end-date write per segment."""

from __future__ import annotations

import os
import re
import signal
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone

from segments import remote
from segments.models import AuditEvent, BulkRun, Lease, Segment
from segments.services.bulk_execution import bulk_run_lease
from segments.services.sync import sync_run
from tests.conftest import make_user
from tests.processes.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SEGMENTS = 200


def browser(url: str, session_cookie: str) -> requests.Session:
    """An operator's browser on one web process: logged in, with a CSRF token."""
    session = requests.Session()
    session.cookies.set("sessionid", session_cookie)
    session.get(f"{url}/segments/", timeout=30).raise_for_status()
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def holder_pid(run_id: int) -> int | None:
    holder = Lease.objects.filter(name=bulk_run_lease(run_id)).values_list("holder", flat=True)
    holder = holder.first()
    return int(holder.split(":")[1]) if holder else None


def test_bulk_extend_survives_a_killed_worker_and_writes_each_segment_once(cluster, sandbox):
    assert sync_run(full=True).ok
    ids = list(
        Segment.objects.visible()
        .exclude(end_date=None)
        .order_by("segment_id")
        .values_list("segment_id", flat=True)
    )[:SEGMENTS]
    assert len(ids) == SEGMENTS
    before = dict(Segment.objects.filter(segment_id__in=ids).values_list("segment_id", "end_date"))
    operator = make_user("olga", "Operator")
    client = Client()
    client.force_login(operator)
    cookie = client.cookies["sessionid"].value

    env = {"BULK_RUN_LOCK_TIMEOUT": "3", "BULK_RESUME_TEST_SECONDS": "1"}
    _, web1 = cluster.web("web-1", **env)
    _, web2 = cluster.web("web-2", **env)
    workers = {cluster.worker(f"worker-{n}", **env).pid: n for n in (1, 2)}
    cluster.scheduler(**env)
    # Each write takes a moment, so that the run is still going when its worker dies.
    sandbox.faults.set("update_end_date", latency_ms=30)
    sandbox.requests.clear()

    one, two = browser(web1, cookie), browser(web2, cookie)
    started = timezone.now()
    prepared = one.post(
        f"{web1}/segments/bulk/",
        data={"intent": "extend-selected", "selected": [str(i) for i in ids]},
        timeout=60,
    )
    prepared.raise_for_status()
    run_id = int(re.search(r"/bulk/(\d+)/confirm/", prepared.text).group(1))
    token = re.search(r'name="form_token" value="([^"]+)"', prepared.text).group(1)
    confirmed = one.post(
        f"{web1}/bulk/{run_id}/confirm/", data={"days": "7", "form_token": token}, timeout=60
    )
    confirmed.raise_for_status()

    def watched() -> str:
        text = two.get(f"{web2}/bulk/{run_id}/", timeout=30).text
        assert "Not confirmed" not in text  # never, from the confirmation on
        return text

    # Kill the worker holding the run once it is under way.
    wait_until(
        lambda: BulkRun.objects.get(pk=run_id).done >= 20 and holder_pid(run_id),
        timeout=120,
        what="the run getting under way",
    )
    victim = holder_pid(run_id)
    assert victim in workers
    os.kill(victim, signal.SIGKILL)
    killed_done = BulkRun.objects.get(pk=run_id).done
    assert killed_done < SEGMENTS

    wait_until(lambda: "Finished" in watched(), timeout=180, what="the run finishing")

    run = BulkRun.objects.get(pk=run_id)
    assert run.done == SEGMENTS
    assert sandbox.requests.count("update_end_date") == SEGMENTS
    events = list(run.events.values_list("segment_id", "outcome", "username"))
    assert sorted(e[0] for e in events) == sorted(ids)  # one outcome per segment
    assert {e[1] for e in events} == {AuditEvent.Outcome.DONE}
    assert {e[2] for e in events} == {"olga"}
    # Each end date moved once: 7 days from the one before, or from the moment of
    # the write for a segment that had expired (a write applied twice would be 14).
    ended = timezone.now()
    with remote.segment_api() as platform:
        for segment_id in ids:
            moved_from = platform.segment(segment_id=segment_id).end_date - timedelta(days=7)
            from_before = abs(moved_from - before[segment_id]) < timedelta(milliseconds=1)
            from_the_write = started <= moved_from <= ended
            assert from_before or from_the_write, (segment_id, before[segment_id], moved_from)
