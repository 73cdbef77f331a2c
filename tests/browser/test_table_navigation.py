"""The segments table in a real browser: filter, sort, paginate, column widths,
back and reload, the busy indicator, links without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from segments.models import Segment
from tests.browser import BROWSER_TEST
from tests.browser.conftest import login
from tests.browser.pages import marker, set_marker, settled, url_param
from tests.browser.segment_table import (
    column,
    count_of,
    header,
    log_counts,
    parse_number,
    row_ids,
    sort_by,
    statuses_by_count,
)

pytestmark = BROWSER_TEST


def test_segments_filter_sort_paginate_reload_and_back(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/")
    set_marker(page)
    status, expected = statuses_by_count()[0]
    assert expected > 50
    by_log = log_counts(status=status, descending=True)

    # Filter through the form: HTMX swaps the table, the document stays.
    page.get_by_label("Status").select_option(status)
    expect(page).to_have_url(url_param("status", status))
    expect(page.locator("#table .count")).to_contain_text(f"{expected:,} segments")
    settled(page)
    assert set(column(page, "Status")) == {status}
    assert marker(page) == "same document"

    # Sort by clicking a header: first ascending, then descending.
    log_header = header(page, "Log events")
    log_header.get_by_role("link").click()
    expect(log_header).to_have_attribute("aria-sort", "ascending")
    expect(page).to_have_url(url_param("sort", "total_log_count"))
    log_header.get_by_role("link").click()
    expect(log_header).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(url_param("sort", "-total_log_count"))
    settled(page)
    assert [parse_number(t) for t in column(page, "Log events")] == by_log[:25]
    assert marker(page) == "same document"

    # Page 2 of the sorted, filtered rows.
    page.locator("nav.pagination").get_by_role("link", name="2", exact=True).click()
    expect(page.locator("nav.pagination .current")).to_have_text("2")
    expect(page).to_have_url(url_param("page", "2"))
    expect(page).to_have_url(url_param("sort", "-total_log_count"))
    expect(page).to_have_url(url_param("status", status))
    settled(page)
    assert [parse_number(t) for t in column(page, "Log events")] == by_log[25:50]
    assert set(column(page, "Status")) == {status}
    assert marker(page) == "same document"
    page_two_url, page_two_rows = page.url, row_ids(page)

    # 50 rows a page (back to page 1: the form does not carry the page).
    page.get_by_label("Rows").select_option("50")
    expect(page).to_have_url(url_param("per_page", "50"))
    expect(page.locator("#table tbody tr")).to_have_count(50)
    settled(page)
    assert marker(page) == "same document"
    assert set(column(page, "Status")) == {status}
    pushed, rows = page.url, row_ids(page)
    assert url_param("status", status).search(pushed)

    # The pushed URL alone gives the same rows in the same order.
    page.reload()
    assert page.url == pushed
    assert marker(page) is None  # a real load, not a swap
    assert row_ids(page) == rows
    expect(page.get_by_label("Status")).to_have_value(status)
    expect(page.get_by_label("Rows")).to_have_value("50")

    # Back, to an entry the earlier document pushed: loaded again from its URL.
    page.go_back()
    expect(page).to_have_url(page_two_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments")
    expect(page.get_by_label("Status")).to_have_value(status)
    expect(page.locator("nav.pagination .current")).to_have_text("2")
    settled(page)
    assert row_ids(page) == page_two_rows


# Cells (and headers) whose content is wider than their box: cut off, or run into the next.
CUT_JS = """(selector) => [...document.querySelectorAll(selector)]
    .filter(el => el.getClientRects().length && el.scrollWidth > el.clientWidth)
    .map(el => `${el.closest('tr').id || 'header'} ${el.dataset.col || el.className}: `
        + `${el.textContent.trim()} (${el.scrollWidth} > ${el.clientWidth} px)`)"""


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1400, "height": 900}, {"width": 1280, "height": 800}],
    ids=["1400px", "1280px"],
)
def test_numbers_are_never_cut_and_every_chosen_column_shows(page: Page, mirror, viewport):
    """A number cut short reads as another value: numbers, dates, badges and buttons
    keep their width, headers do not run into each other; only names give way."""
    page.set_viewport_size(viewport)
    login(page, "operator")
    widest = Segment.objects.visible().order_by("-total_log_count").first()
    Segment.objects.filter(pk=widest.pk).update(total_log_count=999_999_999_999_999)
    page.goto("/segments/?sort=-total_log_count")
    settled(page)
    assert column(page, "Log events")[0] == "999,999,999,999,999"
    # Every column shows, the last update too (none is hidden for the screen's width).
    heads = page.locator("#table thead th")
    assert heads.count() == 13
    for i in range(heads.count()):
        expect(heads.nth(i)).to_be_visible()
    expect(page.locator("#table tbody tr").first.locator("time").last).to_be_visible()
    cut = page.evaluate(CUT_JS, "#segments-table th, #segments-table td:not(.name):not(.wrap)")
    assert not cut, cut

    # A column chosen alone shows, whatever the width.
    page.goto("/segments/?cols=updated")
    settled(page)
    expect(page.locator("th[data-col=updated]")).to_be_visible()
    assert [c for c in column(page, "Updated") if re.fullmatch(r"\d\d \w{3} \d{4}", c)]
    assert not page.evaluate(CUT_JS, "#segments-table th, #segments-table td:not(.name)")


def test_paging_through_a_sort_on_a_shared_value_shows_every_segment_once(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/?per_page=100")
    sort_by(page, "Status")
    total = count_of(page)
    assert total == Segment.objects.visible().count() > 200
    seen, current = row_ids(page), 1
    while (following := page.locator("nav.pagination a[rel=next]")).count():
        following.click()
        current += 1
        expect(page.locator("nav.pagination .current")).to_have_text(str(current))
        settled(page)
        seen += row_ids(page)
    assert len(seen) == total
    assert len(set(seen)) == total, f"{total - len(set(seen))} segments never shown"


def test_changing_rows_per_page_keeps_the_sort(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/")
    log_header = sort_by(page, "Log events")

    with page.expect_response(lambda r: "per_page=50" in r.url):
        page.get_by_label("Rows").select_option("50")
    expect(page.locator("#table tbody tr")).to_have_count(50)
    settled(page)
    assert url_param("sort", "total_log_count").search(page.url), page.url
    assert log_header.get_attribute("aria-sort") == "ascending"
    assert [parse_number(t) for t in column(page, "Log events")] == log_counts()[:50]


def test_back_within_the_page_restores_the_whole_previous_page(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/")
    status, expected = statuses_by_count()[1]
    page.get_by_label("Status").select_option(status)
    expect(page.locator("#table .count")).to_contain_text(f"{expected:,} segments")
    settled(page)
    filtered_url, rows = page.url, row_ids(page)
    set_marker(page)
    header(page, "Name").get_by_role("link").click()
    expect(page).to_have_url(url_param("sort", "name"))
    settled(page)

    # The entry was pushed by HTMX in this document: htmx restores it from the server.
    restore = "hx-history-restore-request"
    with page.expect_response(lambda r: r.request.headers.get(restore) == "true"):
        page.go_back()
    expect(page).to_have_url(filtered_url)
    settled(page)
    assert marker(page) == "same document"
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments", timeout=3_000)
    expect(page.get_by_label("Status")).to_have_value(status)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert row_ids(page) == rows


def test_enter_or_apply_on_a_view_already_shown_adds_no_history_entry(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/")
    word = max(Segment.objects.visible().order_by("segment_id")[3].name.split(), key=len)
    search = page.get_by_label("Search")
    search.fill(word)  # applied as typed
    expect(page).to_have_url(url_param("q", word))
    settled(page)
    entries = page.evaluate("history.length")
    search.press("Enter")  # the same view again
    settled(page)
    page.get_by_role("button", name="Apply").click()
    settled(page)
    assert page.evaluate("history.length") == entries
    expect(page).to_have_url(url_param("q", word))
    page.go_back()  # one Back leaves the search
    expect(page).not_to_have_url(re.compile(r"[?&]q="))
    settled(page)
    expect(search).to_have_value("")


def test_back_from_a_detail_page_restores_the_filtered_list(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/")
    status, expected = statuses_by_count()[1]
    page.get_by_label("Status").select_option(status)
    expect(page).to_have_url(url_param("status", status))
    expect(page.locator("#table .count")).to_contain_text(f"{expected:,} segments")
    settled(page)
    rows = row_ids(page)

    page.locator("#table tbody tr").first.locator("td").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/segments/\d+/$"))

    page.go_back(wait_until="load")
    expect(page).to_have_url(url_param("status", status))
    # The whole page, not the table fragment the HTMX request got from this URL.
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments", timeout=3_000)
    expect(page.get_by_label("Status")).to_have_value(status)
    settled(page)
    assert row_ids(page) == rows


def test_the_busy_indicator_shows_while_a_table_request_is_in_flight(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/")
    busy = page.locator("#busy")
    expect(busy).to_be_hidden()
    seen: list[str] = []

    def hold(route):
        # The request is held here, unanswered: the indicator must be showing.
        try:
            expect(busy).to_be_visible(timeout=5_000)
            seen.append("visible")
        except AssertionError as exc:
            seen.append(f"not visible: {exc}")
        finally:
            route.continue_()

    page.route(lambda url: "sort=" in url and "/segments/" in url, hold)
    with page.expect_response(lambda r: "sort=name" in r.url) as answer:
        header(page, "Name").get_by_role("link").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    assert seen == ["visible"]
    expect(header(page, "Name")).to_have_attribute("aria-sort", "ascending")
    expect(busy).to_be_hidden()


def test_sort_and_pagination_links_work_without_javascript(new_context, mirror):
    page = new_context(java_script_enabled=False).new_page()
    login(page, "viewer")
    status, expected = statuses_by_count()[0]
    by_log = log_counts(status=status)
    page.goto(f"/segments/?status={status}")

    # Without scripts every click is a plain navigation to the link's href.
    log_header = header(page, "Log events")
    log_header.get_by_role("link").click()
    expect(page).to_have_url(url_param("sort", "total_log_count"))
    expect(page).to_have_url(url_param("status", status))
    expect(log_header).to_have_attribute("aria-sort", "ascending")
    assert [parse_number(t) for t in column(page, "Log events")] == by_log[:25]

    page.locator("nav.pagination").get_by_role("link", name="Next").click()
    expect(page).to_have_url(url_param("page", "2"))
    expect(page).to_have_url(url_param("sort", "total_log_count"))
    expect(page.locator("nav.pagination .current")).to_have_text("2")
    assert [parse_number(t) for t in column(page, "Log events")] == by_log[25:50]
    assert set(column(page, "Status")) == {status}
    assert count_of(page) == expected

    # The filter form submits as a plain GET.
    page.get_by_label("Rows").select_option("50")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(url_param("per_page", "50"))
    expect(page.locator("#table tbody tr")).to_have_count(50)
