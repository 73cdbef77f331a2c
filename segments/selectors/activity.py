"""Reads of what people did: the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from segments.filters import ActivityFilter
from segments.models import AuditEvent, Segment
from segments.selectors.audiences import account_choices


def activity_filter(*, data: Any = None) -> ActivityFilter:
    """The audit trail's filters bound to ``data`` over every event, newest first,
    each with its segment's name from the mirror (``segment_name``, in the same query)."""
    names = Segment.objects.filter(segment_id=OuterRef("segment_id")).values("name")[:1]
    events = AuditEvent.objects.annotate(segment_name=Subquery(names))
    return ActivityFilter(data or {}, events, accounts=account_choices())


def activity_list(*, filters: Any = None) -> QuerySet[AuditEvent]:
    """Audit events matching ``filters`` (the URL's query), newest first."""
    return activity_filter(data=filters).qs


def desk_writer_of(*, segment_id: int, updated) -> str | None:
    """Who made the segment's change stamped ``updated`` through Segment Desk (its
    audit event's after-snapshot has that ``updated``), or None: done elsewhere."""
    return (
        AuditEvent.objects.filter(
            segment_id=segment_id,
            outcome=AuditEvent.Outcome.DONE,
            after__updated=updated.isoformat(),
        )
        .order_by("-id")
        .values_list("username", flat=True)
        .first()
    )
