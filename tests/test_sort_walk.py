"""SQLite reads a page of a many-matching filter along the sort's index
(``segments.models.sort_walk``): the same rows as the plain query, in order."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from segments.models import Segment, sort_walk

pytestmark = pytest.mark.django_db

ORDERS = [("name", "pk"), ("-updated", "pk"), ("-total_log_count", "pk"), ("audience_name", "pk")]
FILTERS = [{}, {"active": True}, {"has_problems": True}, {"status": "Active"}, {"platform_id": 2}]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("filters", FILTERS)
def test_the_walk_reads_the_plain_querys_page(synced, monkeypatch, order, filters):
    monkeypatch.setattr(sort_walk, "WALK_CHUNK", 7)  # many chunks on the small mirror
    queryset = Segment.objects.visible().filter(**filters).order_by(*order)
    plain = list(queryset.values_list("pk", flat=True)[5:30])
    walked = sort_walk.sort_walk_keys(queryset, 5, 30)
    if connection.vendor != "sqlite":
        assert walked is None
    else:
        assert plain
        assert walked == plain


def test_past_its_limit_the_walk_leaves_the_page_to_the_plain_query(synced, monkeypatch):
    monkeypatch.setattr(sort_walk, "WALK_CHUNK", 5)
    monkeypatch.setattr(sort_walk, "WALK_LIMIT", 10)
    rare = Segment.objects.visible().order_by("-name").first()
    queryset = Segment.objects.visible().filter(pk=rare.pk).order_by("name", "pk")
    assert sort_walk.sort_walk_keys(queryset, 0, 1) is None
    assert (
        sort_walk.sort_walk_keys(Segment.objects.visible().order_by("status", "pk"), 0, 5) is None
    )


def selected_ids(client, params) -> list[str]:
    page = client.get(reverse("segment-list"), params, headers={"HX-Request": "true"})
    assert page.status_code == 200
    return re.findall(r'name="selected" value="(\d+)"', page.content.decode())


def test_the_table_shows_the_same_page_when_many_rows_match(
    synced, op_client, settings, monkeypatch
):
    from segments.models import mirror

    walks = []

    def spy(queryset, start, stop):
        walks.append(keys := sort_walk.sort_walk_keys(queryset, start, stop))
        return keys

    monkeypatch.setattr(mirror, "sort_walk_keys", spy)
    params = {"active": "yes", "sort": "-updated", "page": "2", "per_page": "25"}
    settings.EXACT_COUNT_LIMIT = 100_000
    exact = selected_ids(op_client, params)
    assert walks == []
    settings.EXACT_COUNT_LIMIT = 10  # "many" rows match: the paginator marks the queryset
    walked = selected_ids(op_client, params)
    assert len(exact) == 25
    assert walked == exact
    assert len(walks) == 1
    assert (walks[0] is not None) == (connection.vendor == "sqlite")
