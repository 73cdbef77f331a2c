"""Operator writes to the platform: remote first, then the mirror from the remote's
confirmed state (read back where the answer may not be the whole truth), in one
transaction with the audit record. A failed write changes nothing locally; its
audit record and the operator's message say what failed."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from segments import remote
from segments.models import Account, Audience, AuditEvent, BulkRun, Segment
from segments.remote import NotFound, RemoteError
from segments.services.audit import Actor, audit_record, snapshot
from segments.services.end_dates import end_date_problem
from segments.services.mirror_store import segment_mark_deleted, segment_store
from segments.services.outcomes import ActionResult, Outcome, explain, utc_text

logger = logging.getLogger(__name__)


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    """``updated`` values as the operator saw them are compared to the microsecond."""
    return a is not None and b is not None and abs(a - b) < timedelta(microseconds=1)


class SegmentWrite:
    """One write to one segment: its audit context and the ways it can end."""

    def __init__(self, actor: Actor, action: str, segment_id: int, bulk_run: BulkRun | None):
        self.actor = actor
        self.action = action
        self.segment_id = segment_id
        self.bulk_run = bulk_run
        self.mirror = Segment.objects.filter(segment_id=segment_id).first()
        self.before = snapshot(self.mirror)

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
            segment_mark_deleted(segment_id=self.segment_id)
            return self.audit(*explain(error), error=error)

    def changed_meanwhile(self, current: remote.Segment) -> ActionResult:
        """The remote's segment differs from what the operator saw: store it, apply nothing."""
        message = (
            f"Not applied: this segment was changed on the platform at "
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


def _read_back(client: remote.SegmentApiClient, segment_id: int) -> remote.Segment | None:
    """The segment as the remote now has it; ``None`` if the read fails (the write's
    own answer then stands as the confirmed state)."""
    try:
        return client.segment(segment_id=segment_id)
    except RemoteError as exc:
        logger.warning("read-back of segment %s failed: %r", segment_id, exc)
        return None


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
    write = SegmentWrite(actor, AuditEvent.Action.EXTEND, segment_id, bulk_run)
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
    message = f"End date of “{confirmed.name}” moved to {utc_text(confirmed.end_date)}."
    with transaction.atomic():
        stored = segment_store(record=confirmed)
        result = write.audit(Outcome.DONE, message, after=snapshot(confirmed))
    result.segment = stored
    return result


def segment_delete(
    *,
    actor: Actor,
    segment_id: int,
    expected_updated: datetime | None = None,
    client: remote.SegmentApiClient | None = None,
    bulk_run: BulkRun | None = None,
) -> ActionResult:
    """Delete a segment on the platform; the mirror keeps it, marked deleted."""
    write = SegmentWrite(actor, AuditEvent.Action.DELETE, segment_id, bulk_run)
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
        segment_mark_deleted(segment_id=segment_id)
        result = write.audit(Outcome.DONE, f"Segment “{name}” was deleted on the platform.")
    result.segment = write.mirror
    return result


def _audience_write_failed(actor, action, error, *, audience_id=None) -> ActionResult:
    """A create or activate call failed: audit it and explain it."""
    outcome, message = explain(error)
    audit_record(
        actor=actor,
        action=action,
        outcome=outcome,
        audience_id=audience_id,
        message=message,
        error=error,
    )
    logger.warning("%s of audience %s failed: %r", action, audience_id, error)
    return ActionResult(outcome, message, error=error)


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
        return _audience_write_failed(actor, action, exc)
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
        audit_record(
            actor=actor,
            action=action,
            outcome=Outcome.DONE,
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
        return _audience_write_failed(actor, action, exc, audience_id=audience_id)
    account = Account.objects.filter(id=account_id).values_list("name", flat=True).first()
    message = f"Segment “{confirmed.name}” created on account {account or account_id}."
    with transaction.atomic():
        stored = segment_store(record=confirmed)
        audit_record(
            actor=actor,
            action=action,
            outcome=Outcome.DONE,
            segment_id=confirmed.segment_id,
            audience_id=audience_id,
            after=snapshot(confirmed),
            message=message,
        )
    return ActionResult(Outcome.DONE, message, segment=stored)
