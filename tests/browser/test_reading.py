"""The reading side in a real browser: log in, overview, tables with HTMX, detail, refresh."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count
from playwright.sync_api import Page, expect

from segments.models import Audience, Segment
from tests.browser.conftest import BROWSER_TIME_ZONE, login

pytestmark = [
    pytest.mark.browser,
    # live_server needs a transactional database; the serialized rollback brings
    # back what the migrations wrote (the role groups) after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


MARKER = "window.__deskMarker"
COLUMN_JS = """([header]) => {
    const table = document.querySelector('#table table');
    const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
    const i = heads.indexOf(header);
    if (i < 0) { throw new Error(`no column ${header} in ${heads}`); }
    return [...table.tBodies[0].rows].map(r => r.cells[i].textContent.trim());
}"""


# --- helpers ----------------------------------------------------------------------


def column(page: Page, title: str) -> list[str]:
    """The texts of one column of the page's table, found by its header."""
    return page.evaluate(COLUMN_JS, [title])


def row_ids(page: Page) -> list[str]:
    return page.locator("#table tbody tr").evaluate_all("rows => rows.map(r => r.id)")


def count_of(page: Page) -> int:
    text = page.locator("#table .table-meta .count").inner_text()
    return int(re.match(r"[\d,]+", text).group().replace(",", ""))


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def parse_number(text: str) -> int | None:
    return None if text == "—" else int(text.replace(",", ""))


def set_marker(page: Page) -> None:
    """A value that lives as long as the document: an HTMX swap keeps it, a load loses it."""
    page.evaluate(f"{MARKER} = 'same document'")


def marker(page: Page):
    return page.evaluate(MARKER)


def settled(page: Page) -> None:
    """No HTMX request in flight (the indicator is shown while any is)."""
    expect(page.locator("#busy")).to_be_hidden()


def statuses_by_count() -> list[tuple[str, int]]:
    rows = (
        Segment.objects.visible()
        .values("status")
        .annotate(n=Count("segment_id"))
        .order_by("-n", "status")
    )
    return [(row["status"], row["n"]) for row in rows]


def log_counts(*, descending: bool = False, **filters) -> list[int | None]:
    """The visible segments' log counts in the table's order for that sort."""
    order = "-total_log_count" if descending else "total_log_count"
    rows = Segment.objects.visible().filter(**filters).order_by(order)
    return list(rows.values_list("total_log_count", flat=True))


def header(page: Page, text: str):
    """The table's column header with exactly this text (the CSS upper-cases it)."""
    return page.locator("#table thead th").filter(
        has_text=re.compile(rf"^\s*{re.escape(text)}\s*$", re.IGNORECASE)
    )


def url_param(name: str, value: str) -> re.Pattern:
    return re.compile(rf"[?&]{re.escape(name)}={re.escape(value)}(&|$)")


# --- tests --------------------------------------------------------------------------


def test_login_rejects_a_wrong_password_and_accepts_the_right_one(page: Page, mirror, live_server):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))

    login(page, "viewer", password="not-the-password")
    error = page.locator(".banner-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_label("User name")).to_have_value("viewer")
    expect(page.get_by_label("Password")).to_have_value("")

    login(page, "viewer")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".who")).to_contain_text("viewer · Viewer")
    expect(page.locator(".banner-error")).to_have_count(0)


def test_a_status_card_leads_to_the_segments_of_that_status(viewer_page: Page):
    page = viewer_page
    # The second most common status: a real filter, and more than one page of rows.
    status, expected = statuses_by_count()[1]
    card = page.locator("section.cards a.card").filter(
        has=page.locator(".label .badge", has_text=re.compile(rf"^{re.escape(status)}$"))
    )
    expect(card).to_have_count(1)
    expect(card.locator(".value")).to_have_text(number(expected))

    card.click()
    expect(page).to_have_url(url_param("status", status))
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments")
    expect(page.locator("#id_status")).to_have_value(status)
    assert count_of(page) == expected
    statuses = column(page, "Status")
    assert len(statuses) == min(expected, 25)
    assert set(statuses) == {status}


def test_audiences_filtered_by_a_list_of_ids(viewer_page: Page):
    page = viewer_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audiences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audiences")
    set_marker(page)
    audiences = list(Audience.objects.filter(is_deleted=False).order_by("id"))
    assert len(audiences) > 25
    first_cells = page.locator("#audiences-table tbody tr td:first-child")
    expect(first_cells).to_have_count(25)

    # A comma list, with spaces and a doubled comma, gives exactly those audiences.
    wanted = [audiences[3].id, audiences[17].id, audiences[-2].id]
    page.get_by_label("Audience ids").fill(f"{wanted[2]}, {wanted[0]},,{wanted[1]}")
    page.get_by_label("Audience ids").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]ids=\d"))
    expect(first_cells).to_have_text([str(i) for i in wanted])
    expect(page.locator("#table .count")).to_have_text("3 audiences")
    settled(page)
    assert marker(page) == "same document"

    # A bad id is reported and left out, not a server error.
    page.get_by_label("Audience ids").fill(f"{wanted[0]}, abc")
    page.get_by_label("Audience ids").press("Enter")
    expect(page.locator("#table .banner-warning")).to_contain_text("is not an audience id")
    expect(first_cells).to_have_count(25)
    settled(page)


