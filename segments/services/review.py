"""The team's review state of a segment, one or many at once, each change audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from segments.models import AuditEvent, Review
from segments.services.audit import Actor, audit_record


def review_set(*, actor: Actor, segment_id: int, state: str) -> Review:
    """Set the segment's review state (audited). Set to what it is already (a stale
    tab, a second click), nothing changes: who set it and when stay, no event."""
    with transaction.atomic():
        current = Review.objects.select_for_update().filter(segment_id=segment_id).first()
        if current is not None and current.state == state:
            return current
        previous = current.state if current else None
        review, _ = Review.objects.update_or_create(
            segment_id=segment_id,
            defaults={"state": state, "set_by": actor.user, "set_at": timezone.now()},
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.REVIEW,
            outcome=AuditEvent.Outcome.DONE,
            segment_id=segment_id,
            before={"review": Review.State(previous).label if previous else None},
            after={"review": Review.State(state).label},
            message=f"Review state set to {review.get_state_display()}.",
        )
    return review


def review_clear(*, actor: Actor, segment_id: int) -> None:
    """Back to not reviewed (audited); nothing to do, and nothing audited, if it was."""
    with transaction.atomic():
        previous = (
            Review.objects.select_for_update()
            .filter(segment_id=segment_id)
            .values_list("state", flat=True)
            .first()
        )
        if previous is None:
            return
        Review.objects.filter(segment_id=segment_id).delete()
        audit_record(
            actor=actor,
            action=AuditEvent.Action.REVIEW,
            outcome=AuditEvent.Outcome.DONE,
            segment_id=segment_id,
            before={"review": Review.State(previous).label},
            after={"review": None},
            message="Review state cleared: not reviewed.",
        )


def reviews_set(*, actor: Actor, segment_ids: list[int], state: str) -> list[int]:
    """One review state for several segments, each change audited on its own. Returns
    the segments it changed: those in that state already are left as they are."""
    already = set(
        Review.objects.filter(segment_id__in=segment_ids, state=state).values_list(
            "segment_id", flat=True
        )
    )
    changed = [i for i in segment_ids if i not in already]
    for segment_id in changed:
        review_set(actor=actor, segment_id=segment_id, state=state)
    return changed
