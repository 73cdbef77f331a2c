"""Bulk actions: one run over many segments, each segment one audited action.

The run records its progress as it goes, so a page can poll it; its report is
its audit events. A retry is a new run over the failed segments of an old one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from segments import remote
from segments.models import BulkRun, Segment
from segments.remote.records import parse_datetime
from segments.selectors.bulk import RETRYABLE
from segments.services.audit import Actor
from segments.services.deletes import segment_delete_confirmed
from segments.services.end_dates import extension_base
from segments.services.jobs import job_start
from segments.services.platform_writes import segment_extend


def bulk_run_create(
    *, actor: Actor, action: str, segment_ids: list[int], params: dict, retry_of=None
) -> BulkRun:
    """A run over ``segment_ids``, remembering each one's ``updated`` as the operator saw it."""
    seen = dict(
        Segment.objects.filter(segment_id__in=segment_ids).values_list("segment_id", "updated")
    )
    ids = [i for i in segment_ids if i in seen]
    return BulkRun.objects.create(
        action=action,
        created_by=actor.user,
        params={**params, "seen": {str(i): seen[i].isoformat() for i in ids}},
        segment_ids=ids,
        total=len(ids),
        retry_of=retry_of,
    )


def bulk_run_set_extension(*, run: BulkRun, days: int | None, end_date: datetime | None) -> None:
    """What an extend run does to each end date, as the operator confirmed it."""
    run.params = {
        **run.params,
        "days": days,
        "end_date": end_date.isoformat() if end_date else None,
    }
    run.save(update_fields=["params"])


def bulk_run_start(*, run: BulkRun, actor: Actor) -> bool:
    """Execute the run, in the background where configured. True if backgrounded."""
    return job_start(bulk_run_execute, run_id=run.pk, ip=actor.ip)


def bulk_run_execute(*, run_id: int, ip: str | None) -> None:
    run = BulkRun.objects.get(pk=run_id)
    actor = Actor(user=run.created_by or get_user_model()(username="system"), ip=ip)
    BulkRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
    seen = run.params.get("seen", {})
    with remote.segment_api() as client:
        for done, segment_id in enumerate(run.segment_ids, start=1):
            expected = parse_datetime(seen[str(segment_id)]) if str(segment_id) in seen else None
            if run.action == BulkRun.Action.EXTEND:
                _extend_one(run, actor, client, segment_id, expected)
            else:
                segment_delete_confirmed(
                    actor=actor,
                    segment_id=segment_id,
                    expected_updated=expected,
                    client=client,
                    bulk_run=run,
                )
            BulkRun.objects.filter(pk=run.pk).update(done=done, progress_at=timezone.now())
    BulkRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())


def _extend_one(run, actor, client, segment_id: int, expected: datetime | None) -> None:
    params = run.params
    if params.get("days"):
        mirror = Segment.objects.filter(segment_id=segment_id).values_list("end_date", flat=True)
        new_end = extension_base(mirror.first()) + timedelta(days=int(params["days"]))
    else:
        new_end = parse_datetime(params["end_date"])
    segment_extend(
        actor=actor,
        segment_id=segment_id,
        new_end_date=new_end,
        expected_updated=expected,
        client=client,
        bulk_run=run,
    )


def bulk_run_retry(*, run: BulkRun, actor: Actor) -> BulkRun:
    """A new run over the segments of ``run`` that failed or changed meanwhile, and,
    for an interrupted run, those it never reached."""
    failed = list(
        run.events.filter(outcome__in=RETRYABLE).values_list("segment_id", flat=True).distinct()
    )
    if run.interrupted:
        reached = set(run.events.values_list("segment_id", flat=True))
        failed += [i for i in run.segment_ids if i not in reached]
    params = {k: v for k, v in run.params.items() if k != "seen"}
    retry = bulk_run_create(
        actor=actor, action=run.action, segment_ids=failed, params=params, retry_of=run
    )
    bulk_run_start(run=retry, actor=actor)
    return retry
