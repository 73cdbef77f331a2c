"""What an alert says, in any channel: one ``AlertLine`` per segment and condition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from segments import presentation
from segments.models import Alert, Condition


@dataclass(frozen=True)
class AlertLine:
    """One alert as the channels show it. ``detail`` says what was found (values compared)."""

    segment_id: int | None  # None: about the platform sync, not one segment
    segment_name: str
    condition: str
    detail: str
    # For machines (a webhook's own object): as stored, date-times in UTC.
    stored_detail: str = ""
    urgent: bool = False

    @property
    def url(self) -> str:
        if self.segment_id is None:
            return absolute_url(reverse("overview"))
        return absolute_url(reverse("segment-detail", args=[self.segment_id]))


def absolute_url(path: str) -> str:
    """``path`` on the dashboard as seen from outside (``SITE_URL``), for mails and webhooks."""
    return f"{settings.SITE_URL}{path}"


def days_remaining(days: int) -> str:
    """How long an "ends soon" segment has left: "less than a day", "1 day", "5 days"."""
    return "less than a day" if days == 0 else f"{days} day{'' if days == 1 else 's'}"


def _wording(alert: Alert, now: datetime) -> tuple[str, datetime, str] | None:
    """An "ends soon" alert as it reads now: (verb, its end date, the time left or "").
    None for another condition, or without an end date to word."""
    if alert.condition != Condition.ENDS_SOON:
        return None
    try:
        end_date = datetime.fromisoformat(alert.values["end_date"])
    except (KeyError, TypeError, ValueError):
        return None
    if timezone.is_naive(end_date):
        return None
    if alert.cleared_at:  # extended out of the window, or ended
        return ("ended" if end_date <= alert.cleared_at else "was to end", end_date, "")
    if end_date <= now:
        return ("ended", end_date, "")
    return ("ends", end_date, days_remaining((end_date - now).days))


def alert_detail(alert: Alert, *, zone: tzinfo, now: datetime | None = None) -> str:
    """What an alert found, worded when it is sent: an "ends soon" alert's end date in
    ``zone`` (the recipient's; the desk's for a webhook), named, and the days left
    counted from now. The stored ``detail`` is UTC text, as old as the alert."""
    wording = _wording(alert, now or timezone.now())
    if wording is None:
        return alert.detail
    verb, end_date, left = wording
    try:
        when = end_date.astimezone(zone).strftime("%d %b %Y %H:%M %Z")
    except OverflowError:  # at the calendar's ends the zone shift has no date
        return alert.detail
    return f"{verb} {when} ({left} left)" if left else f"{verb} {when}"


def alert_detail_html(alert: Alert, *, now: datetime | None = None) -> str:
    """``alert_detail`` for a page: the end date in the operator's zone, UTC on hover."""
    wording = _wording(alert, now or timezone.now())
    if wording is None:
        return alert.detail
    verb, end_date, left = wording
    when = presentation.when(end_date)
    return (
        format_html("{} {} ({} left)", verb, when, left)
        if left
        else format_html("{} {}", verb, when)
    )


def alert_line(alert: Alert, *, segment_name: str, urgent: bool, zone: tzinfo) -> AlertLine:
    """One alert for a mail (in its recipient's zone) or a webhook (in the desk's)."""
    return AlertLine(
        segment_id=alert.segment_id,
        segment_name=segment_name,
        condition=alert.get_condition_display(),
        detail=alert_detail(alert, zone=zone),
        stored_detail=alert.detail,
        urgent=urgent,
    )
