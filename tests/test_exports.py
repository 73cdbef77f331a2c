"""The CSV export: the table's order, formula injection escaped, a byte order mark for
Excel on request."""

from __future__ import annotations

import csv
import io
import re

import pytest

from segments.models import Segment

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def export(client, query: str = "") -> str:
    response = client.get(f"/segments/export.csv{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def test_cells_that_would_run_as_formulas_are_escaped(viewer_client, synced):
    segments = list(Segment.objects.visible().order_by("segment_id")[: len(FORMULAS)])
    for segment, name in zip(segments, FORMULAS, strict=True):
        Segment.objects.filter(pk=segment.pk).update(name=name, segment_ref_id=name)
    rows = list(csv.DictReader(io.StringIO(export(viewer_client))))
    by_id = {int(row["segment_id"]): row for row in rows}
    for segment, name in zip(segments, FORMULAS, strict=True):
        assert by_id[segment.segment_id]["name"] == "'" + name
        assert by_id[segment.segment_id]["segment_ref_id"] == "'" + name
    dangerous = [cell for row in rows for cell in row.values() if cell and cell[0] in "=+@\t\r"]
    assert dangerous == []
    # Numbers stay numbers, however they start.
    assert all(row["segment_id"].isdigit() for row in rows)


def test_a_byte_order_mark_is_offered_for_excel(viewer_client, synced):
    Segment.objects.filter(pk=Segment.objects.visible().first().pk).update(name="Q1 – Q2")
    assert not export(viewer_client).startswith("\ufeff")
    text = export(viewer_client, "?bom=1")
    assert text.startswith("\ufeff")
    assert "Q1 – Q2" in text
    assert text[1:].startswith("segment_id,")
    assert "bom=1" in viewer_client.get("/segments/").text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sort=name",
        "sort=-total_log_count",
        "sort=audience",
        "sort=-account",
        "sort=review",
        "sort=nope",
        "status=Active&sort=-end_date",
        "cols=name,status&sort=-total_log_count",  # a sort of a hidden column: not applied
    ],
)
def test_the_export_keeps_the_tables_order(viewer_client, synced, query):
    page = viewer_client.get(f"/segments/?{query}&per_page=100").text
    shown = [int(i) for i in re.findall(r'<tr id="segment-(\d+)"', page)]
    assert len(shown) > 20
    exported = [
        int(row["segment_id"])
        for row in csv.DictReader(io.StringIO(export(viewer_client, f"?{query}")))
    ]
    assert exported[: len(shown)] == shown
