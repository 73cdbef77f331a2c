"""Accessibility and fit in a real browser: axe-core on every page and dialog at a
laptop and a phone width, focus kept across in-place updates, what the live region
says, the skip link, and tables that fit the screen.

axe-core comes from ``axe-playwright-python`` (it ships ``axe.min.js``); it runs in
the page through Playwright, so the strict CSP stays as it is. The console watch of
``conftest.new_context`` fails a test on any CSP violation or script error.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from segments.models import BulkRun, Note, Segment
from tests.browser import BROWSER_TEST
from tests.browser.accessibility import (
    LAPTOP,
    PHONE,
    audit,
    axe_violations,
    dialog_open,
    page_overflow,
    sized_page,
)
from tests.browser.conftest import login
from tests.browser.pages import settled

pytestmark = BROWSER_TEST


def table_overflow(page: Page) -> int:
    return page.evaluate(
        "() => { const s = document.querySelector('#table .scroll');"
        " return s.scrollWidth - s.clientWidth; }"
    )


def filters_overlapping(page: Page) -> list[str]:
    """The filter controls whose boxes overlap another's: [name, name, ...]."""
    return page.evaluate(
        """() => {
          const form = document.getElementById('segment-filters');
          const boxes = [...form.querySelectorAll('.field input, .field select')]
            .filter(e => e.offsetParent).map(e => [e.name, e.getBoundingClientRect()]);
          const apart = (r, q) => r.right - 1 <= q.left || q.right - 1 <= r.left
            || r.bottom - 1 <= q.top || q.bottom - 1 <= r.top;
          const hit = [];
          boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, q]) => {
            if (!apart(r, q)) hit.push(a + ' over ' + b);
          }));
          return hit;
        }"""
    )


def close_dialog(page: Page) -> None:
    page.keyboard.press("Escape")
    expect(page.locator("#dialog")).to_be_hidden()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1400px", "390px"])
