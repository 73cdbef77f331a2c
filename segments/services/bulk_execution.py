"""A confirmed bulk run, executed by a task worker: each segment written at most
once, even when the worker is killed half-way and another one resumes the run.

The run is held under a lease (``bulk-run:<id>``) with a heartbeat; the
scheduler's ``bulk_runs_resume`` enqueues again a started run whose heartbeat
stopped. Before each write the segment is recorded as *sending*
(``BulkItem``); a resumed run reads each such segment back from the platform
and sends nothing when the platform already has the change.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from segments import remote
from segments.models import BulkItem, BulkRun, Segment
from segments.remote import NotFound, RemoteError
from segments.remote.records import parse_datetime
from segments.services.audit import Actor, audit_record, snapshot
from segments.services.deletes import segment_delete_confirmed
from segments.services.leases import LeaseLost, lease_held, leases_alive
from segments.services.mirror_store import segment_mark_deleted, segment_store
from segments.services.outcomes import Outcome, utc_text
from segments.services.platform_writes import segment_extend

logger = logging.getLogger(__name__)

# Within this, the end date read back is the one this run sent.
SAME_END_DATE = timedelta(milliseconds=1)


def bulk_run_lease(run_id: int) -> str:
    return f"bulk-run:{run_id}"


def bulk_run_lock_timeout() -> timedelta:
    return timedelta(seconds=settings.BULK_RUN_LOCK_TIMEOUT)


def bulk_run_execute(*, run_id: int) -> str:
    """Run (or resume) a confirmed run; returns what happened, for the task's result."""
    with lease_held(name=bulk_run_lease(run_id), timeout=bulk_run_lock_timeout()) as beat:
        if beat is None:
            return "running elsewhere"
        run = BulkRun.objects.select_related("confirmed_by", "created_by").get(pk=run_id)
        if run.confirmed_at is None:
            return "not confirmed"
        if run.finished_at is not None:
            return "finished already"
        now = timezone.now()
        BulkRun.objects.filter(pk=run.pk, started_at__isnull=True).update(started_at=now)
        actor = Actor(user=run.confirmed_by, ip=run.params.get("ip"))
        finished = set(
            run.items.filter(state=BulkItem.State.FINISHED).values_list("segment_id", flat=True)
        )
        sending = {item.segment_id: item for item in run.items.filter(state=BulkItem.State.SENDING)}
        audited = set(run.events.values_list("segment_id", flat=True))
        with remote.segment_api() as client:
            for segment_id in run.segment_ids:
                if beat.lost.is_set():
                    raise LeaseLost(bulk_run_lease(run_id))
                if segment_id in finished:
                    continue
                item = sending.get(segment_id)
                if item is None or not _settled_by_read_back(
                    run, actor, client, item, audited=segment_id in audited
                ):
                    _write_one(run, actor, client, segment_id, beat, resent=item is not None)
        BulkRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
        return "finished"


def _write_one(run: BulkRun, actor: Actor, client, segment_id: int, beat, *, resent: bool) -> None:
    """Record the segment as sending, then write it (read, write, read back, audit).

    An extend records the end date it sends, as the write computed it from the
    platform's value under the lock: a resumed run reads back against exactly that.
    It sends nothing once the run was taken over (this worker stalled): the next
    worker, which may take over this segment's write lock, writes it. The lease is
    renewed in the database (or found lost) just before the item is recorded and
    just before the write is sent (``beat.confirm``).
    """
    seen = run.params.get("seen", {}).get(str(segment_id))
    expected = parse_datetime(seen) if seen else None
    items = BulkItem.objects.filter(run=run, segment_id=segment_id)
    beat.confirm()
    if resent:  # marked sending by the stopped worker, never reached the platform
        items.update(target_end_date=None, sent_at=timezone.now())
    else:
        BulkItem.objects.create(run=run, segment_id=segment_id, state=BulkItem.State.SENDING)
    common = {
        "actor": actor,
        "segment_id": segment_id,
        "expected_updated": expected,
        "client": client,
        "bulk_run": run,
        "run_lease": bulk_run_lease(run.pk),
    }
    if run.action == BulkRun.Action.EXTEND:
        days = run.params.get("days")

        def sending(target) -> None:
            # The target first: a database write that may wait, after which the
            # renewed lease must still cover the send.
            items.update(target_end_date=target)
            beat.confirm()

        segment_extend(
            # +N days count from the platform's exact end date, read under the write lock.
            days=int(days) if days else None,
            new_end_date=None if days else parse_datetime(run.params["end_date"]),
            on_send=sending,
            **common,
        )
    else:
        segment_delete_confirmed(on_send=beat.confirm, **common)
    _finish(run, segment_id)


