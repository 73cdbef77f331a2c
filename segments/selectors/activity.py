"""Reads of what people did: the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from segments.filters import ActivityFilter
from segments.models import AuditEvent


def activity_filter(*, data: Any = None) -> ActivityFilter:
    """The audit trail's filters bound to ``data`` over every event, newest first."""
    return ActivityFilter(data or {}, AuditEvent.objects.all())


def activity_list(*, filters: Any = None) -> QuerySet[AuditEvent]:
    """Audit events matching ``filters`` (the URL's query), newest first."""
    return activity_filter(data=filters).qs
