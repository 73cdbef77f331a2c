"""The mirror's secondary indexes, set aside while a sync loads an empty mirror.

A first sync writes every segment and a count snapshot of each. Kept up row by
row, the segment table's dozen indexes and the name search's text index cost
SQLite about 95 µs and PostgreSQL about 45 µs per segment, more than the 35 µs
of fetching it, and at a million segments SQLite rewrote the same scattered
index pages at every commit (bench/, docs/performance.md); the snapshots' index
too is written at random segment ids. Built once from the loaded rows, each
index is one sort.

So a full sync into an empty mirror (``deferred_indexes``) reads the exact
definitions of those indexes (and of SQLite's text-index triggers) from the
database's catalogue, records them as ``DeferredIndex`` rows, drops them,
loads, and makes them again: PostgreSQL over two connections at once
(``BUILD_CONNECTIONS``). If the process dies in between, the next sync makes
them first (``deferred_indexes_restore``), passing over any already made. The
audience index stays: each batch retires its audiences' missing segments
through it; so does PostgreSQL's trigram GIN (``_postgres_definitions``).

Trade: while the mirror loads, its queries scan rather than seek, and on
SQLite name searches find nothing until the text index is rebuilt at the end;
the mirror was empty before, so nothing that was there is missing.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from segments.models import DeferredIndex, Segment, SegmentCountSnapshot
from segments.search import FTS_TABLE

# Below this many audiences (about 50 segments each) row-by-row upkeep is as fast.
MIN_AUDIENCES = 50
KEPT_LEADING_COLUMNS = {"audience_id"}
# SQLite's page cache while the indexes are built (negative: KiB), and the threads
# its sorter may use. Each thread sorts in as much memory as the cache holds: for
# 1,000,000 segments, 16 MB and one thread took 13.3 s for the B-trees and a peak
# of 47 MB, two threads 10.7 s and 79 MB, 4 MB and two threads 8.6 s and 31 MB.
BUILD_CACHE_KIB = -4096
BUILD_THREADS = 2
# FTS5 merges its index's segments less eagerly while it is rebuilt (1,000,000
# names: 15.5 to 12.0 s), then as by default (FTS5's ``automerge`` is 4).
REBUILD_AUTOMERGE, AUTOMERGE = 16, 4
# PostgreSQL builds the set-aside indexes over this many connections at once
# (100,000 segments, the trigram GIN among them: 1.65 s one after another, 1.09 s
# over two), each sorting in this much memory (its default is 64 MB).
BUILD_CONNECTIONS = 2
BUILD_MEMORY = "256MB"


def _tables() -> list[str]:
    """The tables a load writes a row of per segment: the segments and their count
    snapshots (whose one index, taken row by row at random segment ids, cost a
    1,000,000-segment load on PostgreSQL more than its copy, bench/)."""
    return [Segment._meta.db_table, SegmentCountSnapshot._meta.db_table]


def _sqlite_definitions(cursor, table: str) -> dict[str, str]:
    """SQLite: the table's own indexes (not the primary key's automatic one) and
    its triggers, by name, as ``sqlite_master`` holds their statements."""
    cursor.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        [table],
    )
    rows = cursor.fetchall()
    constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: sql
        for kind, name, sql in rows
        if kind == "trigger" or not _kept(constraints.get(name, {}).get("columns"))
    }


def _postgres_definitions(cursor, table: str) -> dict[str, str]:
    """PostgreSQL: the table's B-tree indexes that back no constraint, by name. The
    trigram GIN stays: it takes a load's names into its pending list and merges
    them in as it goes, in the database's process while the sync fetches (1M: the
    indexes after the load 16.9 to 10.0 s, the load 41.9 to 44.4 s; 100k: the
    sync 6.3 to 6.0 s), where built at the end it was the longest build."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), "
        "(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = i.indrelid "
        " AND a.attnum = i.indkey[0]) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am m ON m.oid = c.relam "
        "WHERE i.indrelid = %s::regclass AND m.amname = 'btree' "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        [table],
    )
    return {name: sql for name, sql, leading in cursor.fetchall() if not _kept([leading])}


def index_definitions(cursor) -> dict[str, str]:
    """What a load sets aside, by name: its ``CREATE`` statement, read from this
    database's catalogue."""
    read = _postgres_definitions if connection.vendor == "postgresql" else _sqlite_definitions
    return {name: sql for table in _tables() for name, sql in read(cursor, table).items()}


def _kept(columns: list | None) -> bool:
    return bool(columns) and columns[0] in KEPT_LEADING_COLUMNS


