"""PostgreSQL: a batch of segments goes into the mirror through ``COPY``.

The rows are copied into a temporary staging table in one stream, then the
database itself picks the segments whose counts changed (for the count
snapshots) and upserts the batch with one ``INSERT … SELECT … ON CONFLICT``.
Row-by-row ``executemany`` spent most of a PostgreSQL sync binding parameters
in Python (``python -m bench.profile_sync --db postgres``). The copy is in the
text format: a sync's rows hold date-times as the platform's text, which the
database reads faster than Python makes ``datetime``s of them for the binary
format (decoding and copying 100,000 segments: 1.5 to 0.9 CPU-seconds, bench/).

A sync loading an empty mirror copies straight into the segment table instead
(``mirror_store._load_new_segments``): every segment is new, so there is
nothing to compare or update.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

STAGING = "segment_staging"


def staged_upsert(
    *,
    cursor,
    table: str,
    snapshot_table: str,
    columns: Sequence[str],
    count_columns: Sequence[str],
    rows: Iterable[Sequence],
    now: datetime,
    changed: str,
) -> int:
    """Upsert ``rows`` (values in ``columns`` order, ``segment_id`` among them) into
    ``table``, updating a stored row only where ``changed`` (SQL) holds, and
    snapshot the counts of every row that is new or whose counts changed.
    Returns the number of snapshots. Runs in the caller's transaction."""
    quote = cursor.db.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGING} ON COMMIT DROP AS "  # noqa: S608 - names from the model
        f"SELECT {names} FROM {quote(table)} WITH NO DATA"
    )
    copy_rows(cursor, STAGING, columns, rows)
    counts = ", ".join(quote(c) for c in count_columns)
    old = ", ".join(f"t.{quote(c)}" for c in count_columns)
    new = ", ".join(f"s.{quote(c)}" for c in count_columns)
    cursor.execute(
        f"INSERT INTO {quote(snapshot_table)} (segment_id, taken_at, {counts}) "  # noqa: S608
        f"SELECT s.segment_id, %s, {new} FROM {STAGING} s "
        f"LEFT JOIN {quote(table)} t ON t.segment_id = s.segment_id "
        f"WHERE t.segment_id IS NULL OR ({old}) IS DISTINCT FROM ({new})",
        [now],
    )
    snapshots = cursor.rowcount
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c != "segment_id")
    cursor.execute(
        f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {STAGING} "  # noqa: S608
        f"ON CONFLICT (segment_id) DO UPDATE SET {updates} WHERE {changed}"
    )
    cursor.execute(f"DROP TABLE {STAGING}")
    return snapshots


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``COPY`` of ``rows`` into ``columns`` of ``table`` (quoted), in the text format."""
    quote = cursor.db.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    # psycopg's own cursor copies: its errors are made Django's (IntegrityError…) here.
    with (
        cursor.db.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
