"""A bulk run's report: failures first, every answer in full, a link back to the
list it was prepared from and one to its activity."""

from __future__ import annotations

import html
import re

import pytest

from segments.models import AuditEvent, BulkRun, Segment
from segments.selectors.bulk import REPORT_GROUPS, bulk_run_list_url
from segments.services import bulk
from segments.services.audit import Actor

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _prepare(op_client, query: str) -> BulkRun:
    op_client.post("/segments/bulk/", {"intent": "extend-filter", "query": query}, headers=HTMX)
    return BulkRun.objects.latest("pk")


def _finish(op_client, run: BulkRun) -> str:
    form = op_client.get(f"/bulk/{run.pk}/")
    assert form.status_code == 200
    bulk.bulk_run_confirm(run=run, actor=Actor(user=run.created_by), days=7, end_date=None)
    return op_client.get(f"/bulk/{run.pk}/").text


def test_the_report_lists_failures_before_successes(op_client, synced):
    assert set(AuditEvent.Outcome.values) <= {key for key, _, _ in REPORT_GROUPS}
    run = _prepare(op_client, "ends=within&within_days=30")
    assert run.total > 3
    # One write fails (the report used to list the done ones first).
    synced.faults.set("update_end_date", status=500, times=1)
    page = _finish(op_client, run)
    assert f"Finished: {run.total - 1} done, 1 failed" in page
    tables = re.findall(r'class="data-table compact bulk-report report-(\w+)"', page)
    assert tables == ["failed", "done"]


def test_a_long_answer_is_shown_whole(op_client, synced, operator):
    run = _prepare(op_client, "ends=within&within_days=30")
    segment_id = run.segment_ids[0]
    answer = "The platform said: " + " ".join(f"reason-{i}" for i in range(400))
    BulkRun.objects.filter(pk=run.pk).update(
        confirmed_at=run.created_at, finished_at=run.created_at
    )
    AuditEvent.objects.create(
        username="otto",
        action="extend",
        outcome="failed",
        segment_id=segment_id,
        message=answer,
        remote_status=502,
        remote_request_id="req-" + "x" * 120,
        bulk_run=run,
    )
    page = op_client.get(f"/bulk/{run.pk}/").text
    assert answer in html.unescape(page)
    assert "HTTP 502" in page
    assert "req-" + "x" * 120 in page


def test_the_run_remembers_its_list_and_links_back_to_it(op_client, synced):
    run = _prepare(op_client, "status=Active&sort=-updated&page=3&per_page=50&junk=1")
    assert run.params["query"] == "status=Active&sort=-updated&per_page=50"
    page = op_client.get(f"/bulk/{run.pk}/").text
    back = "/segments/?status=Active&amp;sort=-updated&amp;per_page=50"
    assert f'<a href="{back}">The segments list this run came from</a>' in page
    assert f'<a href="/activity/?bulk_run={run.pk}">' in page
    # A retry comes from the same list.
    BulkRun.objects.filter(pk=run.pk).update(confirmed_at=run.created_at)
    retry, _ = bulk.bulk_run_retry(
        run=BulkRun.objects.get(pk=run.pk), actor=Actor(user=run.created_by)
    )
    assert retry.params["query"] == run.params["query"]


@pytest.mark.parametrize(
    "stored", ["//evil.example/", "https://evil.example/?a=1", "\\\\evil", "a=1#frag", "\n"]
)
def test_the_link_back_is_a_relative_url_to_the_segments_list(synced, stored):
    run = BulkRun.objects.create(action="extend", params={"query": stored})
    url = bulk_run_list_url(run=run)
    assert url == "/segments/" or url.startswith("/segments/?")
    for unsafe in ("#", "//", "\\"):
        assert unsafe not in url


def test_a_run_without_a_stored_query_links_to_the_plain_list(synced):
    assert bulk_run_list_url(run=BulkRun.objects.create(action="extend")) == "/segments/"


def test_all_matching_from_an_audience_page_means_that_audience(op_client, synced):
    audience_id = (
        Segment.objects.visible().values_list("audience_id", flat=True).order_by("audience_id")
    )[0]
    page = op_client.get(f"/audiences/{audience_id}/").text
    query = html.unescape(re.search(r'name="query" value="([^"]*)"', page).group(1))
    assert query == f"audience={audience_id}"
    run = _prepare(op_client, query)
    expected = set(
        Segment.objects.visible()
        .filter(audience_id=audience_id)
        .values_list("segment_id", flat=True)
    )
    assert set(run.segment_ids) == expected
    assert run.params["query"] == f"audience={audience_id}"


def test_a_new_end_date_shows_as_a_date_in_the_viewer_s_zone(op_client, synced):
    """It showed as stored: "2027-02-01T09:15:00-05:00"."""
    from datetime import UTC, datetime

    run = _prepare(op_client, "ends=within&within_days=5")
    end = datetime(2027, 2, 1, 14, 15, tzinfo=UTC)
    bulk.bulk_run_confirm(run=run, actor=Actor(user=run.created_by), days=None, end_date=end)
    op_client.cookies["tz"] = "America%2FNew_York"
    page = op_client.get(f"/bulk/{run.pk}/").text
    assert "new end date <time" in page
    assert ">01 Feb 2027 09:15</time>" in page
