"""The write side in a real browser, row by row: extend and delete dialogs, a
conflict with the platform, focus and clicks after a swap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from segments import remote
from segments.models import AuditEvent, Segment
from tests.browser import BROWSER_TEST
from tests.browser.pages import marker, set_marker, settled, url_param
from tests.browser.segment_rows import (
    ZONE,
    count_text,
    dialog,
    ending_within,
    preset,
    remote_segment,
    row,
    row_action,
    row_segment,
    shown_instant,
)

pytestmark = BROWSER_TEST


def test_extend_a_row_with_a_preset_in_the_dialog(operator_page: Page, sandbox):
    page = operator_page
    page.goto("/segments/?ends=within&within_days=7")
    expect(page.get_by_role("heading", level=1)).to_have_text("Segments")
    total = ending_within(7).count()
    assert total >= 2
    expect(page.locator("#table .count")).to_have_text(count_text(total))
    set_marker(page)
    first = page.locator("#table tbody tr").first
    segment = row_segment(first)
    new_end = segment.end_date + timedelta(days=30)
    sandbox.requests.clear()

    row_action(first, "Extend").click()
    box = dialog(page)
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", level=2)).to_have_text(f"Extend “{segment.name}”")
    expect(preset(box, 30)).to_contain_text(f"{new_end.astimezone(ZONE):%d %b %Y}")
    preset(box, 30).click()

    expect(box).to_be_hidden()
    success = page.locator("#messages .banner-success")
    expect(success).to_contain_text(f"End date of “{segment.name}” moved to")
    # In the browser's zone, as the table shows it; the audit trail keeps it in UTC.
    moved = Segment.objects.get(pk=segment.segment_id).end_date
    expect(success).to_contain_text(f"{moved.astimezone(ZONE):%d %b %Y %H:%M}")
    expect(success).not_to_contain_text("UTC")
    # The table reloaded itself: the segment now ends after the 7 days of the filter.
    expect(row(page, segment.segment_id)).to_have_count(0)
    expect(page.locator("#table .count")).to_have_text(count_text(total - 1))
    settled(page)
    assert marker(page) == "same document"
    assert sandbox.requests.count("update_end_date") == 1

    # Widen the filter in place to find it: the row is back, showing its new end date.
    page.get_by_label("N days").fill("40")
    search = page.get_by_label("Search")
    search.fill(str(segment.segment_id))
    search.press("Enter")
    expect(page).to_have_url(url_param("q", str(segment.segment_id)))
    expect(page).to_have_url(url_param("within_days", "40"))
    expect(page.locator("#table .count")).to_have_text(count_text(1))
    extended = row(page, segment.segment_id)
    expect(extended).to_have_count(1)
    settled(page)
    assert marker(page) == "same document"
    ends = extended.locator("td.ends time")
    assert shown_instant(ends) == new_end
    expect(ends).to_have_text(f"{new_end.astimezone(ZONE):%d %b %Y}")

    # The platform has it, and the mirror agrees.
    assert remote_segment(segment.segment_id).end_date == new_end
    segment.refresh_from_db()
    assert segment.end_date == new_end
    assert AuditEvent.objects.get(action="extend").outcome == "done"


def test_delete_a_row_with_the_typed_name(operator_page: Page, sandbox):
    page = operator_page
    page.goto("/segments/?ends=within&within_days=30")
    total = ending_within(30).count()
    expect(page.locator("#table .count")).to_contain_text(f"{total:,} segments")
    set_marker(page)
    target = page.locator("#table tbody tr").nth(2)
    segment = row_segment(target)
    sandbox.requests.clear()

    row_action(target, "Delete").click()
    box = dialog(page)
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", level=2)).to_have_text(
        "Delete this segment from the platform?"
    )
    expect(box).to_contain_text(f"{segment.name} ({segment.segment_id})")
    expect(box).to_contain_text(segment.account.name)
    cancel = box.get_by_role("link", name="Cancel")
    expect(cancel).to_be_focused()

    # A wrong name is refused, and nothing reaches the platform.
    name_field = box.get_by_label("Type the segment's name to confirm")
    name_field.fill(segment.name + " (copy)")
    box.get_by_role("button", name="Delete segment").click()
    expect(box.locator(".field.invalid .error")).to_have_text(
        "That is not the segment's name: nothing was deleted."
    )
    expect(box).to_be_visible()
    expect(name_field).to_be_focused()  # the field to correct, not Cancel again
    assert sandbox.requests.count("delete_segment") == 0
    assert remote_segment(segment.segment_id).name == segment.name
    expect(row(page, segment.segment_id)).to_have_count(1)

    # The exact name deletes it.
    name_field.fill(segment.name)
    box.get_by_role("button", name="Delete segment").click()
    expect(box).to_be_hidden()
    expect(page.locator("#messages .banner-success")).to_contain_text(
        f"Segment “{segment.name}” was deleted on the platform."
    )
    expect(row(page, segment.segment_id)).to_have_count(0)
    expect(page.locator("#table .count")).to_contain_text(f"{total - 1:,} segments")
    settled(page)
    assert marker(page) == "same document"
    assert sandbox.requests.count("delete_segment") == 1
    with pytest.raises(remote.NotFound) as gone:
        remote_segment(segment.segment_id)
    assert gone.value.status == 404
    segment.refresh_from_db()
    assert segment.is_deleted


def test_a_segment_changed_on_the_platform_meanwhile_is_not_overwritten(
    operator_page: Page, sandbox
):
    page = operator_page
    page.goto("/segments/?ends=within&within_days=30")
    set_marker(page)
    target = page.locator("#table tbody tr").first
    segment = row_segment(target)
    row_action(target, "Extend").click()
    box = dialog(page)
    expect(preset(box, 30)).to_be_visible()

    # Another operator moves the end date on the platform while the dialog is open.
    sandbox.store.touch_segment(
        segment.segment_id, endDate=(segment.end_date + timedelta(days=3)).isoformat()
    )
    fresh_end = remote_segment(segment.segment_id).end_date
    assert fresh_end == segment.end_date + timedelta(days=3)
    sandbox.requests.clear()
    preset(box, 30).click()

    warning = box.locator(".banner-warning")
    expect(warning).to_contain_text("Not applied: this segment was changed on the platform")
    expect(box).to_be_visible()
    assert sandbox.requests.count("update_end_date") == 0
    # The dialog now shows the platform's values, and offers to apply again.
    current = box.locator("p.muted time").first
    expect(current).to_have_attribute("datetime", fresh_end.isoformat())
    assert shown_instant(current) == fresh_end
    offered = (fresh_end + timedelta(days=30)).astimezone(ZONE)
    expect(preset(box, 30)).to_contain_text(f"{offered:%d %b %Y}")
    segment.refresh_from_db()
    assert segment.end_date == fresh_end  # the mirror took the platform's values
    apply_again = box.get_by_role("button", name="Apply again")
    expect(apply_again).to_be_visible()

    apply_again.click()
    expect(box).to_be_hidden()
    expect(page.locator("#messages .banner-success")).to_contain_text(
        f"End date of “{segment.name}” moved to"
    )
    settled(page)
    assert marker(page) == "same document"
    assert remote_segment(segment.segment_id).end_date == fresh_end + timedelta(days=30)
    segment.refresh_from_db()
    assert segment.end_date == fresh_end + timedelta(days=30)


def press(page: Page, target: Locator) -> None:
    """A person's click: the pointer comes to rest, presses, and lets go a moment later
    (Playwright's own click releases at once, before a layout moved by the press)."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(150)
    page.mouse.down()
    page.wait_for_timeout(120)
    page.mouse.up()


def test_a_click_after_a_delete_opens_the_next_rows_dialog(
    operator_page: Page, sandbox, undo_window
):
    """The focus left on a row (its Undo after a delete) must not move the table when
    the press of the next click takes it away: the click was lost."""
    page = operator_page
    page.goto("/segments/?sort=name&page=2")
    target = page.locator("#table tbody tr").nth(1)
    segment = row_segment(target)
    row_action(target, "Delete").click()
    box = dialog(page)
    box.get_by_label("Type the segment's name to confirm").fill(segment.name)
    box.get_by_role("button", name="Delete segment").click()
    expect(box).to_be_hidden()
    expect(row(page, segment.segment_id).locator(".deleting")).to_be_visible()
    settled(page)

    other = page.locator("#table tbody tr").nth(4)
    press(page, row_action(other, "Extend"))
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", level=2)).to_have_text(f"Extend “{row_segment(other).name}”")


def test_a_focused_long_name_keeps_its_row_and_the_next_click_lands(operator_page: Page):
    """A cut name shows in full on focus (and hover) over its neighbours, on one line:
    a row that grew on focus shrank at the next press, and the row below moved from
    under the pointer."""
    page = operator_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/segments/?sort=-name")
    rows = page.locator("#table tbody tr")
    cut = rows.evaluate_all(
        "rows => rows.map(r => { const a = r.querySelector('td.name a');"
        " return a.scrollWidth - a.clientWidth; })"
    )
    index = max(range(len(cut) - 1), key=cut.__getitem__)
    assert cut[index] > 0  # a name cut short
    height = rows.nth(index).bounding_box()["height"]
    rows.nth(index).locator("td.name a").focus()
    assert rows.nth(index).bounding_box()["height"] == height

    below = rows.nth(index + 1)
    press(page, row_action(below, "Extend"))
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).get_by_role("heading", level=2)).to_have_text(
        f"Extend “{row_segment(below).name}”"
    )
