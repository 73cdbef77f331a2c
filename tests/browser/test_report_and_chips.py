"""Issue 9 in a real browser: filter chips remove a filter with focus kept, the
pipeline's numbers on focus, a bulk report with its failure first and its link
back, the activity of one run; axe on each at a laptop and a phone width."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from segments.models import AuditEvent, BulkRun, Segment
from tests.browser import BROWSER_TEST
from tests.browser.accessibility import LAPTOP, PHONE, audit, sized_page
from tests.browser.conftest import login
from tests.browser.pages import settled

pytestmark = BROWSER_TEST

# Screenshots for a person to look at, when asked for: DESK_SCREENSHOTS=/some/dir
SHOTS = os.environ.get("DESK_SCREENSHOTS")
LIST_QUERY = "status=Active&sort=name"


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def bulk_run_with_a_failure(page: Page, sandbox) -> BulkRun:
    """Three rows of a filtered list extended in one run, the first write failing."""
    page.goto(f"/segments/?{LIST_QUERY}")
    boxes = page.locator("#table tbody input[name=selected]")
    for n in range(3):
        boxes.nth(n).check()
    page.locator("#bulk-form").get_by_role("button", name="Extend…").click()
    box = page.locator("#dialog")
    box.get_by_label("Add to each end date").select_option(label="+7 days")
    sandbox.faults.set("update_end_date", status=500, times=1)
    box.get_by_role("button", name="Extend 3").click()
    run = BulkRun.objects.get()
    expect(page).to_have_url(re.compile(rf"/bulk/{run.pk}/$"), timeout=60_000)
    expect(page.locator("#run-status h2")).to_have_text("Finished: 2 done, 1 failed")
    return run


def test_chips_remove_one_filter_each_and_keep_focus(new_context, mirror):
    page = sized_page(new_context, LAPTOP)
    login(page, "viewer")
    page.goto("/segments/?status=Active&ends=within&within_days=30&sort=name")
    chips = page.get_by_role("list", name="Active filters")
    expect(chips.get_by_role("link")).to_have_count(3)
    page.evaluate("window.__chipMarker = 'same document'")

    chips.get_by_role("link", name="Remove filter Status: Active").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/segments/\?ends=within&within_days=30&sort=name$"))
    settled(page)
    # The table was swapped in place, the form came along, focus is on the next chip.
    assert page.evaluate("window.__chipMarker") == "same document"
    expect(page.get_by_label("Status")).to_have_value("")
    expect(chips.get_by_role("link")).to_have_count(2)
    expect(page.locator("#chip-ends")).to_be_focused()
    expected = Segment.objects.visible().filter(status="Active").count()
    expect(page.locator("#results")).not_to_contain_text(f"{expected:,} segments")
    expect(page.locator("#announce")).to_contain_text("Sorted by Name")

    page.keyboard.press("Tab")
    expect(page.locator("#chip-clear-all")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/segments/\?sort=name$"))
    settled(page)
    expect(page.get_by_role("list", name="Active filters")).to_have_count(0)
    # Focus is restored once htmx settles, a moment after the indicator hides.
    expect(page.locator("#results")).to_be_focused()
    expect(page.get_by_label("End date")).to_have_value("")


def test_the_pipeline_numbers_show_on_focus(new_context, mirror):
    page = sized_page(new_context, LAPTOP)
    login(page, "viewer")
    page.goto("/segments/")
    bar = page.locator("#table tbody .pipeline-bar").first
    tip = bar.locator(".pipeline-tip")
    expect(tip).to_be_hidden()
    page.locator("#table tbody tr").first.locator("td.name a").focus()
    page.keyboard.press("Tab")  # the name link, then the audience link, then the bar
    page.keyboard.press("Tab")
    expect(bar).to_be_focused()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(re.compile(r"ready [\d,]+"))
    expect(bar).to_have_attribute("aria-label", re.compile(r"^Pipeline: ready [\d,]+, processing"))
    shot(page, "segments-pipeline-focus-1400")
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    page.keyboard.press("Tab")
    expect(bar).not_to_be_focused()


def test_report_failure_first_links_back_and_to_its_activity(new_context, mirror, sandbox):
    page = sized_page(new_context, LAPTOP)
    login(page, "operator")
    run = bulk_run_with_a_failure(page, sandbox)
    tables = page.locator("#run-status table")
    expect(tables).to_have_count(2)
    expect(tables.first).to_have_class(re.compile(r"report-failed"))
    expect(page.locator("#run-status h3").first).to_have_text("Failed (1)")
    expect(tables.first).to_contain_text("HTTP 500")

    back = page.get_by_role("link", name="The segments list this run came from")
    expect(back).to_have_attribute("href", f"/segments/?{LIST_QUERY}")
    page.get_by_role("link", name="This run's activity").click()
    expect(page).to_have_url(re.compile(rf"/activity/\?bulk_run={run.pk}$"))
    expect(page.get_by_label("Bulk run")).to_have_value(str(run.pk))
    rows = page.locator("#activity-table tbody tr")
    expect(rows).to_have_count(3)
    names = dict(Segment.objects.filter(segment_id__in=run.segment_ids).values_list("pk", "name"))
    for segment_id, name in names.items():
        expect(rows.get_by_role("link", name=name, exact=True)).to_have_attribute(
            "href", f"/segments/{segment_id}/"
        )
    page.go_back()
    page.get_by_role("link", name="The segments list this run came from").click()
    expect(page).to_have_url(re.compile(rf"/segments/\?{re.escape(LIST_QUERY)}$"))
    expect(page.get_by_label("Status", exact=True)).to_have_value("Active")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1400px", "390px"])
def test_axe_on_the_report_the_run_activity_and_chips(new_context, mirror, sandbox, viewport):
    phone = viewport["width"] < 600
    width = viewport["width"]
    page = sized_page(new_context, viewport)
    login(page, "operator")
    found: dict[str, list[str]] = {}

    page.goto("/segments/?status=Active&ends=within&within_days=30&problems=on")
    expect(page.get_by_role("list", name="Active filters")).to_be_visible()
    audit(page, "segments with chips", found, phone=phone)
    shot(page, f"segments-chips-{width}")

    run = bulk_run_with_a_failure(page, sandbox)
    # A long answer, with a long unbroken request id: shown whole, wrapped.
    failed = AuditEvent.objects.get(bulk_run=run, outcome="failed")
    answer = "The platform answered: " + " ".join(f"detail-{i}" for i in range(120))
    AuditEvent.objects.filter(pk=failed.pk).update(
        message=answer, remote_request_id="req-" + "0123456789abcdef" * 6
    )
    page.reload()
    expect(page.locator("table.report-failed")).to_contain_text("detail-119")
    audit(page, "bulk report", found, phone=phone)
    shot(page, f"bulk-report-{width}")

    page.goto(f"/activity/?bulk_run={run.pk}")
    expect(page.locator("#activity-table tbody tr")).to_have_count(3)
    audit(page, "activity of one run", found, phone=phone)
    shot(page, f"activity-run-{width}")

    assert not found, "\n".join(f"{what}: {problems}" for what, problems in found.items())
