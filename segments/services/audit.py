"""The audit trail's writing side: who acts, what a segment looked like, the record."""

from __future__ import annotations

from dataclasses import dataclass

from segments import remote
from segments.models import AuditEvent, BulkRun, Segment
from segments.remote import Answer, RemoteError


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: recorded on every audit event."""

    user: object
    ip: str | None = None


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


def audit_record(
    *,
    actor: Actor,
    action: str,
    outcome: str,
    segment_id: int | None = None,
    audience_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    error: RemoteError | None = None,
    answer: Answer | None = None,
    bulk_run: BulkRun | None = None,
) -> AuditEvent:
    """One audit event. Never holds a credential: segment fields and messages only.
    The platform's status and request id: the ``error``'s, else the write's ``answer``."""
    said = error or answer
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
        remote_status=said.status if said else None,
        remote_request_id=(said.request_id or "") if said else "",
        bulk_run=bulk_run,
    )
