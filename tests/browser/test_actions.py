"""The write side in a real browser: dialogs, bulk runs, conflicts, roles, team review."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Locator, Page, expect

from segments import remote
from segments.models import AuditEvent, BulkRun, Note, Review, Segment
from tests.browser.conftest import BROWSER_TIME_ZONE, login

pytestmark = [
    pytest.mark.browser,
    # live_server needs a transactional database; the serialized rollback brings
    # back what the migrations wrote (the role groups) after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MARKER = "window.__deskMarker"
ZONE = ZoneInfo(BROWSER_TIME_ZONE)


# --- helpers ----------------------------------------------------------------------


def set_marker(page: Page) -> None:
    """A value that lives as long as the document: an HTMX swap keeps it, a load loses it."""
    page.evaluate(f"{MARKER} = 'same document'")


def marker(page: Page):
    return page.evaluate(MARKER)


def settled(page: Page) -> None:
    """No HTMX request in flight (the indicator is shown while any is)."""
    expect(page.locator("#busy")).to_be_hidden()


def count_text(n: int) -> re.Pattern:
    """The table's count line for ``n`` segments (``25 segments · page 1 of 3``)."""
    return re.compile(rf"^{n:,} segments?(\s·|$)")


def url_param(name: str, value: str) -> re.Pattern:
    return re.compile(rf"[?&]{re.escape(name)}={re.escape(value)}(&|$)")


def row(page: Page, segment_id: int) -> Locator:
    return page.locator(f"#table tbody tr#segment-{segment_id}")


def row_segment(locator: Locator) -> Segment:
    """The mirror's segment of a table row."""
    segment_id = int(locator.get_attribute("id").removeprefix("segment-"))
    return Segment.objects.select_related("account").get(segment_id=segment_id)


def row_action(locator: Locator, text: str) -> Locator:
    return locator.locator(".row-actions").get_by_text(text, exact=True)


def dialog(page: Page) -> Locator:
    return page.locator("#dialog")


def preset(scope: Locator, days: int) -> Locator:
    return scope.get_by_role("button", name=re.compile(rf"^\+{days} days"))


def shown_instant(time: Locator) -> datetime:
    """The exact instant a ``<time>`` element stands for (its UTC ``datetime``)."""
    return datetime.fromisoformat(time.get_attribute("datetime"))


def remote_segment(segment_id: int) -> remote.Segment:
    with remote.segment_api() as client:
        return client.segment(segment_id=segment_id)


def ending_within(days: int):
    now = timezone.now()
    return Segment.objects.visible().filter(
        end_date__gte=now, end_date__lte=now + timedelta(days=days)
    )


@pytest.fixture
def operator_page(page: Page, mirror) -> Page:
    """A page logged in as the demo operator, on the overview."""
    login(page, "operator")
    expect(page.locator(".who")).to_contain_text("operator · Operator")
    return page


# --- tests --------------------------------------------------------------------------


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


