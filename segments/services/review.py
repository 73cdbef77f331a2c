"""The team's review state of a segment, one or many at once, each change audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from segments.models import AuditEvent, Review, Segment
from segments.services.audit import Actor, audit_record


class SegmentDeleted(Exception):
    """A deleted segment keeps its page and notes for the record; nobody works on it."""

    def __init__(self, segment_id: int):
        super().__init__(
            "This segment was deleted on the platform: it is no longer reviewed or assigned. "
            "Notes can still be added, for the record."
        )
        self.segment_id = segment_id


def refuse_deleted(segment_id: int) -> None:
    """Lock the segment's mirror row for the transaction, and raise ``SegmentDeleted``
    if it is deleted. The lock serialises the team's changes to one segment: two first
    reviews (no review row to lock yet) would both have passed their ``seen``."""
    deleted = (
        Segment.objects.select_for_update()
        .filter(segment_id=segment_id)
        .values_list("is_deleted", flat=True)
        .first()
    )
    if deleted:
        raise SegmentDeleted(segment_id)


# What a form saw of a segment not reviewed, or assigned to nobody.
NOT_SET = "none"


class TeamChanged(Exception):
    """Someone changed it since the page was loaded: the change asked for would undo
    theirs unseen."""

    def __init__(self, who: str, what: str):
        super().__init__(
            f"Not changed: {who} {what} since this page was loaded. It is shown as it is "
            "now: choose again if you still mean to."
        )


def last_writer(*, actor: Actor, segment_id: int, action: str) -> str:
    """Who made the segment's last change of this kind, from the activity ("you, in
    another tab," for the actor)."""
    events = AuditEvent.objects.filter(segment_id=segment_id, action=action)
    who = events.order_by("-id").values_list("username", flat=True).first()
    if who and who == getattr(actor.user, "username", None):
        return "you, in another tab or window,"
    return who or "someone"


def _refuse_unseen(actor: Actor, segment_id: int, current: Review | None, seen: str | None):
    """``TeamChanged`` if the state is no longer the one the form showed (``seen``;
    None: not asked, as from the queue)."""
    if seen is None or (current.state if current else NOT_SET) == seen:
        return
    who = last_writer(actor=actor, segment_id=segment_id, action=AuditEvent.Action.REVIEW)
    if current is None:
        raise TeamChanged(who, "cleared the review state")
    raise TeamChanged(who, f"set the review state to {current.get_state_display()}")


def review_set(*, actor: Actor, segment_id: int, state: str, seen: str | None = None) -> Review:
    """Set the segment's review state (audited). Set to what it is already (a stale
    tab, a second click), nothing changes: who set it and when stay, no event.
    ``SegmentDeleted`` for a deleted segment; ``TeamChanged`` if it is no longer
    ``seen`` (the state the form showed, ``NOT_SET`` for none)."""
    with transaction.atomic():
        refuse_deleted(segment_id)
        current = Review.objects.select_for_update().filter(segment_id=segment_id).first()
        if current is not None and current.state == state:
            return current
        _refuse_unseen(actor, segment_id, current, seen)
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


def review_clear(*, actor: Actor, segment_id: int, seen: str | None = None) -> None:
    """Back to not reviewed (audited); nothing to do, and nothing audited, if it was.
    ``SegmentDeleted`` and ``TeamChanged`` as ``review_set``."""
    with transaction.atomic():
        refuse_deleted(segment_id)
        current = Review.objects.select_for_update().filter(segment_id=segment_id).first()
        if current is None:
            return
        _refuse_unseen(actor, segment_id, current, seen)
        previous = current.state
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
    the segments it changed: those in that state already are left as they are, and so
    is one deleted since it was chosen."""
    already = set(
        Review.objects.filter(segment_id__in=segment_ids, state=state).values_list(
            "segment_id", flat=True
        )
    )
    changed = [i for i in segment_ids if i not in already]
    done = []
    for segment_id in changed:
        try:
            review_set(actor=actor, segment_id=segment_id, state=state)
        except SegmentDeleted:
            continue
        done.append(segment_id)
    return done
