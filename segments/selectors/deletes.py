"""Reads for deletes waiting out their undo window."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from segments.models import ScheduledDelete


def open_deletes() -> dict[int, ScheduledDelete]:
    """Every delete not sent yet, by segment id: few at a time (one undo window's worth)."""
    waiting = ScheduledDelete.objects.filter(state__in=ScheduledDelete.OPEN).only(
        "pk", "segment_id", "deadline", "state"
    )
    return {d.segment_id: d for d in waiting}


def open_delete(*, segment_id: int) -> ScheduledDelete | None:
    return ScheduledDelete.objects.filter(
        segment_id=segment_id, state__in=ScheduledDelete.OPEN
    ).first()


def countdown(deadline: datetime, now: datetime | None = None) -> str:
    """Time left as m:ss, as the page's script keeps counting it."""
    left = max(0, int((deadline - (now or timezone.now())).total_seconds()))
    return f"{left // 60}:{left % 60:02d}"