def test_bulk_extend_of_a_filter_with_one_failure_then_retry(operator_page: Page, sandbox):
    page = operator_page
    page.goto("/segments/?ends=within&within_days=30")
    matching = ending_within(30).order_by("end_date", "segment_id")
    before = dict(matching.values_list("segment_id", "end_date"))
    total = len(before)
    assert total > 25  # more than the page shows: "all" is the filter, not the page
    expect(page.locator("#table .count")).to_contain_text(f"{total:,} segments")
    bar = page.locator("#bulk-form")
    expect(bar).to_contain_text(f"All {total} matching:")

    bar.get_by_role("button", name="Extend all…").click()
    box = dialog(page)
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", level=2)).to_have_text(f"Extend {total} segments")
    expect(box).to_contain_text(f"This applies to exactly {total} segments")
    run = BulkRun.objects.get()
    assert run.action == "extend"
    assert run.total == total
    assert sorted(run.segment_ids) == sorted(before)

    box.get_by_label("Add to each end date").select_option(label="+7 days")
    # The first write of the run fails (no retry for a POST); the others succeed.
    sandbox.faults.set("update_end_date", status=500, times=1)
    sandbox.requests.clear()
    box.get_by_role("button", name=f"Extend {total}").click()

    # The whole run executes inside the confirmation (tests run tasks inline):
    # give a loaded machine time for its writes.
    expect(page).to_have_url(re.compile(rf"/bulk/{run.pk}/$"), timeout=60_000)
    status = page.locator("#run-status")
    expect(status.get_by_role("heading", level=2)).to_have_text(
        f"Finished: {total - 1} done, 1 failed"
    )
    assert sandbox.requests.count("update_end_date") == total
    failed_rows = status.locator("table.report-failed tbody tr")
    expect(failed_rows).to_have_count(1)
    expect(status.locator("table.report-done tbody tr")).to_have_count(total - 1)
    failed = AuditEvent.objects.get(bulk_run=run, outcome="failed")
    expect(failed_rows.get_by_role("link")).to_have_attribute(
        "href", f"/segments/{failed.segment_id}/"
    )
    # The reason: what the platform answered, and that nothing changed.
    expect(failed_rows).to_contain_text("Not applied: the platform is unavailable")
    expect(failed_rows).to_contain_text("HTTP 500")
    expect(failed_rows).to_contain_text("the segment read back shows it still ends")
    assert remote_segment(failed.segment_id).end_date == before[failed.segment_id]

    retry_button = status.get_by_role("button", name="Retry the 1 failed")
    retry_button.click()
    expect(page).not_to_have_url(re.compile(rf"/bulk/{run.pk}/$"))
    retry = BulkRun.objects.get(retry_of=run)
    expect(page).to_have_url(re.compile(rf"/bulk/{retry.pk}/$"))
    assert retry.segment_ids == [failed.segment_id]
    expect(page.get_by_role("link", name=f"run {run.pk}", exact=True)).to_have_attribute(
        "href", f"/bulk/{run.pk}/"
    )
    status = page.locator("#run-status")
    expect(status.get_by_role("heading", level=2)).to_have_text("Finished: 1 done")
    expect(status.get_by_role("button", name=re.compile("Retry"))).to_have_count(0)
    expect(status.locator("table.report-done tbody tr")).to_have_count(1)

    # Every one of them moved by 7 days, on the platform and in the mirror alike.
    stored = Segment.objects.filter(segment_id__in=before)
    mirror = dict(stored.values_list("segment_id", "end_date"))
    with remote.segment_api() as client:
        platform = {i: client.segment(segment_id=i).end_date for i in before}
    expected = {i: end + timedelta(days=7) for i, end in before.items()}
    assert platform == expected
    assert mirror == expected


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


