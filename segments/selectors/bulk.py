"""Reads of bulk runs: one run, its sample of segments, its report."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from segments.models import AuditEvent, BulkRun, Segment

RETRYABLE = (AuditEvent.Outcome.FAILED, AuditEvent.Outcome.CONFLICT)


def bulk_run_get(*, run_id: int, started: bool | None = None) -> BulkRun:
    """One run; 404 if unknown, or if it has (``started=False``) or has not yet
    (``started=True``) started."""
    conditions = {} if started is None else {"started_at__isnull": not started}
    runs = BulkRun.objects.select_related("created_by", "confirmed_by")
    return get_object_or_404(runs, pk=run_id, **conditions)


def bulk_run_sample(*, run: BulkRun, size: int = 10):
    """The first segments of the run, for the operator to recognise the set."""
    return Segment.objects.filter(segment_id__in=run.segment_ids[:size]).select_related("account")


def bulk_run_report(*, run: BulkRun) -> dict:
    """The run's outcome per segment (its latest event: a delete with undo is
    scheduled, then sent or undone), grouped, with names from the mirror."""
    latest = {event.segment_id: event for event in run.events.order_by("id")}
    events = sorted(latest.values(), key=lambda event: event.id)
    names = dict(
        Segment.objects.filter(segment_id__in=[e.segment_id for e in events]).values_list(
            "segment_id", "name"
        )
    )
    groups: dict[str, list] = {outcome: [] for outcome, _ in AuditEvent.Outcome.choices}
    for event in events:
        groups[event.outcome].append({"event": event, "name": names.get(event.segment_id, "")})
    retryable = sum(len(groups[o]) for o in RETRYABLE)
    return {"groups": groups, "retryable": retryable, "events": len(events)}
