"""When the scheduler syncs, from the settings: the triggers ``segments.tasks``
registers with crontask, and what the pages say about the next run."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def incremental_interval() -> timedelta | None:
    seconds = settings.SYNC_INTERVAL_TEST_SECONDS or settings.SYNC_INTERVAL_MINUTES * 60
    return timedelta(seconds=seconds) if seconds > 0 else None


def incremental_sync_trigger() -> IntervalTrigger | None:
    interval = incremental_interval()
    return IntervalTrigger(seconds=interval.total_seconds()) if interval else None


def full_sync_trigger() -> CronTrigger | None:
    """Daily at ``SYNC_FULL_AT`` (HH:MM in the dashboard's zone); None when empty."""
    if not settings.SYNC_FULL_AT:
        return None
    hour, _, minute = settings.SYNC_FULL_AT.partition(":")
    try:
        return CronTrigger(hour=int(hour), minute=int(minute or 0), timezone=settings.TIME_ZONE)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SYNC_FULL_AT={settings.SYNC_FULL_AT!r}: use HH:MM") from exc


def bulk_resume_every() -> float:
    """How often the scheduler looks for bulk runs whose worker stopped (seconds)."""
    return settings.BULK_RESUME_TEST_SECONDS or settings.BULK_RUN_LOCK_TIMEOUT / 2


def next_syncs(*, last_attempt: datetime | None, now: datetime) -> dict:
    """The next incremental and full syncs, and whether the incremental one is
    overdue (no attempt for two intervals and a minute: no scheduler or worker)."""
    interval = incremental_interval()
    full = full_sync_trigger()
    overdue = bool(
        interval
        and last_attempt is not None
        and now - last_attempt > 2 * interval + timedelta(minutes=1)
    )
    return {
        "interval": interval,
        "interval_text": _duration_text(interval) if interval else "",
        "next_incremental": (last_attempt or now) + interval if interval else None,
        "next_full": full.get_next_fire_time(None, now) if full else None,
        "overdue": overdue,
    }


def _duration_text(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    return "minute" if minutes == 1 else f"{minutes} minutes"
