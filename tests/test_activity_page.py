"""The activity page: segment names linked (in the page's one query for its rows),
bulk runs linked, times to the second, filters by account and by bulk run."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import AuditEvent, BulkRun, Segment

pytestmark = pytest.mark.django_db


def _event(segment: Segment | None, **kwargs) -> AuditEvent:
    fields = {"username": "otto", "action": "extend", "outcome": "done", **kwargs}
    return AuditEvent.objects.create(segment_id=segment.segment_id if segment else None, **fields)


def _shown(response) -> list[int]:
    return [int(i) for i in re.findall(r'href="/segments/(\d+)/"', response.text)]


def test_events_show_linked_segment_names_times_and_bulk_runs(viewer_client, synced):
    segment = Segment.objects.visible().first()
    run = BulkRun.objects.create(action="extend")
    _event(segment, bulk_run=run, at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    _event(None, action="create_audience")  # no segment: no link, no error
    page = viewer_client.get("/activity/").text
    link = f'<a href="/segments/{segment.segment_id}/">{segment.name}</a>'
    assert link in page
    assert f'<span class="sub">ID {segment.segment_id}</span>' in page
    assert (
        f'<span class="sub">Part of <a href="/bulk/{run.pk}/">bulk run {run.pk}</a></span>' in page
    )
    assert re.search(r"04 Mar 2026 \d\d:06:07", page)


def test_names_cost_no_query_per_row(viewer_client, synced):
    segments = list(Segment.objects.visible()[:60])
    for segment in segments[:5]:
        _event(segment)
    with CaptureQueriesContext(connection) as few:
        assert viewer_client.get("/activity/?per_page=25").status_code == 200
    for segment in segments[5:]:
        _event(segment)
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get("/activity/?per_page=50")
    assert len(set(_shown(response))) == 50
    assert len(many) == len(few)


def test_filter_by_bulk_run(viewer_client, synced):
    one, other = Segment.objects.visible()[:2]
    run = BulkRun.objects.create(action="extend")
    _event(one, bulk_run=run)
    _event(other)
    response = viewer_client.get(f"/activity/?bulk_run={run.pk}")
    assert set(_shown(response)) == {one.segment_id}
    assert set(_shown(viewer_client.get("/activity/"))) == {one.segment_id, other.segment_id}


def test_filter_by_account_includes_deleted_segments(viewer_client, synced):
    first = Segment.objects.visible().order_by("account_id").first()
    mine = Segment.objects.filter(account_id=first.account_id).order_by("segment_id")[:2]
    elsewhere = Segment.objects.exclude(account_id=first.account_id).first()
    Segment.objects.filter(pk=mine[1].pk).update(is_deleted=True)
    for segment in (*mine, elsewhere):
        _event(segment)
    response = viewer_client.get(f"/activity/?account={first.account_id}")
    assert set(_shown(response)) == {s.segment_id for s in mine}
    assert f'<option value="{first.account_id}" selected>' in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("bulk_run=abc", "Enter a whole number"),
        ("bulk_run=-1", "greater than or equal to"),
        ("account=999999999", "“999999999” is not one of its choices."),
    ],
)
def test_bad_activity_filters_are_reported(viewer_client, synced, query, message):
    response = viewer_client.get(f"/activity/?{query}")
    assert response.status_code == 200
    assert "Some filters were ignored" in response.text
    assert message in response.text
