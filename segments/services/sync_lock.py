"""One whole-platform sync at a time, across every process and host.

``manage.py sync``, the UI's Refresh (through the task) and the schedule all
run ``sync_exclusive``; a second request while one runs is answered with the
running one's progress instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import TaskResultStatus

from segments.models import SyncState
from segments.services.leases import LeaseLost, lease_current, lease_held
from segments.services.sync import Progress, SyncReport, sync_run

SYNC_LEASE = "sync"


def _quiet(stage: str, done: int, total: int) -> None:
    """Report nothing."""


def sync_lock_timeout() -> timedelta:
    return timedelta(seconds=settings.SYNC_LOCK_TIMEOUT)


@dataclass(frozen=True)
class RunningSync:
    since: datetime
    done: int
    total: int

    def __str__(self) -> str:
        of = f" ({self.done} of {self.total} audiences)" if self.total else ""
        return f"A sync of the whole platform is already running{of}."


def sync_running() -> RunningSync | None:
    """The sync running somewhere now (its heartbeat is fresh), with its progress."""
    lease = lease_current(name=SYNC_LEASE, timeout=sync_lock_timeout())
    if lease is None:
        return None
    state = SyncState.objects.filter(source=SyncState.Source.SEGMENTS).first()
    done, total = (state.progress_done, state.progress_total) if state else (0, 0)
    return RunningSync(since=lease.acquired_at, done=done, total=total)


def sync_exclusive(*, full: bool = False, progress: Progress = _quiet) -> SyncReport | None:
    """Sync the whole platform under the sync lease; None if another sync holds it.

    A sync whose lease was taken over (its heartbeat stopped too long, e.g. the
    database was unreachable) stops at its next progress report.
    """
    with lease_held(name=SYNC_LEASE, timeout=sync_lock_timeout()) as beat:
        if beat is None:
            return None

        def checked(stage: str, done: int, total: int) -> None:
            if beat.lost.is_set():
                raise LeaseLost(SYNC_LEASE)
            progress(stage, done, total)

        return sync_run(full=full, progress=checked)


@dataclass(frozen=True)
class SyncRequested:
    """What asking for a sync did: found one running, ran one inline, or queued one."""

    running: RunningSync | None = None
    report: SyncReport | None = None

    @property
    def queued(self) -> bool:
        return self.running is None and self.report is None


def sync_request(*, full: bool = False) -> SyncRequested:
    """The UI's Refresh: a sync task for the workers, unless one is running already.

    With an inline backend (tests) the task has run when this returns: its report
    is returned. Two requests at the same moment may both enqueue; the second
    task then finds the lock held and does nothing.
    """
    from segments.tasks import sync_platform  # tasks import this module

    if running := sync_running():
        return SyncRequested(running=running)
    result = sync_platform.enqueue(full=full)
    if not result.is_finished:
        return SyncRequested()
    if result.status != TaskResultStatus.SUCCESSFUL:
        return SyncRequested(report=SyncReport(full=full, errors=["the sync task crashed"]))
    outcome = result.return_value
    if "already_running" in outcome:
        return SyncRequested(running=sync_running())
    # The task's result also carries what ran after the sync (alerts): keep the report.
    fields = {f.name for f in dataclasses.fields(SyncReport)}
    return SyncRequested(report=SyncReport(**{k: v for k, v in outcome.items() if k in fields}))
