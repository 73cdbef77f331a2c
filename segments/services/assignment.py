"""Assigning segments to team members, one or many at once, each change audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from segments.models import Assignment, AuditEvent
from segments.services.audit import Actor, audit_record
from segments.services.review import (
    NOT_SET,
    SegmentDeleted,
    TeamChanged,
    last_writer,
    refuse_deleted,
)


def assignment_set(*, actor: Actor, segment_id: int, assignee, seen: str | None = None) -> bool:
    """Assign the segment to ``assignee`` (a user), or to nobody with ``None``.
    True if that changed anything (then audited); assigning as it is does nothing.
    ``SegmentDeleted`` for a deleted segment; ``TeamChanged`` if the assignee is no
    longer ``seen`` (the user id the form showed, ``NOT_SET`` for nobody)."""
    with transaction.atomic():
        refuse_deleted(segment_id)
        current = (
            Assignment.objects.select_for_update(of=("self",))
            .filter(segment_id=segment_id)
            .select_related("assignee")
            .first()
        )
        before = current.assignee if current else None
        if getattr(before, "pk", None) == getattr(assignee, "pk", None):
            return False
        if seen is not None and str(getattr(before, "pk", None) or NOT_SET) != seen:
            who = last_writer(actor=actor, segment_id=segment_id, action=AuditEvent.Action.ASSIGN)
            whom = before.username if before else "nobody"
            raise TeamChanged(who, f"assigned it to {whom}")
        if assignee is None:
            current.delete()
            message = f"Unassigned (was {before.username})."
        else:
            Assignment.objects.update_or_create(
                segment_id=segment_id,
                defaults={
                    "assignee": assignee,
                    "assigned_by": actor.user,
                    "assigned_at": timezone.now(),
                },
            )
            message = f"Assigned to {assignee.username}."
        audit_record(
            actor=actor,
            action=AuditEvent.Action.ASSIGN,
            outcome=AuditEvent.Outcome.DONE,
            segment_id=segment_id,
            before={"assignee": before.username if before else None},
            after={"assignee": assignee.username if assignee else None},
            message=message,
        )
    return True


def assignments_set(*, actor: Actor, segment_ids: list[int], assignee) -> list[int]:
    """One assignee (or nobody) for several segments; the ids that changed, each audited
    (not one deleted since it was chosen)."""
    changed = []
    for segment_id in segment_ids:
        try:
            if assignment_set(actor=actor, segment_id=segment_id, assignee=assignee):
                changed.append(segment_id)
        except SegmentDeleted:
            continue
    return changed
