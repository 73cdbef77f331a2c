"""How the tables present themselves: the column chooser's labels, and the count line
("1 segment", "25 segments", "about N segments") in the text and in the announcement."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from bench.table import COUNT_RE
from segments.models import Segment
from segments.selectors.saved_views import CHOOSABLE_COLUMNS
from segments.tables import SegmentTable

HX = {"HX-Request": "true"}


def count_line(text: str) -> str:
    return html.unescape(re.search(r'<span class="count"[^>]*>([^<]*)</span>', text).group(1))


def announcement(text: str) -> str:
    return html.unescape(re.search(r'data-announce="([^"]*)"', text).group(1))


# --- the column chooser -----------------------------------------------------------


def test_every_column_choice_has_a_human_label():
    choices = SegmentTable.column_choices(CHOOSABLE_COLUMNS)
    assert [name for name, _, _ in choices] == list(CHOOSABLE_COLUMNS)
    for name, label, shown in choices:
        assert shown
        assert label.strip(), name
        assert label not in {"None", name}, (name, label)
        assert label[0].isupper(), (name, label)
        assert "_" not in label, (name, label)
    assert {name: label for name, label, _ in choices}["status"] == "Status"


def test_every_segment_column_but_the_select_box_names_itself():
    """A column without a verbose_name borrows the model field's name in the header,
    but the chooser reads the column's own: every column has one."""
    for name, column in SegmentTable.base_columns.items():
        assert column.verbose_name, name


@pytest.mark.django_db
def test_the_chooser_shows_the_labels(viewer_client):
    response = viewer_client.get("/segments/columns/", headers=HX)
    assert response.status_code == 200
    labels = re.findall(r'value="(\w+)"[^>]*> ([^<]+)</label>', response.text)
    assert dict(labels)["status"] == "Status"
    assert "None" not in dict(labels).values()
    assert len(labels) == len(CHOOSABLE_COLUMNS)


# --- the count line ---------------------------------------------------------------


def region_count(count: int, *, estimated: bool = False, pages: int = 1, **context) -> str:
    table = SimpleNamespace(
        paginator=SimpleNamespace(count=count, estimated=estimated, num_pages=pages)
    )
    return render_to_string("segments/_table_region.html#count", {"table": table, **context})


@pytest.mark.parametrize(
    ("count", "estimated", "noun", "expected"),
    [
        (0, False, "segments", "0 segments"),
        (1, False, "segments", "1 segment"),
        (2, False, "segments", "2 segments"),
        (1, False, "audiences", "1 audience"),
        (1, False, "accounts", "1 account"),
        (1, False, "events", "1 event"),
        (1, False, None, "1 row"),
        (7, False, None, "7 rows"),
        (120000, True, "segments", "120000 segments"),
        # An estimate is never one, but would stay plural.
        (1, True, "segments", "1 segments"),
    ],
)
def test_the_count_is_singular_for_one(count, estimated, noun, expected):
    context = {"noun": noun} if noun else {}
    assert region_count(count, estimated=estimated, **context) == expected


def test_a_singular_can_be_given_for_a_noun_not_made_with_s():
    assert region_count(1, noun="entries", noun_one="entry") == "1 entry"
    assert region_count(3, noun="entries", noun_one="entry") == "3 entries"


@pytest.mark.django_db
def test_one_segment_is_one_segment_in_the_line_and_the_announcement(viewer_client, synced):
    segment = Segment.objects.visible().order_by("pk").first()
    response = viewer_client.get(f"/segments/?q={segment.segment_id}", headers=HX)
    assert re.findall(r'<tr id="segment-(\d+)"', response.text) == [str(segment.segment_id)]
    assert count_line(response.text) == "1 segment"
    assert announcement(response.text).endswith(". 1 segment.")
    assert COUNT_RE.search(response.content).group(1) == b"1"


@pytest.mark.django_db
def test_many_segments_stay_plural_in_the_line_and_the_announcement(viewer_client, synced):
    response = viewer_client.get("/segments/", headers=HX)
    total = Segment.objects.visible().count()
    pages = -(-total // 25)
    assert count_line(response.text) == f"{total} segments · page 1 of {pages}"
    assert announcement(response.text).endswith(f". {total} segments, page 1 of {pages}.")
    assert COUNT_RE.search(response.content).group(1) == str(total).encode()


@pytest.mark.django_db
def test_an_estimated_count_says_about_in_the_line_and_the_announcement(
    viewer_client, synced, settings
):
    settings.EXACT_COUNT_LIMIT = 50
    response = viewer_client.get("/segments/", headers=HX)
    line, said = count_line(response.text), announcement(response.text)
    assert re.fullmatch(r"about \d+ segments · page 1 of about \d+", line), line
    assert re.search(r"\. about \d+ segments, page 1 of about \d+\.$", said), said
    assert COUNT_RE.search(response.content)


@pytest.mark.django_db
def test_one_audience_is_one_audience(viewer_client, synced):
    response = viewer_client.get("/audiences/?ids=1001", headers=HX)
    assert count_line(response.text) == "1 audience"
    assert announcement(response.text).endswith("1 audience.")


def test_the_bench_reads_every_count_line():
    for line, count in (
        (b'<span class="count" id="results" tabindex="-1">1 segment</span>', b"1"),
        (b'<span class="count" id="results" tabindex="-1">25 segments</span>', b"25"),
        (b'<span class="count" id="results">about 1,000 segments \xc2\xb7 page 1', b"1,000"),
    ):
        assert COUNT_RE.search(line).group(1) == count


def test_a_stored_message_s_utc_times_show_in_the_operator_s_zone():
    """Messages are stored in UTC (audit trail); pages show every date in the
    operator's zone, messages included, with UTC on hover."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone
    from django.utils.safestring import mark_safe

    from segments.presentation import local_times

    with timezone.override(ZoneInfo("America/New_York")):
        shown = local_times("End date of “<b>A</b>” moved to 20 Dec 2026 15:00 UTC.")
        assert shown == (
            "End date of “&lt;b&gt;A&lt;/b&gt;” moved to "
            '<time datetime="2026-12-20T15:00:00+00:00" title="2026-12-20 15:00:00 UTC">'
            "20 Dec 2026 10:00</time>."
        )
        assert local_times("not a day: 31 Feb 2026 10:00 UTC") == (
            "not a day: 31 Feb 2026 10:00 UTC"
        )
        assert local_times(mark_safe("<a href='/x'>at 01 Jan 2027 00:00 UTC</a>")).startswith(
            "<a href='/x'>at <time"
        )
