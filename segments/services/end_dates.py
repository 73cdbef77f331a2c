"""The rules for a segment's new end date, shared by the forms and the writes."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from segments.services.outcomes import utc_text


def extension_base(end_date: datetime | None, now: datetime | None = None) -> datetime:
    """What the +N days presets count from: the current end date, or now for a
    segment already expired (a preset must give a date in the future)."""
    now = now or timezone.now()
    return end_date if end_date and end_date > now else now


def end_date_problem(*, new_end: datetime, current_end: datetime | None) -> str | None:
    """Why ``new_end`` cannot be the new end date, or ``None`` if it can."""
    if new_end <= timezone.now():
        return "The new end date must be in the future."
    if current_end is not None and new_end <= current_end:
        return f"The new end date must be later than the current one ({utc_text(current_end)})."
    return None
