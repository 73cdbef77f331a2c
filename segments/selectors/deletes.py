"""Reads for deletes waiting out their undo window."""

from __future__ import annotations

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


def bulk_run_deletes_waiting(*, run) -> dict:
    """How many of a bulk run's deletes still wait, and the first deadline."""
    waiting = ScheduledDelete.objects.filter(bulk_run=run, state=ScheduledDelete.State.PENDING)
    first = waiting.order_by("deadline").first()
    return {"count": waiting.count(), "first": first}
