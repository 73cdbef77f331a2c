"""Reads of segments: the filtered table, one segment, its count history."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from segments.alerts.selectors import anomaly_flag
from segments.filters import SegmentFilter
from segments.models import Account, Segment, SegmentCountSnapshot, SyncState
from segments.presentation import country_name


def segment_filter(*, data: Any = None, user=None, choices: dict | None = None) -> SegmentFilter:
    """The segment filters bound to ``data`` (the URL's query) over the visible
    segments: ``.qs`` is the filtered queryset, ``.form`` the validated form.
    ``user`` is who "assigned to me" means; ``choices``: ``segment_filter_choices()``,
    read once by a caller binding many (a page of saved views)."""
    queryset = (
        Segment.objects.visible()
        .select_related("audience", "account", "review")
        .annotate(has_anomaly=anomaly_flag())
    )
    return SegmentFilter(
        data or {},
        queryset.paged_by_keys(),
        choices=choices or segment_filter_choices(),
        user=user,
    )


def segment_list(*, filters: Any = None, user=None) -> QuerySet[Segment]:
    """Visible segments matching ``filters`` (the URL's query); invalid values are ignored."""
    return segment_filter(data=filters, user=user).qs


def segment_ids_matching(*, filters: Any, user=None) -> list[int]:
    """The ids of every visible segment ``filters`` selects, soonest end first."""
    return list(
        segment_list(filters=filters, user=user)
        .order_by("end_date", "segment_id")
        .values_list("segment_id", flat=True)
    )


def segment_ids_visible(*, segment_ids: list[int]) -> list[int]:
    """Those of ``segment_ids`` that are visible segments."""
    return list(
        Segment.objects.visible()
        .filter(segment_id__in=segment_ids)
        .values_list("segment_id", flat=True)
    )


def segment_names(*, segment_ids) -> dict[int, str]:
    """The names of those of ``segment_ids`` the mirror holds (deleted ones included)."""
    return dict(
        Segment.objects.filter(segment_id__in=segment_ids).values_list("segment_id", "name")
    )


def segment_ids_known(*, segment_ids: list[int]) -> set[int]:
    """Those of ``segment_ids`` the mirror has ever held (deleted ones included)."""
    return set(
        Segment.objects.filter(segment_id__in=segment_ids).values_list("segment_id", flat=True)
    )


def segment_get(*, segment_id: int, visible: bool = False) -> Segment:
    """One segment with its audience and account; 404 if unknown (or hidden, if ``visible``)."""
    queryset = Segment.objects.visible() if visible else Segment.objects.all()
    return get_object_or_404(queryset.select_related("audience", "account"), segment_id=segment_id)


def segment_count_history(*, segment_id: int, limit: int = 60) -> list[SegmentCountSnapshot]:
    """The segment's last ``limit`` count snapshots, oldest first."""
    latest = SegmentCountSnapshot.objects.filter(segment_id=segment_id).order_by("-taken_at")
    return list(latest[:limit])[::-1]


def segment_filter_choices() -> dict[str, list[tuple[Any, str]]]:
    """Choices for the segment filters, from what the mirror holds (statuses are
    open-ended). Kept until the next sync: the distinct values scan the table."""
    synced = SyncState.objects.filter(source=SyncState.Source.SEGMENTS).values_list(
        "last_success_at", flat=True
    )
    version = synced.first()
    key = f"segment-filter-choices:{version.timestamp() if version else 0}"
    return cache.get_or_set(key, _segment_filter_choices, timeout=600)


def segment_statuses() -> list[str]:
    """The statuses the mirror's segments have now (the filter's choices)."""
    return [status for status, _ in segment_filter_choices()["status"]]


def _segment_filter_choices() -> dict[str, list[tuple[Any, str]]]:
    visible = Segment.objects.visible()
    statuses = visible.values_list("status", flat=True).distinct().order_by("status")
    countries = visible.values_list("country", flat=True).distinct().order_by("country")
    platforms = (
        Account.objects.values_list("platform_id", "platform_display_name")
        .distinct()
        .order_by("platform_display_name")
    )
    accounts = Account.objects.order_by("agency_name", "name").values_list(
        "id", "name", "platform_display_name"
    )
    return {
        "status": [(s, s) for s in statuses],
        "country": [(c, country_name(c)) for c in countries],
        "platform": list(platforms),
        "account": [(pk, f"{name} · {platform}") for pk, name, platform in accounts],
    }
