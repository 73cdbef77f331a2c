"""The segments table's default order: the soonest upcoming end first, then segments
without an end date, then the expired ones; read by index ranges, not a sort."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segments.models import SavedView, Segment
from segments.selectors.saved_views import canonical_table_query

pytestmark = pytest.mark.django_db


def _rows(response) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="segment-(\d+)"', response.text)]


def _upcoming_first(queryset, now) -> list[int]:
    """The expected order, computed in Python."""
    rows = list(queryset.values_list("segment_id", "end_date"))
    upcoming = sorted((end, i) for i, end in rows if end is not None and end >= now)
    undated = sorted(i for i, end in rows if end is None)
    expired = sorted((end, i) for i, end in rows if end is not None and end < now)
    return [i for _, i in upcoming] + undated + [i for _, i in expired]


@pytest.fixture
def undated(synced):
    """Three segments without an end date, so every part of the order has rows."""
    ids = list(Segment.objects.visible().order_by("-segment_id").values_list("pk", flat=True)[:3])
    Segment.objects.filter(pk__in=ids).update(end_date=None)
    return ids


def test_page_one_starts_with_the_soonest_upcoming_end(viewer_client, undated):
    now = timezone.now()
    expected = _upcoming_first(Segment.objects.visible(), now)
    first = Segment.objects.get(pk=expected[0])
    assert first.end_date >= now
    assert Segment.objects.visible().filter(end_date__lt=now).exists()  # there are expired ones

    response = viewer_client.get("/segments/?per_page=50")
    assert _rows(response) == expected[:50]
    assert "Soonest upcoming end first" in response.text  # what the live region says

    # The last page ends with the expired segments, after those without an end date.
    total = len(expected)
    last = viewer_client.get(f"/segments/?per_page=50&page={(total + 49) // 50}")
    assert _rows(last) == expected[(total - 1) // 50 * 50 :]
    assert Segment.objects.get(pk=_rows(last)[-1]).end_date < now


def test_every_slice_of_the_keyed_pages_matches_the_sql_order(undated):
    """The slice by index ranges and the plain ORDER BY give the same rows, across the
    boundaries between upcoming, undated and expired."""
    now = timezone.now()
    visible = Segment.objects.visible()
    ordered = list(visible.upcoming_first(now=now).values_list("pk", flat=True))
    assert ordered == _upcoming_first(visible, now)
    paged = visible.paged_by_keys().upcoming_first(now=now)
    upcoming = visible.filter(end_date__gte=now).count()
    for start in (0, upcoming - 2, upcoming, upcoming + 1, upcoming + 2, len(ordered) - 2):
        assert [s.pk for s in paged[start : start + 5]] == ordered[start : start + 5], start


def test_an_explicit_sort_still_applies(viewer_client, synced):
    response = viewer_client.get("/segments/?sort=end_date&per_page=25")
    expected = list(
        Segment.objects.visible().order_by("end_date", "segment_id").values_list("pk", flat=True)
    )
    assert _rows(response) == expected[:25]
    assert Segment.objects.get(pk=expected[0]).end_date < timezone.now()  # the oldest first
    descending = viewer_client.get("/segments/?sort=-end_date&per_page=25")
    latest = Segment.objects.visible().order_by("-end_date", "segment_id").first()
    assert _rows(descending)[0] == latest.pk


@pytest.mark.parametrize("sort", ["", "bogus", "pipeline"])
def test_an_empty_or_unknown_sort_is_the_default_order(viewer_client, synced, sort):
    default = _rows(viewer_client.get("/segments/?per_page=25"))
    assert _rows(viewer_client.get(f"/segments/?per_page=25&sort={sort}")) == default


def test_a_saved_view_of_the_default_order_reproduces_the_table(viewer_client, viewer, synced):
    url_query = "status=Active&sort=&per_page=25"
    query = canonical_table_query(QueryDict(url_query))
    assert "sort" not in query  # the default order is no sort at all
    view = SavedView.objects.create(name="Active", owner=viewer, query=query)
    shown = _rows(viewer_client.get(f"/segments/?{url_query}"))
    opened = _rows(viewer_client.get(f"/segments/?{view.query}"))
    assert opened == shown
    assert len(shown) == 25


def test_the_default_page_reads_its_keys_by_an_index_range(viewer_client, synced):
    """No sort step: the page's keys come from the (is_deleted, end_date) index."""
    with CaptureQueriesContext(connection) as queries:
        viewer_client.get("/segments/")
    keyed = [
        q["sql"]
        for q in queries.captured_queries
        if '"end_date" >=' in q["sql"] and "LIMIT" in q["sql"] and "CASE" not in q["sql"]
    ]
    assert len(keyed) == 1, [q["sql"] for q in queries.captured_queries]
    assert not any(
        "CASE WHEN" in q["sql"] and "ORDER BY" in q["sql"] for q in queries.captured_queries
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {keyed[0]}")
            plan = " ".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            assert "Index" in plan, plan
            assert "Sort" not in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {keyed[0]}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "INDEX" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


def test_the_default_order_shows_segments_ending_today_before_tomorrow(viewer_client, synced):
    now = timezone.now()
    soon, later = Segment.objects.visible().order_by("segment_id")[:2]
    Segment.objects.filter(pk=later.pk).update(end_date=now + timedelta(minutes=2))
    Segment.objects.filter(pk=soon.pk).update(end_date=now + timedelta(minutes=1))
    assert _rows(viewer_client.get("/segments/"))[:2] == [soon.pk, later.pk]
