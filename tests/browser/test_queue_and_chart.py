"""The team's queue and the count history chart in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from segments.models import AuditEvent, Review, Segment, SegmentCountSnapshot
from tests.browser import BROWSER_TEST
from tests.browser.conftest import login

pytestmark = BROWSER_TEST


def test_three_queue_items_acknowledged_at_once_from_the_overview(page: Page, mirror):
    login(page, "operator")
    queue = page.locator("#queue")
    rows = queue.locator("#attention-queue tbody tr")
    ids = [int(r.removeprefix("queue-")) for r in rows.evaluate_all("rs => rs.map(r => r.id)")]
    acknowledge = queue.get_by_role("button", name="Acknowledge")
    expect(acknowledge).to_be_disabled()
    for row_id in ids[:3]:
        queue.locator(f"#queue-{row_id} input[name=selected]").check()
    expect(queue.locator("[data-selected-count]")).to_have_text("3 selected:")
    acknowledge.click()

    expect(page.locator("#messages")).to_contain_text("3 segments: Acknowledged.")
    for row_id in ids[:3]:
        expect(page.locator(f"#queue-{row_id}")).to_have_count(0)
    expect(page.locator("#queue-title")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("3 segments: Acknowledged.")
    states = dict(Review.objects.values_list("segment_id", "state"))
    assert states == dict.fromkeys(ids[:3], "acknowledged")
    assert AuditEvent.objects.filter(action="review").count() == 3


def test_the_count_history_chart_has_axes_and_values_on_focus(page: Page, mirror):
    segment = Segment.objects.visible().filter(total_segment_upload_count__gt=0).first()
    first = SegmentCountSnapshot.objects.get(segment=segment)
    # Two more syncs' worth of counts, a day and three days later.
    for days, factor in ((1, 2), (3, 3)):
        SegmentCountSnapshot.objects.create(
            segment=segment,
            taken_at=first.taken_at + timedelta(days=days),
            total_log_count=first.total_log_count,
            total_ready_count=(first.total_ready_count or 0) * factor,
            total_processing_count=0,
            total_pending_count=0,
            total_upload_count=0,
            total_failed_count=first.total_failed_count,
            total_no_data_count=first.total_no_data_count,
            total_segment_upload_count=first.total_segment_upload_count * factor,
        )
    login(page, "viewer")
    page.goto(f"/segments/{segment.segment_id}/")
    chart = page.locator("figure.history svg")
    expect(chart).to_be_visible()
    # The value axis starts at zero and is labelled in K, M or B; the time axis in dates.
    values = chart.locator(".value-axis text").all_text_contents()
    assert values[0] == "0"
    assert all(re.fullmatch(r"\d+(\.\d)?[KMB]?", v) for v in values), values
    assert re.search(r"[KMB]$", values[-1]), values
    times = chart.locator(".time-axis text").all_text_contents()
    assert len(times) >= 2
    assert all(re.fullmatch(r"\d\d \w\w\w( \d{4}| \d\d:\d\d)", t) for t in times), times
    # A point per snapshot and line, the first snapshot included.
    expect(chart.locator(".series.line-uploads circle")).to_have_count(3)
    # Tab onto the last snapshot: its values show.
    last = chart.locator(".hit").last
    tip = chart.locator(".snapshot").last.locator(".tip")
    expect(tip).to_be_hidden()
    last.focus()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(f"Segment uploads: {segment.total_segment_upload_count * 3:,}")
    expect(last).to_have_attribute("aria-label", re.compile(r"Segment uploads [\d,]+"))
