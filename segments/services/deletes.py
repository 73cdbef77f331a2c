"""Deletes with an undo window.

With ``DELETE_UNDO_SECONDS`` above 0 a confirmed delete is recorded with its
deadline and sent by a worker once the deadline passes; until then anybody with
the operator role may undo it. The deadline is kept in the database: a task is
also queued to run at the deadline where the backend can defer tasks
(``run_after``), and the housekeeping pass ``scheduled_deletes_run_due`` sends
every due delete whatever the queue did, so none is lost to a restart or to a
backend without deferred tasks. Sending twice is harmless: a delete answered
404 is already done.

At the deadline the delete goes through ``segment_delete`` with the segment's
``updated`` as the operator confirmed it: a segment changed on the platform in
the meantime is not deleted (it needs a new confirmation).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from segments.models import AuditEvent, BulkRun, ScheduledDelete, Segment
from segments.services.audit import Actor, audit_record
from segments.services.outcomes import utc_text
from segments.services.platform_writes import segment_delete

logger = logging.getLogger(__name__)
State = ScheduledDelete.State
Outcome = AuditEvent.Outcome

# A send claimed this long ago and never finished: its worker died; send again.
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 3


def undo_window() -> timedelta:
    return timedelta(seconds=settings.DELETE_UNDO_SECONDS)


@dataclass
class ScheduleResult:
    """Shaped like a write's result, so the delete dialog treats both alike."""

    scheduled: ScheduledDelete | None
    message: str
    segment: Segment | None = None

    @property
    def ok(self) -> bool:
        return self.scheduled is not None

    @property
    def outcome(self) -> str:
        return Outcome.DONE if self.ok else Outcome.REFUSED


def segment_delete_confirmed(
    *,
    actor: Actor,
    segment_id: int,
    expected_updated: datetime | None,
    bulk_run: BulkRun | None = None,
    run_lease: str = "",
    on_send=None,
    client=None,
):
    """A confirmed delete: scheduled after the undo window, or sent at once without
    one (``run_lease`` and ``on_send`` as for ``platform_writes.segment_delete``)."""
    if undo_window():
        return segment_delete_schedule(
            actor=actor, segment_id=segment_id, expected_updated=expected_updated, bulk_run=bulk_run
        )
    return segment_delete(
        actor=actor,
        segment_id=segment_id,
        expected_updated=expected_updated,
        client=client,
        bulk_run=bulk_run,
        run_lease=run_lease,
        on_send=on_send,
    )


def segment_delete_schedule(
    *,
    actor: Actor,
    segment_id: int,
    expected_updated: datetime | None,
    bulk_run: BulkRun | None = None,
) -> ScheduleResult:
    """Record a delete due after the undo window, audited; one open delete per segment."""
    segment = Segment.objects.filter(segment_id=segment_id).first()
    name = segment.name if segment else str(segment_id)
    deadline = timezone.now() + undo_window()
    try:
        with transaction.atomic():
            scheduled = ScheduledDelete.objects.create(
                segment_id=segment_id,
                segment_name=name,
                expected_updated=expected_updated,
                deadline=deadline,
                created_by=actor.user if getattr(actor.user, "pk", None) else None,
                ip=actor.ip,
                bulk_run=bulk_run,
            )
            audit_record(
                actor=actor,
                action=AuditEvent.Action.SCHEDULE_DELETE,
                outcome=Outcome.DONE,
                segment_id=segment_id,
                message=f"Segment “{name}” will be deleted at {utc_text(deadline)} unless undone.",
                bulk_run=bulk_run,
            )
    except IntegrityError:
        # Another operator's (or an earlier run's): audited, so that a bulk run's
        # report accounts for every segment it was given.
        message = f"A delete of “{name}” is already scheduled: nothing more was scheduled."
        audit_record(
            actor=actor,
            action=AuditEvent.Action.SCHEDULE_DELETE,
            outcome=Outcome.REFUSED,
            segment_id=segment_id,
            message=message,
            bulk_run=bulk_run,
        )
        return ScheduleResult(None, message, segment)
    transaction.on_commit(lambda: _enqueue(scheduled))
    return ScheduleResult(
        scheduled,
        f"Segment “{name}” will be deleted at {utc_text(deadline)}: until then it can be undone.",
        segment,
    )


