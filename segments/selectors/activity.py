"""Reads of what people did: the audit trail, a segment's team layer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from segments.filters import ActivityFilter
from segments.models import AuditEvent, Note, Review, Segment


def activity_filter(*, data: Any = None) -> ActivityFilter:
    """The audit trail's filters bound to ``data`` over every event, newest first."""
    return ActivityFilter(data or {}, AuditEvent.objects.all())


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
