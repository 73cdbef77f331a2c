"""Reads for deletes waiting out their undo window."""

from __future__ import annotations

from django.db.models import Count

from segments.models import ScheduledDelete


def open_deletes() -> dict[int, ScheduledDelete]:
    """Every delete not sent yet, by segment id: few at a time (one undo window's worth)."""
    waiting = ScheduledDelete.objects.filter(state__in=ScheduledDelete.OPEN).only(
        "pk", "segment_id", "deadline", "state"
    )
    return {d.segment_id: d for d in waiting}


def open_delete(*, segment_id: int) -> ScheduledDelete | None:
    return ScheduledDelete.objects.filter(
        segment_id=segment_id, state__in=ScheduledDelete.OPEN
    ).first()


def open_deletes_among(*, segment_ids: list[int]) -> int:
    """How many of these segments are being deleted already (waiting or sending)."""
    found = ScheduledDelete.objects.filter(state__in=ScheduledDelete.OPEN)
    return found.filter(segment_id__in=segment_ids).count()


def extend_blocked_by_delete(*, segment_id: int) -> str | None:
    """Why the segment cannot be extended now, if a delete of it is open: one rule for
    the extend form and for every write path (a bulk run, a policy)."""
    return extend_blocked_by(open_delete(segment_id=segment_id))


def extend_blocked_by(deleting: ScheduledDelete | None) -> str | None:
    """``extend_blocked_by_delete`` of a segment whose open delete was read already."""
    if deleting is None:
        return None
    if deleting.state == ScheduledDelete.State.PENDING:
        return "This segment is being deleted: undo the delete first, then extend it."
    return "This segment is being deleted on the platform now."


def bulk_run_deletes_waiting(*, run) -> dict:
    """How many of a bulk run's deletes still wait, and the first deadline."""
    waiting = ScheduledDelete.objects.filter(bulk_run=run, state=ScheduledDelete.State.PENDING)
    first = waiting.order_by("deadline").first()
    return {"count": waiting.count(), "first": first}


def bulk_deletes_summary(*, run) -> str:
    """What became of a bulk run's scheduled deletes, by state: "2 undone, 1 deleted"."""
    State = ScheduledDelete.State
    counts = dict(
        ScheduledDelete.objects.filter(bulk_run=run)
        .order_by()
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    parts = [f"{counts[s]} {State(s).label.lower()}" for s in State if counts.get(s)]
    return ", ".join(parts) or "it scheduled no delete"
