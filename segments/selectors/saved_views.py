"""Reads for saved views: which a user sees, their segments, the table's canonical query."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import QueryDict

from segments.filters import DEFAULT_PER_PAGE, SegmentFilter, SegmentFilterForm
from segments.models import SavedView, Segment, ViewPreference
from segments.selectors.segments import segment_filter
from segments.view_query import canonical_query, visible_columns

# The segments table's query string: its filters (and their parts), sort and rows per page.
TABLE_KEYS = (
    *SegmentFilter.base_filters,
    *(name for name in SegmentFilterForm.base_fields if name != "per_page"),
    "sort",
    "per_page",
)
TABLE_DEFAULTS = {"per_page": str(DEFAULT_PER_PAGE)}
# Columns a user may hide; the name (the row's link), selection and actions always show.
CHOOSABLE_COLUMNS = (
    "audience",
    "account",
    "status",
    "end_date",
    "pipeline",
    "total_log_count",
    "updated",
    "review",
)


def canonical_table_query(params) -> str:
    return canonical_query(
        params, keys=TABLE_KEYS, defaults=TABLE_DEFAULTS, columns=CHOOSABLE_COLUMNS
    )


def table_selects_all(params, *, user=None) -> bool:
    """Whether the table ``params`` shows every segment: no filter applied (a sort, a
    page size, or a part of a filter without it, "N days" without "Ends", is none). A
    table with an invalid filter does not: a policy on it covers nothing
    (``saved_view_segments``)."""
    return _selects_all(segment_filter(data=params, user=user))


def _selects_all(segments: SegmentFilter) -> bool:
    values = segments.form.valid_values()  # validates: errors are known after it
    if segments.form.errors:
        return False
    return all(values.get(name) in (None, "", False, [], ()) for name in segments.filters)


def table_columns(params) -> tuple[str, ...]:
    return visible_columns(params, columns=CHOOSABLE_COLUMNS)


def saved_view_list(*, user) -> QuerySet[SavedView]:
    """The user's own views and the team's shared ones, by name."""
    return (
        SavedView.objects.visible_to(user)
        .select_related("owner")
        .prefetch_related("policies", "preferences__user")
    )


def saved_view_defaulted_by(*, view: SavedView, other_than) -> list[str]:
    """Who else opens the segments page with this view (their default), by name."""
    return sorted(
        p.user.get_username() for p in view.preferences.all() if p.user_id != other_than.pk
    )


def saved_view_names(*, user) -> set[str]:
    """The names of the user's own views (a name is unique per owner)."""
    return set(SavedView.objects.filter(owner=user).values_list("name", flat=True))


def default_view(*, user) -> SavedView | None:
    pref = ViewPreference.objects.filter(user=user).select_related("default_view").first()
    view = pref.default_view if pref else None
    if view is not None and (view.shared or view.owner_id == user.pk):
        return view
    return None


def saved_view_problems(*, view: SavedView) -> list[str]:
    """Why the view's filters no longer hold (a status or account gone): the table would
    ignore such a filter, a policy must not widen its scope that way."""
    return _problems(saved_view_filter(view=view))


def table_problems(params) -> list[str]:
    """Why some of the table ``params``' filters do not hold (the table ignores them)."""
    return _problems(segment_filter(data=params))


def _problems(segments: SegmentFilter) -> list[str]:
    form = segments.form
    return [
        f"{form.fields[name].label if name in form.fields else 'The filters'}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    ]


def saved_views_coverage(*, views: list[SavedView], table: str | None, user) -> dict:
    """What "Update to this table" would do to the views that scope expiry policies: each
    such view gets ``covers`` (its segments now); the table (canonical query, ``None``
    when the page was not opened from one; "assigned to me" is ``user``'s, the owner's
    who may update) ``table_selects_all`` or not (a view of a policy is not given a
    table without filters) and ``table_covers`` segments."""
    scoping = [view for view in views if view.policies.all()]
    if table is None or not scoping:
        return {"table_selects_all": False, "table_covers": None}
    for view in scoping:
        view.covers = saved_view_segments(view=view).count()
    segments = segment_filter(data=QueryDict(table), user=user)
    covers = 0 if segments.form.errors else segments.qs.count()
    return {"table_selects_all": _selects_all(segments), "table_covers": covers}


def saved_view_segments(*, view: SavedView) -> QuerySet[Segment]:
    """The segments the view's filters select (sort and columns aside); none while any of
    its filters is invalid (``saved_view_problems``)."""
    segments = saved_view_filter(view=view)
    return Segment.objects.none() if segments.form.errors else segments.qs


def saved_view_filter(*, view: SavedView, choices: dict | None = None) -> SegmentFilter:
    """The view's filters, bound: its "assigned to me" is its owner's (a policy on it
    has no one else). ``choices`` as ``segment_filter``'s."""
    return segment_filter(data=QueryDict(view.query), user=view.owner, choices=choices)
