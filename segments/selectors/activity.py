"""Reads of what people did: the audit trail, a segment's team layer."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from segments.filters import ActivityFilter
from segments.models import AuditEvent, Note, Review, Segment
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


def team_context(*, segment: Segment) -> dict[str, Any]:
    """A segment's review state, notes and own audit history, for its detail page."""
    return {
        "segment": segment,
        "review": (
            Review.objects.filter(segment_id=segment.segment_id).select_related("set_by").first()
        ),
        "notes": Note.objects.filter(segment_id=segment.segment_id).select_related("author"),
        "history": AuditEvent.objects.filter(segment_id=segment.segment_id)[:50],
    }