def test_a_viewer_gets_no_controls_and_a_403_for_a_direct_post(
    page: Page, mirror, sandbox, live_server
):
    login(page, "viewer")
    page.goto("/segments/?ends=within&within_days=30")
    rows = page.locator("#table tbody tr")
    expect(rows.first).to_be_visible()
    segment = row_segment(rows.first)
    table = page.locator("#table")
    expect(table.locator(".row-actions")).to_have_count(0)
    expect(table.locator("input[name=selected]")).to_have_count(0)
    expect(page.locator("#bulk-form")).to_have_count(0)
    expect(table.get_by_role("link", name=re.compile(r"^(Extend|Delete)\b"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^(Extend|Delete)"))).to_have_count(0)

    page.goto(f"/segments/{segment.segment_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(segment.name)
    team = page.locator("#team")
    expect(team).to_contain_text("Not reviewed yet.")
    expect(page.locator("#extend")).to_have_count(0)
    expect(page.get_by_text("Extend the end date")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete…")).to_have_count(0)
    expect(page.get_by_label("Review state")).to_have_count(0)
    expect(page.get_by_role("button", name="Set review state")).to_have_count(0)
    expect(page.locator("form.note-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Add note")).to_have_count(0)

    # The page's own CSRF token, as its scripts would send it.
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["csrftoken"]
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]
    base = f"{live_server.url}/segments/{segment.segment_id}"
    sandbox.requests.clear()
    writes = {
        f"{base}/extend/": {"preset": "30"},
        f"{base}/delete/": {"confirm_name": segment.name},
        f"{base}/review/": {"state": "acknowledged"},
        f"{base}/notes/": {"text": "viewers cannot write"},
        f"{live_server.url}/segments/bulk/": {"intent": "extend-filter", "query": ""},
    }
    for url, data in writes.items():
        refused = page.request.post(url, form={**data, "csrfmiddlewaretoken": token})
        assert refused.status == 403, (url, refused.status)
        # Refused for the role, not the token, and said so on the styled page.
        assert "CSRF verification failed" not in refused.text()
        assert "needs the Operator role" in refused.text()
        answer = page.request.post(url, form=data, headers={"X-CSRFToken": cookie})
        assert answer.status == 403, (url, answer.status)
        assert "CSRF verification failed" not in answer.text()
        assert "needs the Operator role" in answer.text()
    # Without the token the same POST fails the CSRF check instead.
    no_token = page.request.post(f"{base}/extend/", form={"preset": "30"})
    assert no_token.status == 403
    assert "CSRF" in no_token.text()

    assert sandbox.requests.count("update_end_date") == 0
    assert sandbox.requests.count("delete_segment") == 0
    assert not Review.objects.exists()
    assert not Note.objects.exists()
    assert not BulkRun.objects.exists()
    assert remote_segment(segment.segment_id).end_date == segment.end_date


def test_a_review_state_and_a_note_are_seen_by_another_user(
    operator_page: Page, new_context, mirror
):
    page = operator_page
    segment = ending_within(30).order_by("end_date", "segment_id").first()
    page.goto(f"/segments/{segment.segment_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(segment.name)
    set_marker(page)
    team = page.locator("#team")
    expect(team).to_contain_text("Not reviewed yet.")
    expect(team.locator("ul.notes")).to_have_text("No notes yet.")

    page.get_by_label("Review state").select_option(label="Acknowledged")
    page.get_by_role("button", name="Set review state").click()
    expect(team).to_contain_text("Acknowledged — set by operator")
    expect(page.get_by_label("Review state")).to_have_value("acknowledged")

    text = "Renewal agreed with the account team; extend after the audit."
    page.get_by_label("Note", exact=True).fill(text)
    page.get_by_role("button", name="Add note").click()
    notes = team.locator("ul.notes li")
    expect(notes).to_have_count(1)
    expect(notes.first.locator("p")).to_have_text(text)
    expect(notes.first.locator(".muted")).to_contain_text("operator ·")
    expect(page.get_by_label("Note", exact=True)).to_have_value("")
    expect(team.locator(".history-list")).to_contain_text("Review state set to Acknowledged.")
    settled(page)
    assert marker(page) == "same document"  # both were swapped into #team in place

    # Another user, in a browser of their own.
    other: BrowserContext = new_context()
    admin = other.new_page()
    login(admin, "admin")
    admin.goto(f"/segments/{segment.segment_id}/")
    their_team = admin.locator("#team")
    expect(their_team).to_contain_text("Acknowledged — set by operator")
    expect(admin.get_by_label("Review state")).to_have_value("acknowledged")
    their_notes = their_team.locator("ul.notes li")
    expect(their_notes).to_have_count(1)
    expect(their_notes.first.locator("p")).to_have_text(text)
    expect(their_notes.first.locator(".muted")).to_contain_text("operator ·")

    # The segments table filtered by review state lists it (and only it).
    admin.goto("/segments/")
    admin.get_by_label("Review").select_option("acknowledged")
    expect(admin).to_have_url(url_param("review", "acknowledged"))
    expect(admin.locator("#table .count")).to_have_text(count_text(1))
    listed = row(admin, segment.segment_id)
    expect(listed).to_have_count(1)
    expect(listed.locator(".badge", has_text="Acknowledged")).to_have_count(1)


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