def _enqueue(scheduled: ScheduledDelete) -> None:
    """Queue the send for the deadline where the backend can; housekeeping covers the rest."""
    from segments.tasks import scheduled_delete_send

    if scheduled_delete_send.get_backend().supports_defer:
        scheduled_delete_send.using(run_after=scheduled.deadline).enqueue(scheduled.pk)


def bulk_deletes_cancel(*, actor: Actor, run: BulkRun) -> int:
    """Undo every delete of a bulk run that is still waiting; returns how many."""
    waiting = ScheduledDelete.objects.filter(bulk_run=run, state=State.PENDING)
    return sum(scheduled_delete_cancel(actor=actor, scheduled=s) for s in waiting)


def scheduled_delete_cancel(*, actor: Actor, scheduled: ScheduledDelete) -> bool:
    """Undo a delete that has not been sent yet; audited. False if it is too late."""
    with transaction.atomic():
        cancelled = ScheduledDelete.objects.filter(pk=scheduled.pk, state=State.PENDING).update(
            state=State.CANCELLED,
            cancelled_by=actor.user,
            finished_at=timezone.now(),
            message=f"Undone by {actor.user.get_username()}.",
        )
        if cancelled:
            audit_record(
                actor=actor,
                action=AuditEvent.Action.UNDO_DELETE,
                outcome=Outcome.DONE,
                segment_id=scheduled.segment_id,
                message=f"Delete of “{scheduled.segment_name}” undone: nothing was sent.",
                bulk_run=scheduled.bulk_run,
            )
    scheduled.refresh_from_db()
    return bool(cancelled)


def scheduled_delete_execute(*, scheduled_id: int, now: datetime | None = None) -> str | None:
    """Send one due delete, once: the claim is a conditional update. Returns its new state."""
    now = now or timezone.now()
    claimed = ScheduledDelete.objects.filter(
        pk=scheduled_id, state=State.PENDING, deadline__lte=now
    ).update(state=State.RUNNING, claimed_at=now)
    if not claimed:
        return None
    scheduled = ScheduledDelete.objects.select_related("created_by").get(pk=scheduled_id)
    user = scheduled.created_by or get_user_model()(username="system")
    result = segment_delete(
        actor=Actor(user=user, ip=scheduled.ip),
        segment_id=scheduled.segment_id,
        expected_updated=scheduled.expected_updated,
        bulk_run=scheduled.bulk_run,
    )
    state = {
        Outcome.DONE: State.DONE,
        Outcome.NOT_FOUND: State.GONE,
        Outcome.CONFLICT: State.CHANGED,
    }.get(result.outcome, State.FAILED)
    attempts = scheduled.attempts + 1
    if state == State.FAILED and attempts < MAX_ATTEMPTS:
        # Tried again at the next housekeeping pass.
        ScheduledDelete.objects.filter(pk=scheduled_id).update(
            state=State.PENDING, attempts=attempts, message=result.message
        )
        return State.PENDING
    ScheduledDelete.objects.filter(pk=scheduled_id).update(
        state=state, attempts=attempts, finished_at=timezone.now(), message=result.message
    )
    return state


def scheduled_deletes_run_due(*, now: datetime | None = None) -> int:
    """Send every due delete, and again those whose sender died. Returns how many ran."""
    now = now or timezone.now()
    ScheduledDelete.objects.filter(state=State.RUNNING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        state=State.PENDING
    )
    due = ScheduledDelete.objects.filter(state=State.PENDING, deadline__lte=now).values_list(
        "pk", flat=True
    )
    return sum(scheduled_delete_execute(scheduled_id=pk, now=now) is not None for pk in list(due))
