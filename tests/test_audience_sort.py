"""The table's sort by audience reads the sync's copy of each audience's name."""

from __future__ import annotations

import re

import pytest
from django.db.models import F
from django.urls import reverse

from segments.models import Audience, Segment
from segments.services.sync import sync_run

pytestmark = pytest.mark.django_db


def audience_names_in_table_order(client) -> list[str]:
    page = client.get(reverse("segment-list"), {"sort": "audience", "per_page": "100"})
    assert page.status_code == 200
    return re.findall(r'\?audience=\d+" title="([^"]*)"', page.content.decode())


def test_every_segment_has_its_audiences_name_and_the_table_sorts_by_it(synced, op_client):
    visible = Segment.objects.visible()
    assert visible.exists()
    assert not visible.exclude(audience_name=F("audience__name")).exists()
    names = audience_names_in_table_order(op_client)
    assert len(names) == min(100, visible.count())
    assert names == sorted(names)


def test_a_rename_on_the_platform_reaches_the_segments_and_the_sort(synced, op_client):
    last = Audience.objects.filter(segments__is_deleted=False).order_by("-name").first()
    synced.store.rename_audience(last.id, "AAA renamed first")

    assert sync_run().ok

    assert set(Segment.objects.filter(audience=last).values_list("audience_name", flat=True)) == {
        "AAA renamed first"
    }
    names = audience_names_in_table_order(op_client)
    assert names[0] == "AAA renamed first"
