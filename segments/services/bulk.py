"""Bulk actions: one run over many segments, each segment one audited action.

A run is prepared (the exact set of segments), confirmed once by the operator
who prepared it, and executed by a task worker (``bulk_execution``), which
records its progress so that a page can poll it; its report is its audit
events. A retry is a new run over the failed segments of a finished one.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from segments.models import BulkRun, Segment
from segments.selectors.bulk import RETRYABLE, bulk_run_retried_as
from segments.selectors.saved_views import canonical_table_query
from segments.services.audit import Actor


def bulk_run_create(
    *,
    actor: Actor,
    action: str,
    segment_ids: list[int],
    params: dict,
    query: str = "",
    retry_of=None,
) -> BulkRun:
    """A run over ``segment_ids``, remembering each one's ``updated`` as the operator saw
    it and ``query``, the segments list's query string it was prepared from (its report
    links back to that list)."""
    seen = dict(
        Segment.objects.filter(segment_id__in=segment_ids).values_list("segment_id", "updated")
    )
    ids = [i for i in segment_ids if i in seen]
    return BulkRun.objects.create(
        action=action,
        created_by=actor.user,
        params={
            **params,
            "query": canonical_table_query(QueryDict(query)),
            "seen": {str(i): seen[i].isoformat() for i in ids},
        },
        segment_ids=ids,
        total=len(ids),
        retry_of=retry_of,
    )


def bulk_run_confirm(
    *, run: BulkRun, actor: Actor, days: int | None = None, end_date: datetime | None = None
) -> bool:
    """Claim the run for execution in one conditional UPDATE and queue it.

    Only the operator who prepared a run may confirm it (``PermissionDenied``
    otherwise). Returns False, changing nothing, if it was confirmed already
    (another tab, a double click).
    """
    from segments.tasks import bulk_run as bulk_run_task  # the tasks import services

    if run.created_by_id != actor.user.pk:
        raise PermissionDenied("Only the operator who prepared a bulk run can confirm it.")
    params = {**run.params, "ip": actor.ip}
    if run.action == BulkRun.Action.EXTEND:
        params.update(days=days, end_date=end_date.isoformat() if end_date else None)
    now = timezone.now()
    claimed = BulkRun.objects.filter(pk=run.pk, confirmed_at__isnull=True).update(
        confirmed_at=now, confirmed_by=actor.user, params=params
    )
    if not claimed:
        return False
    run.confirmed_at, run.confirmed_by, run.params = now, actor.user, params
    bulk_run_task.enqueue(run_id=run.pk)
    return True


def bulk_run_retry(*, run: BulkRun, actor: Actor) -> tuple[BulkRun, bool]:
    """A new run over the segments of finished ``run`` that failed or changed
    meanwhile, prepared and confirmed by ``actor`` (its audit names them), and
    True. A run is retried once: if it was already (a second click, another tab,
    another operator at the same moment), that retry and False, and nothing is
    sent again, so no segment is extended twice. A retry's own failures are
    retried from its own page."""
    with transaction.atomic():
        # Retries of one run are serialised across processes by this row lock
        # (on SQLite, by the write lock its IMMEDIATE transactions take).
        BulkRun.objects.select_for_update().get(pk=run.pk)
        if (earlier := bulk_run_retried_as(run=run)) is not None:
            return earlier, False
        failed = list(
            run.events.filter(outcome__in=RETRYABLE).values_list("segment_id", flat=True).distinct()
        )
        params = {k: v for k, v in run.params.items() if k not in ("seen", "ip", "query")}
        retry = bulk_run_create(
            actor=actor,
            action=run.action,
            segment_ids=failed,
            params=params,
            query=run.params.get("query", ""),
            retry_of=run,
        )
        # Confirmed and queued in the same transaction (the database backend's queue
        # is a table): a retry is never left made but not queued.
        end_date = params.get("end_date")
        bulk_run_confirm(
            run=retry,
            actor=actor,
            days=params.get("days"),
            end_date=datetime.fromisoformat(end_date) if end_date else None,
        )
    retry.refresh_from_db()
    return retry, True