@contextlib.contextmanager
def _build_settings(cursor) -> Iterator[None]:
    """The memory of the index builds' sorts on this connection. PostgreSQL:
    ``BUILD_MEMORY``, for this transaction (the parallel builds' connections set
    their own). SQLite sorts in as much memory as its page cache holds,
    so the cache is made small while building (with the 64 MB of settings a
    1,000,000-segment sync peaked at 237 MB, for no faster build), and its
    sorter gets ``BUILD_THREADS``."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [BUILD_MEMORY])
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (size,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size = {BUILD_CACHE_KIB}")
    cursor.execute(f"PRAGMA threads = {BUILD_THREADS}")
    try:
        yield
    finally:
        cursor.execute("PRAGMA threads = 0")
        cursor.execute(f"PRAGMA cache_size = {int(size)}")


def _text_index_rebuild(cursor) -> None:
    """SQLite: make the name search's FTS5 index again from the names."""
    fts = FTS_TABLE
    merge = f"INSERT INTO {fts}({fts}, rank) VALUES ('automerge', %s)"  # noqa: S608
    cursor.execute(merge, [REBUILD_AUTOMERGE])
    cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
    cursor.execute(merge, [AUTOMERGE])


def _is_trigger(definition: str) -> bool:
    return definition.lstrip().upper().startswith("CREATE TRIGGER")


def _drop_statement(name: str, definition: str) -> str:
    kind = "TRIGGER" if _is_trigger(definition) else "INDEX"
    return f"DROP {kind} IF EXISTS {connection.ops.quote_name(name)}"


def _create_statement(definition: str) -> str:
    """The recorded definition, made to pass over an index or trigger that is
    there already (one a build left made before it failed)."""
    kind = " TRIGGER " if _is_trigger(definition) else " INDEX "
    return definition.replace(kind, f"{kind}IF NOT EXISTS ", 1)


def _build_in_parallel(statements: list[str]) -> None:
    """PostgreSQL: run the ``CREATE INDEX`` statements over ``BUILD_CONNECTIONS``
    connections of their own, each committed as it is made. The caller holds
    the ``DeferredIndex`` rows, so no other process builds them meanwhile; if
    one build fails, the next restore makes the rest."""
    pending = deque(statements)

    def build() -> None:
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with side.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('maintenance_work_mem', %s, false)", [BUILD_MEMORY]
                )
                while True:
                    try:
                        sql = pending.popleft()
                    except IndexError:
                        return
                    cursor.execute(sql)
        finally:
            side.close()

    with ThreadPoolExecutor(BUILD_CONNECTIONS, thread_name_prefix="index-build") as pool:
        for done in [pool.submit(build) for _ in range(BUILD_CONNECTIONS)]:
            done.result()


def deferred_indexes_restore(*, analyze: bool = True) -> list[str]:
    """Make every index a sync set aside (a sync that died while loading), then
    rebuild SQLite's text index if its triggers were among them, and gather the
    planner's statistics of the tables unless the caller will (dropped indexes
    lose theirs: at 1,000,000 segments SQLite then took seconds for a key
    lookup). Returns the names."""
    # Other connections cannot see a caller's transaction (a test's, say).
    parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        deferred = list(DeferredIndex.objects.select_for_update().order_by("name"))
        if not deferred:
            return []
        statements = [_create_statement(index.definition) for index in deferred]
        if parallel:
            _build_in_parallel(statements)
        with connection.cursor() as cursor, _build_settings(cursor):
            if not parallel:
                for sql in statements:
                    cursor.execute(sql)
            if any(_is_trigger(index.definition) for index in deferred):
                _text_index_rebuild(cursor)
            if analyze:
                for table in _tables():
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        DeferredIndex.objects.filter(name__in=[index.name for index in deferred]).delete()
    return [index.name for index in deferred]


@contextlib.contextmanager
def deferred_indexes(*, audiences: int) -> Iterator[bool]:
    """Around a full sync's segment writes: when the mirror has no segment and the
    catalogue lists at least ``MIN_AUDIENCES``, drop the secondary indexes and make
    them again afterwards, whatever happened in between. Yields whether it did."""
    if audiences < MIN_AUDIENCES or Segment.objects.exists():
        yield False
        return
    with transaction.atomic(), connection.cursor() as cursor:
        definitions = index_definitions(cursor)
        DeferredIndex.objects.bulk_create(
            [DeferredIndex(name=name, definition=sql) for name, sql in definitions.items()],
            ignore_conflicts=True,
        )
        for name, sql in definitions.items():
            cursor.execute(_drop_statement(name, sql))
    try:
        yield True
    finally:
        deferred_indexes_restore(analyze=False)  # the sync's end gathers them for all tables
