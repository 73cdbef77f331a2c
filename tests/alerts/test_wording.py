"""How an "ends soon" alert reads when it is shown or sent: its end date in the reader's
zone, named, and the days left counted from now; after it cleared, what became of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from segments.alerts.messages import alert_detail, alert_detail_html
from segments.models import Alert

END = datetime(2026, 12, 20, 15, 31, tzinfo=UTC)
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def ends_soon(**fields) -> Alert:
    return Alert(
        condition="ends_soon", detail="stored", values={"end_date": END.isoformat()}, **fields
    )


def test_an_open_alert_counts_the_days_left_from_now_in_the_reader_s_zone():
    assert alert_detail(ends_soon(), zone=AMSTERDAM, now=NOW) == (
        "ends 20 Dec 2026 16:31 CET (12 days left)"
    )
    later = NOW + timedelta(days=12)
    assert alert_detail(ends_soon(), zone=ZoneInfo("America/New_York"), now=later) == (
        "ends 20 Dec 2026 10:31 EST (less than a day left)"
    )
    assert alert_detail(ends_soon(), zone=AMSTERDAM, now=END) == "ended 20 Dec 2026 16:31 CET"


def test_a_cleared_alert_says_the_segment_ended_or_was_to_end():
    """Extended out of the window, a segment "was to end" then, long after that date."""
    extended = ends_soon(cleared_at=NOW)
    after_the_date = END + timedelta(days=30)
    assert alert_detail(extended, zone=AMSTERDAM, now=after_the_date) == (
        "was to end 20 Dec 2026 16:31 CET"
    )
    assert "was to end <time" in alert_detail_html(extended, now=after_the_date)
    ended = ends_soon(cleared_at=END + timedelta(minutes=5))
    assert alert_detail(ended, zone=AMSTERDAM, now=after_the_date) == (
        "ended 20 Dec 2026 16:31 CET"
    )


def test_what_cannot_be_worded_keeps_the_stored_detail():
    for values in ({}, {"end_date": "not a date"}, {"end_date": None}, {"end_date": "2026-12-20"}):
        alert = Alert(condition="ends_soon", detail="kept", values=values)
        assert alert_detail(alert, zone=AMSTERDAM) == "kept"  # a naive date included
        assert alert_detail_html(alert) == "kept"
    assert alert_detail(Alert(condition="anomaly", detail="as found"), zone=AMSTERDAM) == (
        "as found"
    )