def test_axe_finds_nothing_on_any_page_or_dialog(new_context, mirror, sandbox, viewport):
    phone = viewport["width"] < 600
    page = sized_page(new_context, viewport)
    login(page, "operator")
    found: dict[str, list[str]] = {}
    audit(page, "overview", found, phone=phone)

    page.goto("/segments/")
    audit(page, "segments", found, phone=phone)
    # No filter runs under its neighbour, and a checkbox stands by its label.
    assert not filters_overlapping(page), filters_overlapping(page)
    for box in page.locator("#segment-filters .field.check").all():
        gap = box.evaluate(
            "f => f.querySelector('label').getBoundingClientRect().left"
            " - f.querySelector('input').getBoundingClientRect().right"
        )
        assert 0 <= gap <= 16, f"a checkbox {gap:.0f} px from its label"
    if not phone:
        assert table_overflow(page) <= 0, "the segments table scrolls sideways at 1400 px"
        # A working screenful: at least 15 whole rows above the fold of a 1400 by 900 screen.
        visible = page.locator("#table tbody tr").evaluate_all(
            "rows => rows.filter(r => r.getBoundingClientRect().bottom <= innerHeight).length"
        )
        assert visible >= 15, f"only {visible} rows above the fold"
    first = page.locator("#table tbody tr").first
    segment_id = int(first.get_attribute("id").removeprefix("segment-"))

    # The dialogs of a row: extend, the same form re-shown with an error, delete.
    first.locator(".row-actions").get_by_text("Extend", exact=True).click()
    dialog_open(page)
    audit(page, "extend dialog", found, phone=phone)
    page.locator("#dialog").get_by_label("Or a new end date").fill("2020-01-01T10:00")
    page.locator("#dialog").get_by_role("button", name="Extend", exact=True).click()
    expect(page.locator("#dialog .error")).to_contain_text("must be in the future")
    audit(page, "extend dialog with an error", found, phone=phone)
    close_dialog(page)
    first.locator(".row-actions").get_by_text("Delete", exact=True).click()
    dialog_open(page)
    audit(page, "delete dialog", found, phone=phone)
    close_dialog(page)

    # Two rows selected, the bulk confirmation, the run's report.
    boxes = page.locator("#table tbody input[name=selected]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("#bulk-form").get_by_role("button", name="Extend…").click()
    dialog_open(page)
    audit(page, "bulk confirmation dialog", found, phone=phone)
    page.locator("#dialog").get_by_label("Add to each end date").select_option(label="+7 days")
    page.locator("#dialog").get_by_role("button", name="Extend 2").click()
    run = BulkRun.objects.get()
    expect(page).to_have_url(re.compile(rf"/bulk/{run.pk}/$"))
    expect(page.locator("#run-status h2")).to_contain_text("Finished")
    audit(page, "bulk report", found, phone=phone)

    for what, url in (
        ("segments filtered to Active", "/segments/?status=Active"),
        ("segment detail", f"/segments/{segment_id}/"),
        ("extend page", f"/segments/{segment_id}/extend/"),
        ("delete page", f"/segments/{segment_id}/delete/"),
        ("audiences", "/audiences/"),
        ("audience create page", "/audiences/new/"),
        ("accounts", "/accounts/"),
        ("activity", "/activity/"),
        ("not found", "/no-such-page/"),
    ):
        page.goto(url)
        audit(page, what, found, phone=phone)

    page.goto("/audiences/")
    page.get_by_role("link", name="New CRM audience…").click()
    dialog_open(page)
    audit(page, "audience create dialog", found, phone=phone)
    close_dialog(page)
    page.locator("#table tbody a").first.click()
    expect(page.get_by_role("heading", level=2, name="Platform segments")).to_be_visible()
    audit(page, "audience detail", found, phone=phone)
    page.get_by_role("link", name="Activate on an account…").click()
    dialog_open(page)
    audit(page, "activate dialog", found, phone=phone)

    assert not found, "\n".join(f"{what}: {problems}" for what, problems in found.items())


def test_a_viewers_403_page_is_accessible_and_says_what_to_do(new_context, mirror):
    page = sized_page(new_context, LAPTOP)
    login(page, "viewer")
    segment = Segment.objects.visible().first()
    response = page.goto(f"/segments/{segment.segment_id}/extend/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You are not allowed to do that")
    expect(page.locator("main")).to_contain_text("operators also change segments")
    expect(page.get_by_role("link", name="Go to the overview")).to_be_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1400px", "390px"])
def test_a_note_with_a_long_word_or_url_wraps_inside_its_panel(new_context, mirror, viewport):
    segment = Segment.objects.visible().first()
    long_url = "https://example.com/" + "campaign-report/" * 20
    Note.objects.create(segment=segment, text=long_url)
    Note.objects.create(segment=segment, text="x" * 4000)
    page = sized_page(new_context, viewport)
    login(page, "operator")
    page.goto(f"/segments/{segment.segment_id}/")
    expect(page.locator("ul.notes li")).to_have_count(2)
    assert page_overflow(page) == 0
    panel = page.locator("ul.notes").bounding_box()
    for note in page.locator("ul.notes li p").all():
        box = note.bounding_box()
        assert box["x"] + box["width"] <= panel["x"] + panel["width"] + 1
    add = page.get_by_role("button", name="Add note").bounding_box()
    assert add["x"] + add["width"] <= viewport["width"]  # not pushed off to the side


# --- keyboard: focus and announcements ------------------------------------------


def test_focus_stays_where_the_user_was_and_the_result_is_announced(new_context, mirror, sandbox):
    page = sized_page(new_context, LAPTOP)
    table_requests: list[str] = []
    page.on(
        "request",
        lambda r: table_requests.append(r.url) if "/segments/?" in r.url else None,
    )
    login(page, "operator")
    total = Segment.objects.visible().count()
    page.goto("/segments/")

    # The skip links: to the content, then to the results.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to results")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_focused()

    # Sort by name from the keyboard: focus stays on the Name header's link.
    page.locator("th[data-col=name] a").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]sort=name(&|$)"))
    settled(page)
    expect(page.locator("th[data-col=name] a")).to_be_focused()
    pages = -(-total // 25)
    expect(page.locator("#announce")).to_have_text(
        f"Sorted by Name, ascending. {total} segments, page 1 of {pages}."
    )

    # The next page: focus on the new page's "Next" link.
    page.locator(".pagination a[rel=next]").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    settled(page)
    expect(page.locator(".pagination a[rel=next]")).to_be_focused()
    expect(page.locator("#announce")).to_contain_text(f"page 2 of {pages}")

    # Arrowing through the closed Status select loads nothing; leaving it loads once.
    status = page.get_by_label("Status")
    status.focus()
    table_requests.clear()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = status.input_value()
    assert chosen != ""
    settled(page)
    assert table_requests == []
    page.keyboard.press("Tab")
    expect(page).to_have_url(re.compile(rf"[?&]status={re.escape(chosen)}(&|$)"))
    settled(page)
    assert len(table_requests) == 1
    # A clean address: no empty parameters of the untouched filters.
    assert not re.search(r"[?&][a-z_]+=(&|$)", page.url), page.url
    expect(page.get_by_label("Platform")).to_be_focused()
    matching = Segment.objects.visible().filter(status=chosen).count()
    expect(page.locator("#announce")).to_contain_text(f"{matching} segment")

    # Rows per page, picked without arrows: one load, focus stays on the select.
    page.goto("/segments/")
    rows = page.get_by_label("Rows")
    rows.focus()
    rows.select_option("50")
    expect(page).to_have_url(re.compile(r"[?&]per_page=50(&|$)"))
    settled(page)
    expect(rows).to_be_focused()
    expect(page.locator("#table tbody tr")).to_have_count(50)

    # Bulk buttons for selected rows wait for a selection.
    extend_selected = page.locator("#bulk-form").get_by_role("button", name="Extend…")
    expect(extend_selected).to_be_disabled()
    page.locator("#table tbody input[name=selected]").first.check()
    expect(extend_selected).to_be_enabled()
    expect(page.locator("#bulk-form")).to_contain_text("1 selected")
    page.locator("#table tbody input[name=selected]").first.uncheck()
    expect(extend_selected).to_be_disabled()

    # Extend from a row (sorted by name, so it stays in place): back on that row's
    # Extend link, the result said aloud.
    page.goto("/segments/?sort=name")
    row = page.locator("#table tbody tr").nth(2)
    row_id = row.get_attribute("id")
    row.locator(".row-actions").get_by_text("Extend", exact=True).focus()
    page.keyboard.press("Enter")
    dialog_open(page)
    page.locator("#dialog").get_by_role("button", name=re.compile(r"^\+30 days")).click()
    expect(page.locator("#dialog")).to_be_hidden()
    expect(page.locator("#messages .banner-success")).to_contain_text("moved to")
    settled(page)
    expect(
        page.locator(f"#{row_id} .row-actions").get_by_text("Extend", exact=True)
    ).to_be_focused()
    expect(page.locator("#announce")).to_contain_text("moved to")  # said 50 ms after the swap

    # Delete a row: focus goes to the row that took its place.
    row = page.locator("#table tbody tr").nth(3)
    row_id = row.get_attribute("id")
    name = Segment.objects.get(segment_id=int(row_id.removeprefix("segment-"))).name
    next_id = page.locator("#table tbody tr").nth(4).get_attribute("id")
    row.locator(".row-actions").get_by_text("Delete", exact=True).focus()
    page.keyboard.press("Enter")
    dialog_open(page)
    page.locator("#dialog").get_by_label(re.compile("^Type")).fill(name)
    page.locator("#dialog").get_by_role("button", name="Delete segment").click()
    expect(page.locator("#dialog")).to_be_hidden()
    expect(page.locator(f"#{row_id}")).to_have_count(0)
    settled(page)
    expect(page.locator(f"#{next_id} td.name a")).to_be_focused()
    message = page.locator("#messages .banner").first.text_content().strip()
    expect(page.locator("#announce")).to_have_text(message)
