"""The team's assignment and notes in a real browser: three queue items assigned at
once, the header's "Assigned to me" count and filter, a note edited then deleted in
place, with focus and announcements kept; axe-core on both at a laptop and a phone."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from segments.models import Assignment, AuditEvent, Note
from tests.browser import BROWSER_TEST
from tests.browser.accessibility import LAPTOP, PHONE, audit, sized_page
from tests.browser.conftest import login

pytestmark = BROWSER_TEST


def queue_ids(page: Page) -> list[int]:
    rows = page.locator("#attention-queue tbody tr")
    return [int(r.removeprefix("queue-")) for r in rows.evaluate_all("rs => rs.map(r => r.id)")]


def test_three_queue_items_assigned_at_once_then_counted_and_filtered(page: Page, mirror):
    login(page, "operator")
    header = page.locator("#assigned-to-me")
    expect(header).to_have_text("Assigned to me: 0")
    queue = page.locator("#queue")
    ids = queue_ids(page)[:3]
    assign = queue.get_by_role("button", name="Assign", exact=True)
    expect(assign).to_be_disabled()
    for row_id in ids:
        queue.locator(f"#queue-{row_id} input[name=selected]").check()
    operator = User.objects.get(username="operator")
    expect(queue.get_by_label("Assign to")).to_have_value(str(operator.pk))  # me, by default
    assign.click()

    expect(page.locator("#messages")).to_contain_text("3 segments: assigned to operator.")
    expect(page.locator("#announce")).to_have_text("3 segments: assigned to operator.")
    expect(page.locator("#queue-title")).to_be_focused()
    expect(header).to_have_text("Assigned to me: 3")  # updated in place, no reload
    for row_id in ids:  # still in the queue (not acknowledged), with their assignee
        expect(page.locator(f"#queue-{row_id} td").last).to_have_text("operator")
    assert set(Assignment.objects.values_list("segment_id", flat=True)) == set(ids)
    assert AuditEvent.objects.filter(action="assign").count() == 3

    header.click()
    expect(page).to_have_url(re.compile(r"/segments/\?assigned=me$"))
    expect(page.get_by_label("Assigned", exact=True)).to_have_value("me")
    rows = page.locator("#table tbody tr")
    expect(rows).to_have_count(3)
    shown = rows.evaluate_all("rs => rs.map(r => +r.id.replace('segment-', ''))")
    assert sorted(shown) == sorted(ids)
    # The filter in the form, in place: nobody's segments exclude these.
    page.get_by_label("Assigned", exact=True).select_option("nobody")
    expect(page).to_have_url(re.compile(r"assigned=nobody"))
    for row_id in ids:
        expect(page.locator(f"#segment-{row_id}")).to_have_count(0)


def test_a_note_edited_then_deleted_in_place(page: Page, mirror):
    login(page, "operator")
    segment_id = queue_ids(page)[0]
    page.goto(f"/segments/{segment_id}/")
    team = page.locator("#team")
    team.get_by_label("Note", exact=True).fill("Checking with the client")
    team.get_by_role("button", name="Add note").click()
    expect(page.locator("#announce")).to_have_text("Note added.")
    note = Note.objects.get()
    item = page.locator(f"#note-{note.pk}")
    expect(item).to_contain_text("Checking with the client")
    expect(item).not_to_contain_text("edited")

    item.locator("summary", has_text="Edit").click()
    editor = item.get_by_label("Note text")
    expect(editor).to_have_value("Checking with the client")
    editor.fill("Client confirmed: extend by a month")
    item.get_by_role("button", name="Save note").click()
    item = page.locator(f"#note-{note.pk}")
    expect(item).to_contain_text("Client confirmed: extend by a month")
    expect(item).to_contain_text("edited")
    expect(item).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Note saved.")

    item.locator("summary", has_text="Delete…").click()
    expect(item).to_contain_text("Delete this note for good?")
    item.get_by_role("button", name="Delete note").click()
    expect(page.locator(f"#note-{note.pk}")).to_have_count(0)
    expect(team.locator(".notes")).to_have_text("No notes yet.")
    expect(page.locator("#notes")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Note deleted.")
    actions = AuditEvent.objects.filter(segment_id=segment_id).order_by("at")
    assert list(actions.values_list("action", flat=True)) == ["note", "note_edit", "note_delete"]
    assert actions.last().before == {"note": "Client confirmed: extend by a month"}


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1400px", "390px"])
def test_axe_finds_nothing_on_the_assign_control_and_the_note_editor(new_context, mirror, viewport):
    phone = viewport["width"] < 600
    page = sized_page(new_context, viewport)
    login(page, "operator")
    found: dict[str, list[str]] = {}
    ids = queue_ids(page)
    page.locator(f"#queue-{ids[0]} input[name=selected]").check()
    audit(page, "overview with a queue item selected", found, phone=phone)
    page.locator("#queue").get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#assigned-to-me")).to_have_text("Assigned to me: 1")
    audit(page, "overview after assigning", found, phone=phone)

    page.goto(f"/segments/{ids[0]}/")
    page.locator("#team").get_by_label("Note", exact=True).fill("A note to edit")
    page.locator("#team").get_by_role("button", name="Add note").click()
    item = page.locator("#team .notes li").first
    expect(item).to_contain_text("A note to edit")
    item.locator("summary", has_text="Edit").click()
    item.locator("summary", has_text="Delete…").click()
    expect(item.get_by_role("button", name="Delete note")).to_be_visible()
    audit(page, "detail with the note editor and delete confirmation open", found, phone=phone)

    assert not found, "\n".join(f"{what}: {problems}" for what, problems in found.items())
