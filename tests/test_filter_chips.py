"""The active filters as chips above the segments table, and the pipeline bar's
numbers for keyboard and screen reader users."""

from __future__ import annotations

import html
import re

import pytest

from segments import presentation
from segments.models import Segment

pytestmark = pytest.mark.django_db


def _chips(text: str) -> dict[str, tuple[str, str]]:
    """Each chip's id: its visible text and its URL."""
    return {
        m["id"]: (re.sub(r"<[^>]+>|\s+", " ", m["text"]).split("×")[0].split(), m["href"])
        for m in re.finditer(
            r'<a id="chip-(?P<id>[\w-]+)"[^>]* href="(?P<href>[^"]*)"[^>]*>(?P<text>.*?)</a>',
            html.unescape(text),
        )
    }


def test_one_chip_per_active_filter_each_removing_only_itself(viewer_client, synced):
    query = "status=Active&ends=within&within_days=30&active=no&problems=on&sort=-updated&page=2"
    chips = _chips(viewer_client.get(f"/segments/?{query}").text)
    assert {k: " ".join(v[0]) for k, v in chips.items()} == {
        "status": "Remove filter Status: Active",
        "active": "Remove filter Active: No",
        "ends": "Remove filter End date: within 30 days",
        "problems": "Remove filter Has failed or no-data items: yes",
        "clear-all": "Clear all",
    }
    base = "/segments/?"
    assert (
        chips["status"][1]
        == base + "ends=within&within_days=30&active=no&problems=on&sort=-updated"
    )
    assert chips["ends"][1] == base + "status=Active&active=no&problems=on&sort=-updated"
    assert chips["clear-all"][1] == base + "sort=-updated"


def test_choice_chips_name_the_choice_and_the_last_one_keeps_the_filters_off(viewer_client, synced):
    segment = Segment.objects.visible().select_related("account").first()
    chips = _chips(viewer_client.get(f"/segments/?account={segment.account_id}").text)
    label = " ".join(chips["account"][0])
    assert label.startswith(f"Remove filter Account: {segment.account.name} ·")
    # No filter left: not the bare URL, which would open the user's default view.
    assert chips["account"][1] == "/segments/?view=all"


def test_no_chips_without_filters_nor_for_ignored_values(viewer_client, synced):
    assert 'class="chips"' not in viewer_client.get("/segments/?view=all").text
    page = viewer_client.get("/segments/?status=NoSuchStatus").text
    assert "Some filters were ignored" in page
    assert 'class="chips"' not in page
    # "Between" with neither day filters nothing: no chip of two open ends.
    assert 'class="chips"' not in viewer_client.get("/segments/?ends=between").text
    page = viewer_client.get("/segments/?ends=between&end_from=nope&end_to=").text
    assert 'class="chips"' not in page
    chips = _chips(viewer_client.get("/segments/?ends=between&end_from=2026-03-01").text)
    assert " ".join(chips["ends"][0]) == "Remove filter End date: 1 Mar 2026 – …"


def test_a_chip_brings_the_filter_form_along_out_of_band(viewer_client, synced):
    htmx = {"HX-Request": "true"}
    removed = viewer_client.get(
        "/segments/?ends=expired", headers={**htmx, "HX-Trigger": "chip-status"}
    ).text
    form = re.search(r'<form id="segment-filters"[^>]*>', removed).group(0)
    assert 'hx-swap-oob="true"' in form
    assert '<option value="expired" selected>' in removed
    # A sort, a page or the form itself swaps the table alone.
    plain = viewer_client.get("/segments/?ends=expired", headers=htmx).text
    assert 'id="segment-filters"' not in plain
    assert 'id="chip-ends"' in plain
    # Named as the overview names it: the status "Expired" is another thing.
    assert " ".join(_chips(plain)["ends"][0]) == "Remove filter End date: Past its end date"


def test_the_pipeline_bar_is_one_tab_stop_named_by_its_numbers(viewer_client, synced):
    segment = Segment.objects.visible().exclude(total_ready_count=None).first()
    bar = str(presentation.pipeline_bar(segment))
    assert bar.count('tabindex="0"') == 1
    ready = presentation.number(segment.total_ready_count)
    name = re.search(r'role="img" aria-label="([^"]+)"', bar).group(1)
    assert f"ready {ready}" in name
    assert "failed" in name
    assert f"ready {ready}" in re.sub(r"<[^>]+>", "", bar.split('class="pipeline-tip"')[1])
    page = viewer_client.get("/segments/?per_page=25").text
    rows = re.findall(r'<tr id="segment-\d+".*?</tr>', page)
    assert len(rows) == 25
    stops = [row.count('class="pipeline-bar" tabindex="0"') for row in rows]
    assert max(stops) == 1
