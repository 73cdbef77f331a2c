"""The segments table's rows and dialogs in a browser, and the operator's page,
for the write side's tests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import Locator, Page

from segments import remote
from segments.models import Segment
from tests.browser.conftest import BROWSER_TIME_ZONE

ZONE = ZoneInfo(BROWSER_TIME_ZONE)


def count_text(n: int) -> re.Pattern:
    """The table's count line for ``n`` segments (``25 segments · page 1 of 3``)."""
    return re.compile(rf"^{n:,} segments?(\s·|$)")


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
