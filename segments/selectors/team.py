"""Reads of the team's layer on segments: a segment's team panel, who can be assigned,
a user's assigned count, the assignees of many segments at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from segments.models import Assignment, AuditEvent, Note, Review, Segment

_OPERATE = {"content_type__app_label": "segments", "codename": "operate_segment"}
_CHUNK = 900


def team_context(*, segment: Segment) -> dict[str, Any]:
    """A segment's review state, assignee, notes and own audit history, for its detail page."""
    segment_id = segment.segment_id
    return {
        "segment": segment,
        "review": Review.objects.filter(segment_id=segment_id).select_related("set_by").first(),
        "assignment": (
            Assignment.objects.filter(segment_id=segment_id)
            .select_related("assignee", "assigned_by")
            .first()
        ),
        "assignable_users": list(assignable_users()),
        "notes": Note.objects.filter(segment_id=segment_id).select_related("author"),
        "history": AuditEvent.objects.filter(segment_id=segment_id)[:50],
    }


def assignable_users() -> QuerySet:
    """Active users who may operate (operators and admins): the team members who can act
    on a problem segment, so the ones it makes sense to assign it to. Viewers cannot."""
    may_operate = (
        Q(is_superuser=True)
        | Q(**{f"groups__permissions__{k}": v for k, v in _OPERATE.items()})
        | Q(**{f"user_permissions__{k}": v for k, v in _OPERATE.items()})
    )
    users = get_user_model().objects.filter(may_operate, is_active=True)
    # Distinct by a subquery, so the caller may still order or filter freely.
    return get_user_model().objects.filter(pk__in=users.values("pk")).order_by("username")


def assigned_count(*, user) -> int:
    """How many visible segments are assigned to ``user``: one COUNT with a join."""
    return Segment.objects.visible().filter(assignment__assignee=user).count()


def assignees_of(*, segment_ids: Sequence[int]) -> dict[int, int]:
    """The assignee's user id of each of ``segment_ids`` that has one (batched queries)."""
    found: dict[int, int] = {}
    for start in range(0, len(segment_ids), _CHUNK):
        chunk = segment_ids[start : start + _CHUNK]
        rows = Assignment.objects.filter(segment_id__in=chunk).values_list(
            "segment_id", "assignee_id"
        )
        found.update(rows)
    return found
