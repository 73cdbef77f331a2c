"""Business logic that reads: querysets the views and exports share."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from segments.models import Account, Audience, AuditEvent, Note, Review, Segment, SyncState
from segments.presentation import country_name

EXPIRING_DAYS = 7


def _day_start(day, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def segment_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Segment]:
    """Visible segments matching ``filters`` (a filter form's cleaned data)."""
    filters = filters or {}
    qs = Segment.objects.visible().select_related("audience", "account", "review").paged_by_keys()
    if q := filters.get("q"):
        match = Q(name__icontains=q) | Q(segment_ref_id__iexact=q)
        if q.isdigit():
            match |= Q(segment_id=int(q))
        qs = qs.filter(match)
    for key, lookup in (
        ("audience", "audience_id"),
        ("account", "account_id"),
        ("platform", "platform_id"),
        ("status", "status"),
        ("country", "country"),
    ):
        if (value := filters.get(key)) not in (None, ""):
            qs = qs.filter(**{lookup: value})
    for key in ("active", "is_recurring", "extend", "is_system_generated"):
        if (value := filters.get(key)) is not None:
            qs = qs.filter(**{key: value})
    if filters.get("problems"):
        qs = qs.with_problems()
    if review := filters.get("review"):
        qs = qs.filter(review__isnull=True) if review == "none" else qs.filter(review__state=review)
    return _filter_end_date(qs, filters)


def attention_queue() -> QuerySet[Segment]:
    """Problem segments (ending soon, failing, no data) that nobody acknowledged yet."""
    now = timezone.now()
    soon = Q(end_date__gte=now, end_date__lte=now + timedelta(days=EXPIRING_DAYS))
    failing = Q(has_problems=True)
    return (
        Segment.objects.visible()
        .filter(soon | failing)
        .exclude(review__state__in=["acknowledged", "resolved"])
        .select_related("account", "review")
        .order_by("end_date", "segment_id")
    )


def activity_list(*, filters: dict[str, Any] | None = None) -> QuerySet[AuditEvent]:
    filters = filters or {}
    qs = AuditEvent.objects.all()
    if user := filters.get("user"):
        qs = qs.filter(username__iexact=user)
    for key in ("action", "outcome"):
        if value := filters.get(key):
            qs = qs.filter(**{key: value})
    if segment := filters.get("segment"):
        qs = qs.filter(segment_id=segment)
    tz = timezone.get_current_timezone()
    if start := filters.get("date_from"):
        qs = qs.filter(at__gte=_day_start(start, tz))
    if end := filters.get("date_to"):
        qs = qs.filter(at__lt=_day_start(end + timedelta(days=1), tz))
    return qs


def _filter_end_date(qs: QuerySet[Segment], filters: dict[str, Any]) -> QuerySet[Segment]:
    ends = filters.get("ends")
    now = timezone.now()
    if ends == "expired":
        return qs.filter(end_date__lt=now)
    if ends == "within":
        days = filters.get("within_days") or EXPIRING_DAYS
        return qs.filter(end_date__gte=now, end_date__lte=now + timedelta(days=days))
    if ends == "between":
        tz = timezone.get_current_timezone()
        if start := filters.get("end_from"):
            qs = qs.filter(end_date__gte=_day_start(start, tz))
        if end := filters.get("end_to"):
            qs = qs.filter(end_date__lt=_day_start(end + timedelta(days=1), tz))
    return qs


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
        **{label: Sum(field) for label, field in PIPELINE_TOTALS},
    )
    by_status = list(
        visible.values("status").annotate(count=Count("segment_id")).order_by("-count", "status")
    )
    return {"totals": totals, "by_status": by_status}


PIPELINE_TOTALS = (
    ("log", "total_log_count"),
    ("ready", "total_ready_count"),
    ("processing", "total_processing_count"),
    ("pending", "total_pending_count"),
    ("failed", "total_failed_count"),
    ("no_data", "total_no_data_count"),
    ("uploaded", "total_upload_count"),
    ("segment_uploads", "total_segment_upload_count"),
)