def test_audiences_filtered_by_a_last_updated_range_in_the_browsers_zone(viewer_page: Page):
    page = viewer_page
    page.goto("/audiences/")
    set_marker(page)
    zone = ZoneInfo(BROWSER_TIME_ZONE)
    audiences = list(Audience.objects.filter(is_deleted=False).exclude(last_updated=None))
    stamps = sorted(a.last_updated for a in audiences)
    # Local minutes of the browser's zone, as a datetime-local input takes them.
    lower = stamps[10].astimezone(zone).replace(second=0, microsecond=0)
    upper = stamps[22].astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
    expected = list(
        Audience.objects.filter(is_deleted=False, last_updated__gte=lower, last_updated__lte=upper)
        .order_by("id")
        .values_list("id", flat=True)
    )
    assert 2 <= len(expected) <= 25

    page.get_by_label("Last updated").select_option("bt")
    dates_from, dates_to = page.locator("#id_updated_from"), page.locator("#id_updated_to")
    expect(dates_from).to_be_visible()
    expect(dates_to).to_be_visible()
    dates_from.fill(f"{lower:%Y-%m-%dT%H:%M}")
    with page.expect_response(lambda r: re.search(r"updated_to=\d", r.url)):
        dates_to.fill(f"{upper:%Y-%m-%dT%H:%M}")
    expect(page).to_have_url(re.compile(r"updated_condition=bt&.*updated_to=\d"))
    settled(page)
    assert marker(page) == "same document"
    expect(page.locator("#table .banner-warning")).to_have_count(0)

    # Dates are shown in the browser's zone ...
    times = page.locator("#audiences-table tbody tr td:nth-child(4) time")
    shown = times.evaluate_all("ts => ts.map(t => [t.getAttribute('datetime'), t.textContent])")
    assert shown
    for stamp, text in shown:
        assert text == f"{datetime.fromisoformat(stamp).astimezone(zone):%d %b %Y %H:%M}"
    # ... and the range is read in it: the database's answer, inclusive at both ends.
    ids = page.locator("#audiences-table tbody tr td:first-child").all_inner_texts()
    assert [int(i) for i in ids] == expected
    assert all(lower <= datetime.fromisoformat(stamp) <= upper for stamp, _ in shown)


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
    status_header = header(page, "Status")
    status_header.get_by_role("link").click()
    expect(status_header).to_have_attribute("aria-sort", "ascending")
    settled(page)
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
    log_header = header(page, "Log events")
    log_header.get_by_role("link").click()
    expect(log_header).to_have_attribute("aria-sort", "ascending")
    settled(page)

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


def test_segment_detail_from_a_row_link(viewer_page: Page):
    page = viewer_page
    page.goto("/segments/?problems=on&sort=-total_log_count")
    first = page.locator("#table tbody tr").first
    segment_id = int(first.get_attribute("id").removeprefix("segment-"))
    segment = Segment.objects.select_related("account").get(segment_id=segment_id)

    first.get_by_role("link", name=segment.name).click()
    expect(page).to_have_url(re.compile(rf"/segments/{segment_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(segment.name)
    expect(page.get_by_role("heading", level=1)).to_contain_text(segment.status)

    pipeline = page.get_by_role("table", name="Pipeline counts")
    for label, value in [
        *segment.pipeline,
        ("Segment uploads", segment.total_segment_upload_count),
        ("Log events", segment.total_log_count),
    ]:
        row = pipeline.locator("tr").filter(
            has=page.locator("th", has_text=re.compile(rf"^{re.escape(label)}$", re.I))
        )
        expect(row.locator("td.num")).to_have_text(number(value))

    def prop(name: str):
        return (
            page.locator("dl.props > div")
            .filter(has=page.locator("dt", has_text=re.compile(rf"^{re.escape(name)}$")))
            .locator("dd")
        )

    expect(prop("Segment id")).to_have_text(str(segment.segment_id))
    expect(prop("Record id")).to_have_text(str(segment.record_id))
    expect(prop("Status")).to_have_text(f"{segment.status} ({segment.status_id})")
    expect(prop("Platform id")).to_have_text(str(segment.platform_id))
    expect(prop("Country code")).to_have_text(str(segment.country))
    expect(prop("Active")).to_have_text("yes" if segment.active else "no")
    expect(prop("Account")).to_contain_text(segment.account.name)


def test_a_failed_refresh_shows_an_error_and_keeps_the_rows(viewer_page: Page, sandbox):
    page = viewer_page
    page.goto("/segments/")
    rows = row_ids(page)
    assert len(rows) == 25
    set_marker(page)
    sandbox.faults.set("audience_list", status=503, kind="html")
    sandbox.faults.set("platform_accounts", status=503, kind="html")
    sandbox.requests.clear()

    with page.expect_response(lambda r: r.url.endswith("/refresh/")) as answer:
        page.get_by_role("button", name="Refresh from platform").click()
    assert answer.value.ok
    assert sandbox.requests.count("platform_accounts") >= 1  # the platform was asked

    error = page.locator("#messages .banner-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("The refresh failed")
    expect(error).to_have_attribute("role", "alert")
    settled(page)
    expect(page.get_by_role("button", name="Refresh from platform")).to_be_enabled()
    assert marker(page) == "same document"
    assert row_ids(page) == rows
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments")


def test_a_successful_refresh_reloads_the_page_with_a_confirmation(viewer_page: Page, sandbox):
    page = viewer_page
    set_marker(page)
    sandbox.requests.clear()
    page.get_by_role("button", name="Refresh from platform").click()
    success = page.locator("#messages .banner-success")
    expect(success).to_contain_text("Platform refreshed")
    assert marker(page) is None  # HX-Refresh: the whole page was loaded again
    assert sandbox.requests.count("audience_list") >= 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")


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
