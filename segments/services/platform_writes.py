"""Operator writes to a platform segment: remote first, then the mirror from the
remote's confirmed state, in one transaction with the audit record.

Each write holds the segment's write lock from its first read to its read-back
(``write_lock``), so two writers cannot both pass the ``updated`` comparison.
After a failure that may have reached the platform (no answer, 5xx, 429, an
unexpected answer) the segment is read back and the operator told the truth:
applied, not applied, or not confirmed. "Nothing was sent" only when logging
in or the read before the write failed."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction

from segments import remote
from segments.models import AuditEvent, BulkRun, Segment
from segments.remote import Conflict, NotFound, RemoteError, ValidationError
from segments.selectors.activity import desk_writer_of
from segments.selectors.deletes import extend_blocked_by_delete
from segments.services.audit import Actor, audit_record, snapshot
from segments.services.end_dates import end_date_problem, extension_base
from segments.services.mirror_store import segment_mark_deleted, segment_store
from segments.services.outcomes import (
    ActionResult,
    Outcome,
    despite,
    explain,
    failure_reason,
    no_answer,
    not_sent,
    utc_text,
)
from segments.services.write_lock import SegmentBusy, segment_write_lock

logger = logging.getLogger(__name__)


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    """``updated`` values as the operator saw them are compared to the microsecond."""
    return a is not None and b is not None and abs(a - b) < timedelta(microseconds=1)


class SegmentWrite:
    """One write to one segment: its audit context and the ways it can end."""

    def __init__(
        self,
        actor: Actor,
        action: str,
        segment_id: int,
        bulk_run: BulkRun | None,
        run_lease: str = "",
    ):
        self.actor = actor
        self.action = action
        self.segment_id = segment_id
        self.bulk_run = bulk_run
        self.run_lease = run_lease  # held by the caller: a bulk run executing
        self.mirror = Segment.objects.filter(segment_id=segment_id).first()
        self.before = snapshot(self.mirror)
        self.answer: remote.Answer | None = None  # the platform's answer to the write

    def audit(self, outcome: str, message: str, *, after=None, error=None) -> ActionResult:
        audit_record(
            actor=self.actor,
            action=self.action,
            outcome=outcome,
            segment_id=self.segment_id,
            before=self.before,
            after=after,
            message=message,
            error=error,
            answer=self.answer,
            bulk_run=self.bulk_run,
        )
        return ActionResult(outcome, message, error=error)

    def failed(self, error: RemoteError) -> ActionResult:
        """Nothing changes locally; the audit and the operator learn what failed."""
        logger.warning("%s of segment %s failed: %r", self.action, self.segment_id, error)
        return self.audit(*explain(error), error=error)

    def not_sent(self, error: RemoteError) -> ActionResult:
        """Logging in or the read before the write failed: nothing reached the platform."""
        logger.warning("%s of segment %s not sent: %r", self.action, self.segment_id, error)
        return self.audit(*not_sent(error), error=error)

    def busy(self) -> ActionResult:
        return self.audit(
            Outcome.CONFLICT,
            "Not applied: another change to this segment is still in progress (another "
            "operator or a bulk run). Nothing was sent: wait a moment and try again.",
        )

    def unchanged(self, error: RemoteError, current: remote.Segment, what: str) -> ActionResult:
        """The write failed and the read-back shows no change. If the platform
        answered, it did not apply it; if no answer came, it may still apply it."""
        reason, advice = failure_reason(error)
        if no_answer(error):
            outcome, message = (
                Outcome.UNKNOWN,
                (
                    f"Not confirmed: {reason} after the change was sent, and the segment read "
                    f"back does not show it yet ({what}). The platform may still apply it. "
                    "Refresh the segment in a minute to see, before trying again."
                ),
            )
        else:
            outcome = Outcome.FAILED
            message = f"Not applied: {reason}, and the segment read back shows {what}. {advice}"
        logger.warning("%s of segment %s: %s", self.action, self.segment_id, message)
        with transaction.atomic():
            fresh = segment_store(record=current)
            result = self.audit(outcome, message, after=snapshot(current), error=error)
        result.segment = fresh
        return result

    def unconfirmed(self, error: RemoteError, read_error: RemoteError) -> ActionResult:
        """The write failed and the segment cannot be read back: say we do not know."""
        reason, _ = failure_reason(error)
        read_reason, _ = failure_reason(read_error)
        message = (
            f"Not confirmed: {reason} after the change was sent, and the segment could not "
            f"be read back ({read_reason}). The change may or may not have been applied: "
            f"check segment {self.segment_id} on the platform (or refresh it here once the "
            "platform answers) before trying again."
        )
        logger.warning("%s of segment %s unconfirmed: %r", self.action, self.segment_id, error)
        return self.audit(Outcome.UNKNOWN, message, error=error)

    def gone(self, error: NotFound) -> ActionResult:
        """The remote has no such segment: reconcile the mirror and say so."""
        with transaction.atomic():
            segment_mark_deleted(segment_id=self.segment_id)
            return self.audit(*explain(error), error=error)

    def changed_meanwhile(self, current: remote.Segment) -> ActionResult:
        """The remote's segment differs from what the operator saw: store it, apply nothing."""
        by = desk_writer_of(segment_id=self.segment_id, updated=current.updated)
        where = f"in Segment Desk by {by}" if by else "on the platform"
        message = (
            f"Not applied: this segment was changed {where} at "
            f"{utc_text(current.updated)} since you loaded it. "
            "Its current values are shown; check them and apply again."
        )
        with transaction.atomic():
            fresh = segment_store(record=current)
            result = self.audit(Outcome.CONFLICT, message, after=snapshot(current))
        result.segment = fresh
        return result

    @staticmethod
    def changed_since(current: remote.Segment, expected_updated: datetime | None) -> bool:
        """Whether the remote's ``updated`` differs from what the operator saw."""
        return expected_updated is not None and not _same_instant(current.updated, expected_updated)


