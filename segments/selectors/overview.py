"""Reads for the overview page: totals, the attention queue, what ends soon or fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from segments.filters import EXPIRING_DAYS
from segments.models import COUNT_NAMES, Segment
from segments.selectors.segments import segment_list
from segments.selectors.sync import sync_states
from segments.selectors.team import assignable_users


def overview(*, queue_size: int = 15, list_size: int = 10) -> dict[str, Any]:
    """Everything the overview page shows."""
    queue = attention_queue()
    return {
        **overview_figures(),
        "queue": queue[:queue_size],
        "queue_count": queue.count(),
        "assignable_users": list(assignable_users()),
        "expiring": expiring_segments()[:list_size],
        "problems": problem_segments().order_by("-total_failed_count")[:list_size],
        "sync_states": sync_states(),
        "expiring_days": EXPIRING_DAYS,
    }


def attention_queue() -> QuerySet[Segment]:
    """Problem segments (ending soon, failing, no data) that nobody acknowledged yet."""
    now = timezone.now()
    soon = Q(end_date__gte=now, end_date__lte=now + timedelta(days=EXPIRING_DAYS))
    failing = Q(has_problems=True)
    return (
        Segment.objects.visible()
        .filter(soon | failing)
        .exclude(review__state__in=["acknowledged", "resolved"])
        .select_related("account", "review", "assignment__assignee")
        .order_by("end_date", "segment_id")
    )


def expiring_segments(*, days: int = EXPIRING_DAYS) -> QuerySet[Segment]:
    return segment_list(filters={"ends": "within", "within_days": days}).order_by("end_date")


def problem_segments() -> QuerySet[Segment]:
    return segment_list(filters={"problems": True})


def overview_figures() -> dict[str, Any]:
    visible = Segment.objects.visible()
    now = timezone.now()
    totals = visible.aggregate(
        segments=Count("segment_id"),
        expired=Count("segment_id", filter=Q(end_date__lt=now)),
        expiring=Count(
            "segment_id",
            filter=Q(end_date__gte=now, end_date__lte=now + timedelta(days=EXPIRING_DAYS)),
        ),
        problems=Count("segment_id", filter=Q(has_problems=True)),
        **{name: Sum(field) for field, name in COUNT_NAMES.items()},
    )
    by_status = list(
        visible.values("status").annotate(count=Count("segment_id")).order_by("-count", "status")
    )
    return {"totals": totals, "by_status": by_status}
