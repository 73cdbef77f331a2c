"""Operator actions: remote first, then the mirror from the remote's confirmed
state, in one transaction with the audit record. A failed write changes nothing
locally; its audit record and the operator's message say what failed."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from segments import remote
from segments.models import (
    Account,
    Audience,
    AuditEvent,
    BulkRun,
    Note,
    Review,
    Segment,
    SubmissionToken,
)
from segments.remote import (
    AuthError,
    BadResponse,
    Conflict,
    NotFound,
    RateLimited,
    RemoteError,
    Unavailable,
    ValidationError,
)
from segments.services.sync import segment_store

logger = logging.getLogger(__name__)
Outcome = AuditEvent.Outcome


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: recorded on every audit event."""

    user: object
    ip: str | None = None


@dataclass
class ActionResult:
    outcome: str
    message: str
    segment: Segment | None = None
    error: RemoteError | None = None
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.DONE


class AlreadySubmitted(Exception):
    """This form's token was used before: the submission is not processed twice."""


def submission_claim(*, token: str, user) -> None:
    """Accept a rendered form's token once. Raises ``AlreadySubmitted`` after that."""
    try:
        with transaction.atomic():
            SubmissionToken.objects.create(token=token, user=user)
    except IntegrityError:
        raise AlreadySubmitted from None


def snapshot(segment: Segment | remote.Segment | None) -> dict | None:
    """The audited view of a segment: what operators change and how to find it."""
    if segment is None:
        return None

    def iso(value):
        return value.isoformat() if value else None

    return {
        "name": segment.name,
        "status": segment.status,
        "end_date": iso(segment.end_date),
        "updated": iso(segment.updated),
        "audience_id": segment.audience_id,
        "account_id": segment.account_id,
    }


def explain(error: RemoteError) -> tuple[str, str]:
    """The audit outcome and the operator's message for a failed write to the remote."""
    parts = [f"HTTP {error.status}"] if error.status else []
    if error.request_id:
        parts.append(f"request id {error.request_id}")
    ref = f" ({', '.join(parts)})" if parts else ""
    server = (
        f": {error.message}" if error.message and error.message != error.default_message else ""
    )
    if isinstance(error, ValidationError):
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.field_errors.items())
        reason = error.message + (f" ({fields})" if fields else "")
        return (
            Outcome.REFUSED,
            f"The platform refused the change: {reason}{ref}. Correct it and try again.",
        )
    if isinstance(error, NotFound):
        return Outcome.NOT_FOUND, (
            f"The platform no longer has this segment{ref}. It was already deleted; "
            "it is now hidden from the tables."
        )
    if isinstance(error, Conflict):
        return Outcome.CONFLICT, (
            f"The platform says the segment is being changed by another operation{server}{ref}. "
            "Refresh it and try again in a moment."
        )
    if isinstance(error, RateLimited):
        wait = f"{error.retry_after:g} seconds" if error.retry_after else "a minute"
        return Outcome.FAILED, (
            f"The platform is throttling requests{ref}. Nothing was changed: wait {wait} and "
            "try again."
        )
    if isinstance(error, AuthError):
        return Outcome.FAILED, (
            f"The platform refused the dashboard's credentials{ref}. Nothing was changed: "
            "ask an admin to check the Segment API settings."
        )
    if isinstance(error, Unavailable) and error.status is None:
        return Outcome.FAILED, (
            f"The platform did not confirm the change: {error.message} It may or may not have "
            "been applied. Refresh the segment to see its current values before trying again."
        )
    if isinstance(error, Unavailable):
        return Outcome.FAILED, (
            f"The platform is unavailable{server}{ref}. Nothing was changed: try again in a "
            "few minutes."
        )
    if isinstance(error, BadResponse):
        return Outcome.FAILED, (
            f"The platform answered something unexpected{ref}. The change may have been applied: "
            "refresh the segment before trying again."
        )
    return Outcome.FAILED, f"The platform returned an error{server}{ref}. Nothing was changed."


def _audit(
    actor: Actor,
    action: str,
    outcome: str,
    *,
    segment_id: int | None = None,
    audience_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    error: RemoteError | None = None,
    bulk_run: BulkRun | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        user=actor.user if getattr(actor.user, "pk", None) else None,
        username=getattr(actor.user, "username", "") or "system",
        ip=actor.ip,
        action=action,
        outcome=outcome,
        segment_id=segment_id,
        audience_id=audience_id,
        before=before,
        after=after,
        message=message[:4000],
        remote_status=error.status if error else None,
        remote_request_id=(error.request_id or "") if error else "",
        bulk_run=bulk_run,
    )


