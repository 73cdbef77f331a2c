"""Reads of bulk runs: one run, its sample of segments, its report."""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse

from segments.models import AuditEvent, BulkRun, Segment

Outcome = AuditEvent.Outcome
RETRYABLE = (Outcome.FAILED, Outcome.CONFLICT)
# The report's order: what needs the operator first, what went as asked last.
REPORT_ORDER = (
    Outcome.FAILED,
    Outcome.UNKNOWN,
    Outcome.CONFLICT,
    Outcome.REFUSED,
    Outcome.NOT_FOUND,
    Outcome.DONE,
)


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
    groups: dict[str, list] = {outcome: [] for outcome in REPORT_ORDER}
    for event in events:
        groups[event.outcome].append({"event": event, "name": names.get(event.segment_id, "")})
    retryable = sum(len(groups[o]) for o in RETRYABLE)
    return {
        "groups": groups,
        "retryable": retryable,
        "events": len(events),
        # The page of a running run polls this every second; only a finished one is retried.
        "retried_as": bulk_run_retried_as(run=run) if run.finished else None,
    }


def bulk_run_retried_as(*, run: BulkRun) -> BulkRun | None:
    """The run that retried ``run``'s failures, if one did (a run is retried once)."""
    return BulkRun.objects.filter(retry_of=run).order_by("pk").first()


def bulk_run_list_url(*, run: BulkRun) -> str:
    """The segments list the run was prepared from, as a relative URL: its stored
    query is parsed and encoded again, so nothing but a query string follows the path."""
    query = QueryDict(run.params.get("query", "")).urlencode()
    return reverse("segment-list") + (f"?{query}" if query else "")
