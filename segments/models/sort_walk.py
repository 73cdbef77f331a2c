"""SQLite: a page of a filtered, sorted table, read along the sort's own index.

For a filter that many rows match (an account, "active", "has problems"),
SQLite's planner reads every matching row through the filter's index and sorts
them all, even for the first page: 160-220 ms at 1,000,000 segments (bench/).
Walking the sort's covering index instead, a chunk of keys at a time, and
keeping those the filter matches finds the page after a few hundred rows
(0.5 ms). The walk gives up after ``WALK_LIMIT`` rows and leaves the page to the
plain query, so a filter that turns out to match few rows costs at most that.
PostgreSQL's planner weighs the two plans itself.
"""

from __future__ import annotations

from functools import cache

from django.db import connections

WALK_CHUNK = 2000
WALK_LIMIT = 20_000
# Sorts with an index (is_deleted, field, segment_id) in ``Segment.Meta``.
WALKABLE = {"name", "updated", "total_log_count", "audience_name", "end_date"}
KEY = {"pk", "segment_id"}


def sort_walk_keys(queryset, start: int, stop: int) -> list | None:
    """Keys ``start:stop`` of ``queryset`` (visible segments, sorted by one
    walkable field then the key), or ``None`` when the walk does not apply or
    did not reach ``stop`` matches within ``WALK_LIMIT`` rows."""
    if connections[queryset.db].vendor != "sqlite" or stop > WALK_LIMIT:
        return None
    order = queryset.query.order_by
    if not (
        len(order) == 2
        and all(isinstance(part, str) for part in order)
        and order[0].lstrip("-") in WALKABLE
        and order[1].lstrip("-") in KEY
    ):
        return None
    walk = queryset.model._default_manager.visible().order_by(*order).values_list("pk", flat=True)
    found: list = []
    for offset in range(0, WALK_LIMIT, WALK_CHUNK):
        window = list(walk[offset : offset + WALK_CHUNK])
        hits = _matching(queryset, window)
        found += [key for key in window if key in hits]
        if len(found) >= stop or len(window) < WALK_CHUNK:
            return found[start:stop]
    return None


def _matching(queryset, keys: list) -> set:
    """Which of ``keys`` the queryset's filter matches, looked up by the key: left
    to itself, SQLite read a filter's range index and tested each row against the
    list (108 ms for 2,000 keys at 1M, against a few ms)."""
    query = queryset.order_by().filter(pk__in=keys).values_list("pk", flat=True).query
    sql, params = query.sql_with_params()
    connection = connections[queryset.db]
    table = f"FROM {connection.ops.quote_name(queryset.model._meta.db_table)}"
    at = sql.index(table) + len(table)
    key_index = _key_index(queryset.db, queryset.model._meta.db_table)
    sql = f"{sql[:at]} INDEXED BY {key_index}{sql[at:]}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key for (key,) in cursor.fetchall()}


@cache
def _key_index(alias: str, table: str) -> str:
    """The index SQLite made for the table's (non-rowid) primary key: read once
    per process, not once per chunk of a page."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND name LIKE 'sqlite_autoindex_%%' ORDER BY name LIMIT 1",
            [table],
        )
        (name,) = cursor.fetchone()
    return connection.ops.quote_name(name)