def _session(client: remote.SegmentApiClient | None):
    """The caller's client (a bulk run shares one), or a new one closed after use."""
    return contextlib.nullcontext(client) if client is not None else remote.segment_api()


def _locked(write: SegmentWrite, client, step) -> ActionResult:
    """``step(api)`` under the segment's write lock; "busy" if another write kept it."""
    try:
        lock = segment_write_lock(segment_id=write.segment_id, run_lease=write.run_lease)
        with lock, _session(client) as api:
            return step(api)
    except SegmentBusy:
        return write.busy()


def segment_extend(
    *,
    actor: Actor,
    segment_id: int,
    new_end_date: datetime | None = None,
    days: int | None = None,
    expected_updated: datetime | None,
    client: remote.SegmentApiClient | None = None,
    bulk_run: BulkRun | None = None,
    run_lease: str = "",
    on_send: Callable[[datetime], None] | None = None,
) -> ActionResult:
    """Move a segment's end date (to ``new_end_date``, or by ``days`` from the
    platform's exact current one), unless the remote changed it since the operator
    saw it. ``on_send`` is given the end date about to be sent, under the lock (a
    bulk run records it, to read back after losing its worker; ``run_lease`` is
    the run's, see ``segment_write_lock``)."""
    write = SegmentWrite(actor, AuditEvent.Action.EXTEND, segment_id, bulk_run, run_lease)
    return _locked(
        write,
        client,
        lambda api: _extend(write, api, new_end_date, days, expected_updated, on_send),
    )


