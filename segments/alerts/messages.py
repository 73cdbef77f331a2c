"""What an alert says, in any channel: one ``AlertLine`` per segment and condition."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse


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