def _finish(run: BulkRun, segment_id: int) -> None:
    """The segment's outcome is audited: count it in the run's progress."""
    now = timezone.now()
    with transaction.atomic():
        BulkItem.objects.filter(run=run, segment_id=segment_id).update(
            state=BulkItem.State.FINISHED, finished_at=now
        )
        BulkRun.objects.filter(pk=run.pk).update(done=F("done") + 1, progress_at=now)


def _settled_by_read_back(run, actor, client, item: BulkItem, *, audited: bool) -> bool:
    """A segment whose write was sent when the previous worker stopped: find out
    from the platform whether it was applied. True if nothing must be sent."""
    if audited:  # the outcome was recorded; only the item's own bookkeeping was lost
        _finish(run, item.segment_id)
        return True
    action = run.action  # "extend" or "delete": the audit actions of the same names
    before = snapshot(Segment.objects.filter(segment_id=item.segment_id).first())
    note = "The worker running this bulk run stopped before the platform's answer arrived"
    try:
        current = client.segment(segment_id=item.segment_id)
    except NotFound:
        with transaction.atomic():
            segment_mark_deleted(segment_id=item.segment_id)
            gone = run.action == BulkRun.Action.DELETE
            audit_record(
                actor=actor,
                action=action,
                outcome=Outcome.DONE if gone else Outcome.NOT_FOUND,
                segment_id=item.segment_id,
                before=before,
                message=f"{note}; read back, the platform no longer has this segment"
                + (": it was deleted." if gone else "."),
                bulk_run=run,
            )
            _finish(run, item.segment_id)
        return True
    except RemoteError as exc:
        # Sending again could write twice: record that the outcome is unknown.
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=action,
                outcome=Outcome.FAILED,
                segment_id=item.segment_id,
                before=before,
                message=f"{note}, and reading the segment back failed: whether the change "
                "was applied is unknown. Refresh the segment before trying again.",
                error=exc,
                bulk_run=run,
            )
            _finish(run, item.segment_id)
        return True
    applied = (
        run.action == BulkRun.Action.EXTEND
        and current.end_date is not None
        and item.target_end_date is not None
        and abs(current.end_date - item.target_end_date) < SAME_END_DATE
    )
    if not applied:
        return False  # the write never reached the platform: send it now, once
    with transaction.atomic():
        segment_store(record=current)
        audit_record(
            actor=actor,
            action=action,
            outcome=Outcome.DONE,
            segment_id=item.segment_id,
            before=before,
            after=snapshot(current),
            message=f"End date of “{current.name}” moved to {utc_text(current.end_date)} "
            f"({note.lower()}; the platform's state was read back).",
            bulk_run=run,
        )
        _finish(run, item.segment_id)
    return True


def bulk_runs_stalled() -> list[int]:
    """Started, unfinished runs whose lease heartbeat stopped: their worker died."""
    candidates = BulkRun.objects.filter(
        confirmed_at__isnull=False, started_at__isnull=False, finished_at__isnull=True
    ).values_list("pk", flat=True)
    leases = {bulk_run_lease(run_id): run_id for run_id in candidates}
    alive = leases_alive(names=list(leases), timeout=bulk_run_lock_timeout())
    working = {leases[name] for name in alive.values_list("name", flat=True)}
    return [run_id for run_id in leases.values() if run_id not in working]
