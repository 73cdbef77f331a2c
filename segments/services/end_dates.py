"""The rules for a segment's new end date, shared by the forms and the writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from segments.services.outcomes import utc_text


def extension_base(end_date: datetime | None, now: datetime | None = None) -> datetime:
    """What the +N days presets count from: the current end date, or now for a
    segment already expired (a preset must give a date in the future)."""
    now = now or timezone.now()
    return end_date if end_date and end_date > now else now


def end_date_horizon_problem(new_end: datetime) -> str | None:
    """An end date beyond ``MAX_END_DATE_YEARS`` from now is refused: most likely a
    typo, and such dates break date arithmetic (the platform's own far dates are
    still shown as they are)."""
    years = settings.MAX_END_DATE_YEARS
    horizon = timezone.now() + timedelta(days=round(365.25 * years))
    if new_end > horizon:
        return (
            f"The new end date must be within {years} years from now (before {utc_text(horizon)})."
        )
    return None


def end_date_problem(*, new_end: datetime, current_end: datetime | None) -> str | None:
    """Why ``new_end`` cannot be the new end date, or ``None`` if it can."""
    if new_end <= timezone.now():
        return "The new end date must be in the future."
    if problem := end_date_horizon_problem(new_end):
        return problem
    if current_end is not None and new_end <= current_end:
        return f"The new end date must be later than the current one ({utc_text(current_end)})."
    return None