def _failed(actor, action, error, *, audience_id=None) -> ActionResult:
    """A create or activate call failed: audit it and explain it."""
    outcome, message = explain(error)
    _audit(actor, action, outcome, audience_id=audience_id, message=message, error=error)
    logger.warning("%s of audience %s failed: %r", action, audience_id, error)
    return ActionResult(outcome, message, error=error)


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    """``updated`` values as the operator saw them are compared to the microsecond."""
    return a is not None and b is not None and abs(a - b) < timedelta(microseconds=1)


def stamp(value: datetime) -> str:
    """A date-time for a message that is also stored in the audit trail: in UTC,
    saying so, since a bulk run's messages are written away from any request."""
    return f"{value.astimezone(UTC):%d %b %Y %H:%M} UTC"


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
        return f"The new end date must be later than the current one ({stamp(current_end)})."
    return None


class _SegmentWrite:
    """One write to one segment: its audit context and the ways it can end."""

    def __init__(self, actor: Actor, action: str, segment_id: int, bulk_run: BulkRun | None):
        self.actor, self.action, self.segment_id, self.bulk_run = (
            actor,
            action,
            segment_id,
            bulk_run,
        )
        self.mirror = Segment.objects.filter(segment_id=segment_id).first()
        self.before = snapshot(self.mirror)

    def audit(self, outcome: str, message: str, *, after=None, error=None) -> ActionResult:
        _audit(
            self.actor,
            self.action,
            outcome,
            segment_id=self.segment_id,
            before=self.before,
            after=after,
            message=message,
            error=error,
            bulk_run=self.bulk_run,
        )
        return ActionResult(outcome, message, error=error)

    def failed(self, error: RemoteError) -> ActionResult:
        """Nothing changes locally; the audit and the operator learn what failed."""
        logger.warning("%s of segment %s failed: %r", self.action, self.segment_id, error)
        return self.audit(*explain(error), error=error)

    def gone(self, error: NotFound) -> ActionResult:
        """The remote has no such segment: reconcile the mirror and say so."""
        with transaction.atomic():
            Segment.objects.filter(segment_id=self.segment_id, is_deleted=False).update(
                is_deleted=True, deleted_at=timezone.now()
            )
            return self.audit(*explain(error), error=error)

    def changed_meanwhile(self, current: remote.Segment) -> ActionResult:
        """The remote's segment differs from what the operator saw: store it, apply nothing."""
        message = (
            f"Not applied: this segment was changed on the platform at "
            f"{stamp(current.updated)} since you loaded it. "
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


def segment_extend(
    *,
    actor: Actor,
    segment_id: int,
    new_end_date: datetime,
    expected_updated: datetime | None,
    client: remote.SegmentApiClient | None = None,
    bulk_run: BulkRun | None = None,
) -> ActionResult:
    """Move a segment's end date, unless the remote changed it since the operator saw it."""
    write = _SegmentWrite(actor, AuditEvent.Action.EXTEND, segment_id, bulk_run)
    try:
        with _session(client) as api:
            current = api.segment(segment_id=segment_id)
            if write.changed_since(current, expected_updated):
                return write.changed_meanwhile(current)
            if problem := end_date_problem(new_end=new_end_date, current_end=current.end_date):
                return write.audit(Outcome.REFUSED, problem)
            answered = api.update_end_date(segment_id=segment_id, end_date=new_end_date)
            confirmed = _read_back(api, segment_id) or answered
    except NotFound as exc:
        return write.gone(exc)
    except RemoteError as exc:
        return write.failed(exc)
    message = f"End date of “{confirmed.name}” moved to {stamp(confirmed.end_date)}."
    with transaction.atomic():
        stored = segment_store(record=confirmed)
        result = write.audit(Outcome.DONE, message, after=snapshot(confirmed))
    result.segment = stored
    return result


def _read_back(client: remote.SegmentApiClient, segment_id: int) -> remote.Segment | None:
    """The segment as the remote now has it; ``None`` if the read fails (the write's
    own answer then stands as the confirmed state)."""
    try:
        return client.segment(segment_id=segment_id)
    except RemoteError as exc:
        logger.warning("read-back of segment %s failed: %r", segment_id, exc)
        return None


def segment_delete(
    *,
    actor: Actor,
    segment_id: int,
    expected_updated: datetime | None = None,
    client: remote.SegmentApiClient | None = None,
    bulk_run: BulkRun | None = None,
) -> ActionResult:
    """Delete a segment on the platform; the mirror keeps it, marked deleted."""
    write = _SegmentWrite(actor, AuditEvent.Action.DELETE, segment_id, bulk_run)
    try:
        with _session(client) as api:
            if expected_updated is not None:
                current = api.segment(segment_id=segment_id)
                if write.changed_since(current, expected_updated):
                    return write.changed_meanwhile(current)
            api.delete_segment(segment_id=segment_id)
    except NotFound as exc:
        return write.gone(exc)
    except RemoteError as exc:
        return write.failed(exc)
    name = write.mirror.name if write.mirror else str(segment_id)
    with transaction.atomic():
        Segment.objects.filter(segment_id=segment_id).update(
            is_deleted=True, deleted_at=timezone.now()
        )
        result = write.audit(Outcome.DONE, f"Segment “{name}” was deleted on the platform.")
    result.segment = write.mirror
    return result


def audience_create(
    *, actor: Actor, name: str, campaign_id: int, description: str = ""
) -> ActionResult:
    """Create a CRM audience on the platform and add it to the catalogue mirror."""
    action = AuditEvent.Action.CREATE_AUDIENCE
    try:
        with remote.segment_api() as client:
            created = client.create_crm_audience(
                name=name, campaign_id=campaign_id, description=description
            )
    except RemoteError as exc:
        return _failed(actor, action, exc)
    message = f"CRM audience “{created.name}” created (id {created.id})."
    with transaction.atomic():
        Audience.objects.update_or_create(
            id=created.id,
            defaults={
                "type": Audience.Type.LIST,
                "name": created.name,
                "last_updated": created.updated or created.created,
                "synced_at": timezone.now(),
                "segments_dirty": True,
                "is_deleted": False,
            },
        )
        _audit(
            actor,
            action,
            Outcome.DONE,
            audience_id=created.id,
            after={"name": created.name, "campaign_id": created.campaign_id},
            message=message,
        )
    return ActionResult(Outcome.DONE, message, details={"audience_id": created.id})


def audience_activate(
    *,
    actor: Actor,
    audience_id: int,
    account_id: int,
    name: str,
    description: str,
    start_date: datetime,
    end_date: datetime | None,
) -> ActionResult:
    """Activate an audience on a platform account: a new platform segment."""
    action = AuditEvent.Action.ACTIVATE
    try:
        with remote.segment_api() as client:
            created = client.activate_audience(
                audience_id=audience_id,
                account_id=account_id,
                name=name,
                description=description,
                start_date=start_date,
                end_date=end_date,
            )
            confirmed = _read_back(client, created.segment_id) or created
    except RemoteError as exc:
        return _failed(actor, action, exc, audience_id=audience_id)
    account = Account.objects.filter(id=account_id).values_list("name", flat=True).first()
    message = f"Segment “{confirmed.name}” created on account {account or account_id}."
    with transaction.atomic():
        stored = segment_store(record=confirmed)
        _audit(
            actor,
            action,
            Outcome.DONE,
            segment_id=confirmed.segment_id,
            audience_id=audience_id,
            after=snapshot(confirmed),
            message=message,
        )
    return ActionResult(Outcome.DONE, message, segment=stored)


# --- team review -------------------------------------------------------------


def review_set(*, actor: Actor, segment_id: int, state: str) -> Review:
    with transaction.atomic():
        previous = (
            Review.objects.filter(segment_id=segment_id).values_list("state", flat=True).first()
        )
        review, _ = Review.objects.update_or_create(
            segment_id=segment_id,
            defaults={"state": state, "set_by": actor.user, "set_at": timezone.now()},
        )
        _audit(
            actor,
            AuditEvent.Action.REVIEW,
            Outcome.DONE,
            segment_id=segment_id,
            before={"review": Review.State(previous).label if previous else None},
            after={"review": Review.State(state).label},
            message=f"Review state set to {review.get_state_display()}.",
        )
    return review


def note_add(*, actor: Actor, segment_id: int, text: str) -> Note:
    with transaction.atomic():
        note = Note.objects.create(segment_id=segment_id, author=actor.user, text=text)
        _audit(
            actor,
            AuditEvent.Action.NOTE,
            Outcome.DONE,
            segment_id=segment_id,
            after={"note": text[:500]},
            message="Note added.",
        )
    return note
