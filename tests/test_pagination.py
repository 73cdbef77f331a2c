"""Table counts (``segments.pagination``): exact up to ``EXACT_COUNT_LIMIT``, above
it "about N": PostgreSQL's estimate or SQLite's exact count, reused for a minute."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import Segment

pytestmark = pytest.mark.django_db


def shown_count(response) -> tuple[bool, int]:
    found = re.search(r'<span class="count"[^>]*>(about )?([\d,]+) segments', response.text)
    return bool(found.group(1)), int(found.group(2).replace(",", ""))


def test_below_the_limit_the_count_is_exact(viewer_client, synced):
    response = viewer_client.get("/segments/?status=Active", headers={"HX-Request": "true"})
    active = Segment.objects.visible().filter(status="Active").count()
    assert shown_count(response) == (False, active)


def test_a_filter_that_matches_nothing_counts_none(viewer_client, synced):
    """On SQLite a name search the text index finds nothing for is an empty id list,
    a query no database is asked."""
    response = viewer_client.get("/segments/?q=qqqzzzxxx", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert shown_count(response) == (False, 0)


def test_above_the_limit_postgresql_estimates_and_says_so(viewer_client, synced, settings):
    settings.EXACT_COUNT_LIMIT = 50
    response = viewer_client.get("/segments/", headers={"HX-Request": "true"})
    estimated, count = shown_count(response)
    visible = Segment.objects.visible().count()
    if connection.vendor == "postgresql":
        assert estimated
        assert count > 50
        assert "page 1 of about" in response.text
    else:
        assert (estimated, count) == (True, visible)
    # Either way the page itself is right, and a deep page still answers.
    assert len(re.findall(r'<tr id="segment-(\d+)"', response.text)) == 25
    last = viewer_client.get("/segments/?page=9999", headers={"HX-Request": "true"})
    assert last.status_code == 200


def test_above_the_limit_a_count_is_reused_for_the_same_filter(viewer_client, synced, settings):
    """SQLite counts once and reuses it for the filter; PostgreSQL's estimate does not
    follow one row either. Another filter is counted anew."""
    settings.EXACT_COUNT_LIMIT = 50
    first = shown_count(viewer_client.get("/segments/", headers={"HX-Request": "true"}))
    Segment.objects.filter(pk=Segment.objects.visible().first().pk).update(is_deleted=True)
    again = shown_count(viewer_client.get("/segments/?sort=name", headers={"HX-Request": "true"}))
    assert again == first  # the same filter, another sort
    active = viewer_client.get("/segments/?status=Active", headers={"HX-Request": "true"})
    estimated, count = shown_count(active)
    assert estimated
    if connection.vendor == "sqlite":
        assert count == Segment.objects.visible().filter(status="Active").count()


def test_above_the_limit_the_same_filter_is_not_counted_again(viewer_client, synced, settings):
    """Paging or sorting a large filter reuses its figure: no count, no estimate."""
    settings.EXACT_COUNT_LIMIT = 50
    with CaptureQueriesContext(connection) as first:
        viewer_client.get("/segments/?status=Active", headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as again:
        response = viewer_client.get(
            "/segments/?status=Active&sort=name&page=2", headers={"HX-Request": "true"}
        )

    def counting(captured):
        return [q["sql"] for q in captured if "COUNT(" in q["sql"] or "EXPLAIN" in q["sql"]]

    assert counting(first.captured_queries)
    assert counting(again.captured_queries) == []
    assert shown_count(response)[0]  # still shown as "about N"


@pytest.mark.parametrize("page", ["0", "-1", "-99999"])
def test_a_page_below_the_first_is_the_first(viewer_client, synced, page):
    """django-tables2 took page 0 or -1 for one past the end and showed the last page."""
    response = viewer_client.get(f"/segments/?page={page}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert re.search(r"· page 1 of \d+</span>", response.text)
    assert re.search(r'<span class="current" aria-current="page">1</span>', response.text)
