"""A paginator whose count stays fast on a large mirror.

Counting every matching row costs time in proportion to the rows (48 ms of a
100,000-segment page on PostgreSQL, bench/). So tables count exactly up to
``settings.EXACT_COUNT_LIMIT`` rows (a ``COUNT`` over a ``LIMIT``ed subquery,
whose cost the limit bounds) and above it take PostgreSQL's planner estimate,
which the page shows as "about N" (``estimated``). SQLite has no estimate: above
the limit it counts exactly once. Either figure is kept for the same filter for
``COUNT_REUSE_SECONDS``, and until then that filter's pages, sorts and swaps show
it without counting again (so it is "about N": it may be that much older than
the rows). A number the user acts on (a bulk run's confirmation) is never this
one: the bulk services count the selected ids themselves.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# How long the figure of a filter found above the limit is reused: a 1,000,000-row
# count took 100-500 ms on SQLite; on PostgreSQL the capped count and the estimate
# took 1.5-3 ms of a 100,000-segment page's 17-20 ms (docs/performance.md).
COUNT_REUSE_SECONDS = 60


class EstimatingPaginator(Paginator):
    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self._queryset()
        if queryset is None:
            return super().count
        limit = settings.EXACT_COUNT_LIMIT
        capped = queryset.order_by().values(_count_column(queryset))[: limit + 1]
        try:
            sql, params = capped.query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (an empty id list)
            return 0
        # The capped query's SQL names the filter (any sort, any page) and the limit.
        key = "table-count:" + hashlib.sha256(f"{queryset.db}{sql}{params!r}".encode()).hexdigest()
        known = cache.get(key)
        if known is None:
            # Its SQL is compiled once: for the key and for the count.
            with connections[queryset.db].cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM ({sql}) capped", params)  # noqa: S608
                (found,) = cursor.fetchone()
            if found <= limit:
                return found
            known = _large_count(queryset, limit=limit)
            cache.set(key, known, timeout=COUNT_REUSE_SECONDS)
        self.estimated = True
        # The page's keys may then be read along the sort's index (models.sort_walk).
        queryset.matches_many = True
        return known

    def _queryset(self) -> QuerySet | None:
        """The queryset behind django-tables2's rows (``BoundRows.data.data``) or given."""
        candidate = self.object_list
        for _ in range(2):
            if isinstance(candidate, QuerySet):
                return candidate
            candidate = getattr(candidate, "data", None)
        return candidate if isinstance(candidate, QuerySet) else None


def _count_column(queryset: QuerySet) -> str:
    """What the bounded count selects: ``is_deleted``, which the mirror's indexes
    all lead with, so that the count reads an index alone (the key is in none of
    SQLite's: 12 ms against 1 ms for 10,001 rows at 1,000,000 segments)."""
    names = {f.name for f in queryset.model._meta.concrete_fields}
    return "is_deleted" if "is_deleted" in names else "pk"


def _planner_estimate(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of the rows of ``queryset``. Of its keys alone: the
    same rows, planned without the joins and annotations of the table's rows
    (0.4 ms against 3.1 ms a request at 100,000 segments)."""
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _large_count(queryset: QuerySet, *, limit: int) -> int:
    """The figure shown for more than ``limit`` rows: PostgreSQL's estimate (never
    below what was already seen), SQLite's exact count."""
    if connections[queryset.db].vendor == "postgresql":
        return max(_planner_estimate(queryset), limit + 1)
    return queryset.order_by().count()
