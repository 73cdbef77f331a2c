"""The reading side in a real browser: log in, overview, audiences, detail, refresh."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from segments.models import Audience, Segment
from tests.browser import BROWSER_TEST
from tests.browser.conftest import BROWSER_TIME_ZONE, login
from tests.browser.pages import marker, set_marker, settled, url_param
from tests.browser.segment_table import (
    column,
    count_of,
    number,
    row_ids,
    statuses_by_count,
)

pytestmark = BROWSER_TEST


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