def _extend(write, api, new_end_date, days, expected_updated, on_send) -> ActionResult:
    segment_id = write.segment_id
    # A bulk run or a policy may reach a segment whose delete was scheduled since.
    if blocked := extend_blocked_by_delete(segment_id=segment_id):
        return write.audit(Outcome.REFUSED, f"{blocked} Nothing was sent.")
    try:
        current = api.segment(segment_id=segment_id)
    except NotFound as exc:
        return write.gone(exc)
    except RemoteError as exc:
        return write.not_sent(exc)
    if write.changed_since(current, expected_updated):
        return write.changed_meanwhile(current)
    if days:
        # From the platform's own value, so its 100-ns digit is kept (PlatformInstant).
        try:
            new_end_date = extension_base(current.end_date) + timedelta(days=days)
        except OverflowError:
            return write.audit(Outcome.REFUSED, "This segment cannot be extended any further.")
    if problem := end_date_problem(new_end=new_end_date, current_end=current.end_date):
        return write.audit(Outcome.REFUSED, problem)
    if on_send is not None:
        on_send(new_end_date)
    error = answered = None
    try:
        answered = api.update_end_date(segment_id=segment_id, end_date=new_end_date)
        write.answer = api.last_answer
    except NotFound as exc:
        return write.gone(exc)
    except (ValidationError, Conflict) as exc:
        return write.failed(exc)
    except RemoteError as exc:
        error = exc  # it may have reached the platform: the read-back decides
    try:
        confirmed = api.segment(segment_id=segment_id)
    except NotFound as exc:
        return write.gone(exc)
    except RemoteError as exc:
        if error is not None:
            return write.unconfirmed(error, exc)
        logger.warning("read-back of segment %s failed: %r", segment_id, exc)
        confirmed = answered
    if error is not None and not _same_instant(confirmed.end_date, new_end_date):
        return write.unchanged(error, confirmed, f"it still ends {utc_text(confirmed.end_date)}")
    message = f"End date of “{confirmed.name}” moved to {utc_text(confirmed.end_date)}."
    if error is not None:
        message += despite(error, "the segment read back shows it")
    with transaction.atomic():
        stored = segment_store(record=confirmed)
        result = write.audit(Outcome.DONE, message, after=snapshot(confirmed), error=error)
    result.segment = stored
    return result


def segment_delete(
    *,
    actor: Actor,
    segment_id: int,
    expected_updated: datetime | None = None,
    client: remote.SegmentApiClient | None = None,
    bulk_run: BulkRun | None = None,
    run_lease: str = "",
    on_send: Callable[[], None] | None = None,
) -> ActionResult:
    """Delete a segment on the platform; the mirror keeps it, marked deleted.
    ``on_send`` is called under the lock just before the delete is sent."""
    write = SegmentWrite(actor, AuditEvent.Action.DELETE, segment_id, bulk_run, run_lease)
    return _locked(write, client, lambda api: _delete(write, api, expected_updated, on_send))


def _delete(write, api, expected_updated, on_send) -> ActionResult:
    segment_id = write.segment_id
    if expected_updated is not None:
        try:
            current = api.segment(segment_id=segment_id)
        except NotFound as exc:
            return write.gone(exc)
        except RemoteError as exc:
            return write.not_sent(exc)
        if write.changed_since(current, expected_updated):
            return write.changed_meanwhile(current)
    if on_send is not None:
        on_send()
    error = None
    try:
        api.delete_segment(segment_id=segment_id)
        write.answer = api.last_answer
    except NotFound as exc:
        return write.gone(exc)
    except (ValidationError, Conflict) as exc:
        return write.failed(exc)
    except RemoteError as exc:
        error = exc
    if error is not None:
        # It may have reached the platform: a 404 on reading back means it did.
        try:
            still_there = api.segment(segment_id=segment_id)
        except NotFound:
            pass
        except RemoteError as exc:
            return write.unconfirmed(error, exc)
        else:
            return write.unchanged(error, still_there, "it still exists")
    name = write.mirror.name if write.mirror else str(segment_id)
    message = f"Segment “{name}” was deleted on the platform."
    if error is not None:
        message += despite(error, "the segment is gone when read back")
    with transaction.atomic():
        segment_mark_deleted(segment_id=segment_id)
        result = write.audit(Outcome.DONE, message, error=error)
    result.segment = write.mirror
    return result