def sync_states() -> list[SyncState]:
    """One state per source, in a fixed order, including sources never synced."""
    existing = {state.source: state for state in SyncState.objects.all()}
    return [existing.get(source) or SyncState(source=source) for source in SyncState.Source]


def audience_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Audience]:
    """Catalogue rows with the List API's filter meanings (``bt`` inclusive, ``eq`` same day)."""
    filters = filters or {}
    qs = Audience.objects.filter(is_deleted=False).annotate(
        segment_count=Count("segments", filter=Q(segments__is_deleted=False))
    )
    if audience_type := filters.get("type"):
        qs = qs.filter(type=audience_type)
    if ids := filters.get("ids"):
        qs = qs.filter(id__in=ids)
    if q := filters.get("q"):
        qs = qs.filter(name__icontains=q)
    for prefix, column in (("updated", "last_updated"), ("refreshed", "last_refreshed")):
        qs = _filter_date_range(qs, column, filters, prefix)
    return qs


def _filter_date_range(qs, column: str, filters: dict[str, Any], prefix: str):
    condition = filters.get(f"{prefix}_condition")
    value, lower, upper = (filters.get(f"{prefix}_{k}") for k in ("value", "from", "to"))
    if condition == "gt" and value:
        return qs.filter(**{f"{column}__gt": value})
    if condition == "lt" and value:
        return qs.filter(**{f"{column}__lt": value})
    if condition == "eq" and value:
        tz = timezone.get_current_timezone()
        start = value.astimezone(tz).date()
        return qs.filter(
            **{
                f"{column}__gte": _day_start(start, tz),
                f"{column}__lt": _day_start(start + timedelta(days=1), tz),
            }
        )
    if condition == "bt" and lower and upper:
        return qs.filter(**{f"{column}__gte": lower, f"{column}__lte": upper})
    return qs


def account_list() -> QuerySet[Account]:
    return Account.objects.annotate(
        segment_count=Count("segments", filter=Q(segments__is_deleted=False))
    )


def segment_filter_choices() -> dict[str, list[tuple[Any, str]]]:
    """Choices for the segment filters, from what the mirror holds (statuses are
    open-ended). Kept until the next sync: the distinct values scan the table."""
    synced = SyncState.objects.filter(source=SyncState.Source.SEGMENTS).values_list(
        "last_success_at", flat=True
    )
    version = synced.first()
    key = f"segment-filter-choices:{version.timestamp() if version else 0}"
    return cache.get_or_set(key, _segment_filter_choices, timeout=600)


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


def team_context(*, segment: Segment) -> dict[str, Any]:
    """A segment's review state, notes and own audit history, for its detail page."""
    from segments.forms import NoteForm, ReviewForm

    review = Review.objects.filter(segment_id=segment.segment_id).select_related("set_by").first()
    return {
        "segment": segment,
        "review": review,
        "notes": Note.objects.filter(segment_id=segment.segment_id).select_related("author"),
        "history": AuditEvent.objects.filter(segment_id=segment.segment_id)[:50],
        "review_form": ReviewForm(initial={"state": review.state if review else None}),
        "note_form": NoteForm(),
    }


def sync_banner() -> dict[str, Any]:
    """What every page says about syncing: running (with progress), or the last failure."""
    states = sync_states()
    running = next((s for s in states if s.running_since), None)
    failed = next((s for s in states if s.last_error and not s.healthy), None)
    synced = [s.last_success_at for s in states if s.last_success_at]
    segments = next(s for s in states if s.source == SyncState.Source.SEGMENTS)
    return {
        "running": running is not None,
        "done": segments.progress_done,
        "total": segments.progress_total,
        "failed": failed,
        "synced_at": min(synced) if synced else None,
    }
