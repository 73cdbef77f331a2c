"""The write side in a real browser: bulk runs, a viewer's view, team review."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from playwright.sync_api import BrowserContext, Page, expect

from segments import remote
from segments.models import AuditEvent, BulkRun, Note, Review, Segment
from tests.browser import BROWSER_TEST
from tests.browser.conftest import login
from tests.browser.pages import marker, set_marker, settled, url_param
from tests.browser.segment_rows import (
    count_text,
    dialog,
    ending_within,
    remote_segment,
    row,
    row_segment,
)

pytestmark = BROWSER_TEST


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
        assert "operators also change segments" in refused.text()
        answer = page.request.post(url, form=data, headers={"X-CSRFToken": cookie})
        assert answer.status == 403, (url, answer.status)
        assert "CSRF verification failed" not in answer.text()
        assert "operators also change segments" in answer.text()
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
