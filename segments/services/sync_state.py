"""The bookkeeping of each sync source (``SyncState``). One whole-platform sync at
a time is ``sync_lock``'s concern."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from segments.models import SyncState

logger = logging.getLogger(__name__)


def stage_begin(source: str) -> SyncState:
    """A stage starts: record the attempt and reset its progress."""
    state, _ = SyncState.objects.get_or_create(source=source)
    now = timezone.now()
    SyncState.objects.filter(pk=state.pk).update(
        last_attempt_at=now, running_since=now, progress_done=0, progress_total=0
    )
    return state


def stage_progress(source: str, **progress: int) -> None:
    """``progress_done`` and/or ``progress_total`` of a running stage."""
    SyncState.objects.filter(source=source).update(
        **{f"progress_{key}": value for key, value in progress.items()}
    )


def stage_failed(source: str, error: Exception) -> None:
    SyncState.objects.filter(source=source).update(
        last_error=str(error)[:2000], last_error_at=timezone.now(), running_since=None
    )
    logger.warning("sync of %s failed: %s", source, error)


def stage_succeeded(source: str, *, cursor: datetime | None = None) -> None:
    values = {
        "last_success_at": timezone.now(),
        "running_since": None,
        "last_error": "",
        "last_error_at": None,
    }
    if cursor is not None:
        values["cursor"] = cursor
    SyncState.objects.filter(source=source).update(**values)
