"""Reads of bulk runs: one run, its sample of segments, its report."""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse

from segments.models import AuditEvent, BulkRun, Segment

Outcome = AuditEvent.Outcome
Action = AuditEvent.Action
RETRYABLE = (Outcome.FAILED, Outcome.CONFLICT)
# A delete with undo ends its part in the run "done" when scheduled; what became of it
# is its latest event: still waiting, sent (a delete), or undone. One whose delete was
# scheduled already (by another operator or run) is refused, not a refusal to fix; in
# the past tense, as that delete may since have been undone or sent.
WAITING, UNDONE, DELETING = "waiting", "undone", "deleting"
# The report's groups in order (what needs the operator first, what went as asked
# last): (key, heading, what the summary calls them).
REPORT_GROUPS = (
    (Outcome.FAILED, "Failed", "failed"),
    (Outcome.UNKNOWN, "Not confirmed", "not confirmed"),
    (Outcome.CONFLICT, "Changed meanwhile", "changed meanwhile"),
    (Outcome.REFUSED, "Refused", "refused"),
    (Outcome.NOT_FOUND, "Already gone", "already gone"),
    (
        DELETING,
        "Had a delete scheduled already: nothing more was scheduled",
        "had a delete scheduled already",
    ),
    (WAITING, "Waiting to be deleted", "waiting to be deleted"),
    (UNDONE, "Undone: nothing was sent", "undone"),
    (Outcome.DONE, "Done", "done"),
)


def _group(event: AuditEvent) -> str:
    if event.outcome == Outcome.DONE and event.action == Action.SCHEDULE_DELETE:
        return WAITING
    if event.outcome == Outcome.DONE and event.action == Action.UNDO_DELETE:
        return UNDONE
    if event.outcome == Outcome.REFUSED and event.action == Action.SCHEDULE_DELETE:
        return DELETING
    return event.outcome


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
    items: dict[str, list] = {key: [] for key, _, _ in REPORT_GROUPS}
    for event in events:
        items[_group(event)].append({"event": event, "name": names.get(event.segment_id, "")})
    groups = [
        {"key": key, "heading": heading, "items": items[key]}
        for key, heading, _ in REPORT_GROUPS
        if items[key]
    ]
    summary = [f"{len(items[key])} {phrase}" for key, _, phrase in REPORT_GROUPS if items[key]]
    retryable = sum(len(items[o]) for o in RETRYABLE)
    return {
        "groups": groups,
        # "Finished: 3 done, 1 failed", done first as the operator asked for it.
        "summary": ", ".join(sorted(summary, key=lambda part: not part.endswith(" done")))
        or "nothing done",
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
