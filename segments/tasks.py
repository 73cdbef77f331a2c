"""Long work as Django tasks (``django.tasks``), run by ``manage.py worker``
processes, and the schedule that ``manage.py crontask`` keeps.

A task's arguments and return value are JSON: ids and flags in, a small
summary out. Progress goes to the database (``SyncState``, ``BulkRun``) where
every web process reads it. Expiry policies run after each sync; deletes with
an undo window are sent at their deadline (docs/expiry-undo-views.md).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from crontask import cron
from django.conf import settings
from django.contrib.sessions.models import Session
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from segments.alerts.delivery import alert_digests_send
from segments.alerts.services import alerts_evaluate
from segments.models import SegmentCountSnapshot, SubmissionToken
from segments.schedule import bulk_resume_every, full_sync_trigger, incremental_sync_trigger
from segments.services.bulk_execution import bulk_run_execute, bulk_runs_stalled
from segments.services.deletes import scheduled_delete_execute, scheduled_deletes_run_due
from segments.services.policies import policies_after_sync
from segments.services.sync_lock import sync_exclusive, sync_running

logger = logging.getLogger(__name__)


@task
def sync_platform(*, full: bool = False) -> dict:
    """One sync of the whole platform (incremental unless ``full``), unless one is
    running already: then ``{"already_running": "…"}``."""
    report = sync_exclusive(full=full)
    if report is None:
        return {"already_running": str(sync_running() or "Another sync is running.")}
    if not report.ok:
        logger.warning("sync failed: %s", "; ".join(report.errors))
    return {**dataclasses.asdict(report), "alerts": sync_aftermath(report=report)}


def sync_aftermath(*, report) -> dict | None:
    """What follows every sync, scheduled or by hand (``manage.py sync``), in the
    sync's own task: the active expiry policies (each write reads its segment first,
    so a failed sync does not mislead them), then the alerts, after a failed sync too
    (it may raise "sync failing"). The policies first: a segment they extend is not
    alerted "ends soon" (mailed, sent to the webhooks) only to be cleared a moment
    later. Returns the alerts' report; ``None`` if evaluating them failed, which is
    logged and leaves the sync's own result standing."""
    try:
        policies_after_sync()
    except Exception:  # the alerts are evaluated all the same
        logger.exception("the expiry policies' run after the sync failed")
    try:
        return alerts_evaluate(sync_report=report).as_dict()
    except Exception:
        logger.exception("alert evaluation after the sync failed")
        return None


@task
def bulk_run(*, run_id: int) -> str:
    """Execute (or resume) a confirmed bulk run."""
    return bulk_run_execute(run_id=run_id)


@task
def bulk_runs_resume() -> list[int]:
    """Enqueue again the runs whose worker stopped mid-run (killed, host lost)."""
    stalled = bulk_runs_stalled()
    for run_id in stalled:
        logger.warning("bulk run %s stalled (its worker stopped): resuming it", run_id)
        bulk_run.enqueue(run_id=run_id)
    return stalled


@task
def housekeeping() -> dict[str, int]:
    """Delete what is past its use: expired sessions, and form tokens, finished
    task records and count snapshots older than ``RETENTION_DAYS``."""
    now = timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    deleted = {
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "form_tokens": SubmissionToken.objects.filter(used_at__lt=cutoff).delete()[0],
        "task_results": DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()[0],
        "count_snapshots": SegmentCountSnapshot.objects.filter(taken_at__lt=cutoff).delete()[0],
    }
    logger.info("housekeeping: %s", deleted)
    return deleted


@task
def scheduled_delete_send(scheduled_id: int) -> str | None:
    """Send one delete at its deadline (queued with ``run_after``)."""
    return scheduled_delete_execute(scheduled_id=scheduled_id)


@task
def scheduled_deletes_due() -> int:
    """Every minute: send every due delete, whatever happened to its own task."""
    return scheduled_deletes_run_due()


# --- the schedule (registered with crontask's scheduler; only its process runs it) ---


@task
def sync_incremental() -> dict:
    return sync_platform.call(full=False)


@task
def sync_full() -> dict:
    return sync_platform.call(full=True)


def _schedule() -> None:
    for trigger, scheduled in (
        (incremental_sync_trigger(), sync_incremental),
        (full_sync_trigger(), sync_full),
        (IntervalTrigger(seconds=bulk_resume_every()), bulk_runs_resume),
        (CronTrigger(hour=4, minute=30, timezone=settings.TIME_ZONE), housekeeping),
        # Each user's digest is due at ALERT_DIGEST_AT in their own zone.
        (IntervalTrigger(minutes=5), alert_digests_send),
        (IntervalTrigger(minutes=1), scheduled_deletes_due),
    ):
        if trigger is not None:
            cron(trigger, sentry_monitor_config=None)(scheduled)


_schedule()
