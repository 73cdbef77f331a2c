"""What an alert says, in any channel: one ``AlertLine`` per segment and condition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    urgent: bool = False

    @property
    def url(self) -> str:
        if self.segment_id is None:
            return absolute_url(reverse("overview"))
        return absolute_url(reverse("segment-detail", args=[self.segment_id]))


def absolute_url(path: str) -> str:
    """``path`` on the dashboard as seen from outside (``SITE_URL``), for mails and webhooks."""
    return f"{settings.SITE_URL}{path}"


def _end_date(alert: Alert) -> datetime | None:
    if alert.condition != Condition.ENDS_SOON:
        return None
    try:
        return datetime.fromisoformat(alert.values["end_date"])
    except (KeyError, TypeError, ValueError):
        return None


def _remaining(end_date: datetime, now: datetime) -> str:
    left = (end_date - now).days
    return "less than a day" if left == 0 else f"{left} day{'' if left == 1 else 's'}"


def alert_detail(alert: Alert, *, now: datetime | None = None) -> str:
    """What an alert found, worded when it is shown (mail, webhook): an "ends soon"
    alert's end date in the desk's zone, named, and the days left counted from now.
    The stored ``detail`` is one zone's (UTC) and as old as the alert."""
    end_date = _end_date(alert)
    if end_date is None:
        return alert.detail
    now = now or timezone.now()
    try:
        when = timezone.localtime(end_date).strftime("%d %b %Y %H:%M %Z")
    except OverflowError:  # at the calendar's ends the zone shift has no date
        return alert.detail
    if end_date <= now:
        return f"ended {when}"
    if alert.cleared_at:
        return f"ends {when}"
    return f"ends {when} ({_remaining(end_date, now)} left)"


def alert_detail_html(alert: Alert, *, now: datetime | None = None) -> str:
    """``alert_detail`` for a page: the end date in the operator's zone, UTC on hover."""
    end_date = _end_date(alert)
    if end_date is None:
        return alert.detail
    now = now or timezone.now()
    when = presentation.when(end_date)
    if end_date <= now:
        return format_html("ended {}", when)
    if alert.cleared_at:
        return format_html("ends {}", when)
    return format_html("ends {} ({} left)", when, _remaining(end_date, now))
