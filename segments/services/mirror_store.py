"""Writing remote segments into the mirror: one segment, or whole audiences in batches.

A batch is a list of rows (``SegmentRow``: a segment's values in
``remote.Segment``'s field order, as ``SegmentApiClient.segment_rows_of_audience``
gives them, a date-time as the platform's own text or as a ``datetime``). It
goes in with one ``executemany`` upsert on SQLite (Django's ``bulk_create``
spent most of a 100,000-segment sync compiling SQL per field, bench/) and
through ``COPY`` on PostgreSQL (``mirror_copy``). A count snapshot is stored
for every segment whose counts differ from the mirror's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import operator
from collections.abc import Iterator
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from segments import remote
from segments.models import COUNT_FIELDS, Audience, Segment, SegmentCountSnapshot
from segments.services.mirror_copy import copy_rows, staged_upsert

# Record attributes stored under another column name; every other attribute of
# ``remote.Segment`` is its column's name (wire names are mapped in remote.records).
RENAMED_COLUMNS = {"id": "record_id"}
_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(remote.Segment))
SEGMENT_COLUMNS = tuple(RENAMED_COLUMNS.get(name, name) for name in _RECORD_FIELDS)
# Positions in a row (``SegmentRow``: the record's values in field order).
_DATETIME_POSITIONS = tuple(
    i for i, f in enumerate(dataclasses.fields(remote.Segment)) if f.metadata["kind"] == "datetime"
)
_SEGMENT_ID = _RECORD_FIELDS.index("segment_id")
_AUDIENCE_ID = _RECORD_FIELDS.index("audience_id")
_row_counts = operator.itemgetter(*(_RECORD_FIELDS.index(c) for c in COUNT_FIELDS))


def segment_store(*, record: remote.Segment, now: datetime | None = None) -> Segment:
    """Write one segment as the remote confirmed it; snapshot its counts if they changed."""
    now = now or timezone.now()
    with transaction.atomic():
        previous = previous_counts([record.segment_id]).get(record.segment_id)
        adapt = _datetime_adapter()
        names = _audience_names([record.audience_id])
        row = remote.record_row(record)
        with connection.cursor() as cursor:
            # Written even when unchanged: the operator asked, and "synced" must move.
            cursor.execute(
                _upsert_sql(only_changed=False), _segment_values(row, adapt(now), adapt, names)
            )
            if previous != _row_counts(row):
                cursor.execute(_snapshot_sql(), _snapshot_values(row, adapt(now)))
    return Segment.objects.select_related("audience", "account").get(segment_id=record.segment_id)


def segment_mark_deleted(*, segment_id: int, at: datetime | None = None) -> None:
    """The remote no longer has this segment: hide it, keeping the row (and its history)."""
    Segment.objects.filter(segment_id=segment_id, is_deleted=False).update(
        is_deleted=True, deleted_at=at or timezone.now()
    )


def audience_segments_replace(
    *, audience_id: int, records: list[remote.Segment], now: datetime | None = None
) -> tuple[int, int, int]:
    """Make the mirror's segments of one audience equal to ``records``, atomically."""
    rows = [remote.record_row(record) for record in records]
    return audiences_segments_replace(batch=[(audience_id, rows)], now=now)


def audiences_segments_replace(
    *,
    batch: list[tuple[int, list[tuple]]],
    now: datetime | None = None,
    names: dict[int, str] | None = None,
    new: bool = False,
) -> tuple[int, int, int]:
    """Make the mirror's segments of each audience in ``batch`` equal to its rows,
    all in one transaction (so each audience is replaced whole or not at all).

    A segment whose values are all as stored is not written again (its row,
    indexes and ``synced_at`` stay as they were: ``Segment.confirmed_at`` reads the
    audience's fetch time), so a sync of an unchanged platform reads more than it
    writes. ``names``: the audiences' names by id, if the caller has them.
    ``new``: the mirror held none of these audiences' segments when the caller
    began (a sync loading an empty mirror); they are then inserted without
    comparing (``_load_new_segments``), unless one was stored meanwhile. Returns
    (segments, retired, snapshots).
    """
    now = now or timezone.now()
    audience_ids = [audience_id for audience_id, _ in batch]
    rows = [row for _, audience_rows in batch for row in audience_rows]
    with transaction.atomic(), _lookups_by_index(when=new):
        names = {} if names is None else names
        if missing := {row[_AUDIENCE_ID] for row in rows} - names.keys():
            names = {**names, **_audience_names(missing)}
        loaded = _load_new_segments(rows, now, names) if new and rows else None
        if loaded is not None:
            snapshots = loaded
        elif connection.vendor == "postgresql":
            snapshots = _copy_segments(rows, now, names) if rows else 0
        else:
            snapshots = _upsert_segments(rows, now, names)
        retired = 0
        # A load's audiences hold only its batch, unless an operator's refresh
        # stored a segment meanwhile that the platform has since dropped.
        live = Segment.objects.filter(audience_id__in=audience_ids, is_deleted=False)
        if loaded is None or live.count() != len(rows):
            retired = _retire_missing(audience_ids, {row[_SEGMENT_ID] for row in rows}, now)
        Audience.objects.filter(id__in=audience_ids).update(
            segments_synced_at=now, segments_dirty=False
        )
    return len(rows), retired, snapshots


@contextlib.contextmanager
def _lookups_by_index(*, when: bool) -> Iterator[None]:
    """PostgreSQL, for a load's batch: look rows up by index. Its statements
    find a batch's rows by their audiences, a small part of the table, but the
    planner cannot know it while the table fills: with no statistics, or those
    of the first batch (whose 200 audiences it then takes for all there are), it
    scanned the whole growing table once per batch (1,000,000 segments: the
    snapshots' and the count's queries 27 s, bench.profile_sync).

    Set back afterwards, not left to the transaction's end: inside a caller's
    transaction (a test's) a later comparing upsert, which must scan its staging
    table, was costed as if it could not and JIT-compiled (150-200 ms a
    statement for 60 rows)."""
    if not (when and connection.vendor == "postgresql"):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        (before,) = cursor.fetchone()
        cursor.execute("SET LOCAL enable_seqscan = off")
    yield  # a failure rolls the batch back, and the setting with it
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def _retire_missing(audience_ids: list[int], present: set[int], now: datetime) -> int:
    """Hide the segments these audiences no longer have on the platform."""
    stored = Segment.objects.filter(audience_id__in=audience_ids, is_deleted=False)
    gone = sorted(set(stored.values_list("segment_id", flat=True)) - present)
    return sum(
        Segment.objects.filter(segment_id__in=gone[start : start + 900]).update(
            is_deleted=True, deleted_at=now
        )
        for start in range(0, len(gone), 900)
    )


def _audience_names(audience_ids) -> dict[int, str]:
    """The names the segments copy. A renamed audience is always in the batch too:
    the catalogue marks every audience it lists for a segment fetch."""
    return dict(Audience.objects.filter(id__in=list(audience_ids)).values_list("id", "name"))


def _upsert_segments(rows: list[tuple], now: datetime, names: dict[int, str]) -> int:
    """One ``executemany`` upsert, then the snapshots of the counts that changed."""
    previous = previous_counts([row[_SEGMENT_ID] for row in rows])
    changed = [row for row in rows if previous.get(row[_SEGMENT_ID]) != _row_counts(row)]
    synced_at, values = _batch_values(rows, now, names)
    with connection.cursor() as cursor:
        if rows:
            cursor.executemany(_upsert_sql(only_changed=True), values)
        if changed:
            cursor.executemany(
                _snapshot_sql(), [_snapshot_values(row, synced_at) for row in changed]
            )
    return len(changed)


def _copy_segments(rows: list[tuple], now: datetime, names: dict[int, str]) -> int:
    """PostgreSQL: the batch through ``COPY`` and a staging table."""
    columns = _columns()
    with connection.cursor() as cursor:
        return staged_upsert(
            cursor=cursor,
            table=Segment._meta.db_table,
            snapshot_table=SegmentCountSnapshot._meta.db_table,
            columns=columns,
            count_columns=COUNT_FIELDS,
            rows=_batch_values(rows, now, names)[1],
            now=now,
            changed=changed_condition(connection.ops.quote_name(Segment._meta.db_table), columns),
        )


def _load_new_segments(rows: list[tuple], now: datetime, names: dict[int, str]) -> int | None:
    """The batch written straight into the tables, none of it being in the mirror:
    PostgreSQL by ``COPY``, SQLite by a plain ``INSERT``; then a count snapshot of
    each, made by the database from the rows it now holds, found by their
    audiences and this write's time (a load writes an audience's rows side by
    side: 1,000,000 segments on PostgreSQL, 1.7 s against 5.7 s looking up each
    key, and no snapshot row made in Python). Returns the snapshots; ``None``,
    and nothing written, if one of its segments is there after all: an
    operator's refresh of one segment can land while a sync loads."""
    table = Segment._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            written_at, values = _batch_values(rows, now, names)
            if connection.vendor == "postgresql":
                copy_rows(cursor, connection.ops.quote_name(table), _columns(), values)
            else:
                cursor.executemany(_insert_sql(), values)
            audience_ids = sorted({row[_AUDIENCE_ID] for row in rows})
            cursor.execute(_snapshot_written_sql(len(audience_ids)), [*audience_ids, written_at])
            return cursor.rowcount
    except IntegrityError:
        return None


def previous_counts(segment_ids: list[int]) -> dict[int, tuple]:
    """The mirror's counts of these segments, in ``COUNT_FIELDS`` order."""
    counts = {}
    for start in range(0, len(segment_ids), 900):
        chunk = segment_ids[start : start + 900]
        for segment_id, *values in Segment.objects.filter(segment_id__in=chunk).values_list(
            "segment_id", *COUNT_FIELDS
        ):
            counts[segment_id] = tuple(values)
    return counts


def _datetime_adapter():
    """How a row's date-time goes into a query. On SQLite the same text Django
    writes (naive UTC), made directly (Django's general adapter was a third of a
    100,000-segment sync's time, bench/), also from the platform's own text;
    PostgreSQL takes a sync's rows by ``COPY`` (``_copy_instant``)."""
    if connection.vendor == "sqlite":
        return _sqlite_datetime
    return connection.ops.adapt_datetimefield_value


def _sqlite_datetime(value: datetime | str) -> str:
    if type(value) is str:  # 2026-06-24T12:59:42.1118820Z: to the microsecond, as parsed
        if value[20:26] == "000000":
            return f"{value[:10]} {value[11:19]}"
        return f"{value[:10]} {value[11:26]}"
    if value.tzinfo is UTC:  # what the records hold: drop "+00:00" (no PlatformInstant calls)
        return value.isoformat(" ")[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _copy_instant(value: datetime | str) -> datetime | str:
    """A date-time as ``COPY`` takes it: the platform's text cut to the microsecond
    (PostgreSQL would round the seventh digit; the records' parser truncates)."""
    if type(value) is str:
        return f"{value[:26]}Z"
    return value


def _columns() -> list[str]:
    """The segment table's columns in ``_segment_values`` order."""
    fields = {f.attname: f.column for f in Segment._meta.concrete_fields}
    extra = ("synced_at", "is_deleted", "deleted_at", "audience_name")
    return [fields[c] for c in (*SEGMENT_COLUMNS, *extra)]


def _insert_sql() -> str:
    columns = _columns()
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    return (
        f"INSERT INTO {quote(Segment._meta.db_table)} ({names}) "  # noqa: S608 - from the model
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


def _upsert_sql(*, only_changed: bool) -> str:
    columns = _columns()
    quote = connection.ops.quote_name
    table = quote(Segment._meta.db_table)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c != "segment_id")
    sql = f"{_insert_sql()} ON CONFLICT ({quote('segment_id')}) DO UPDATE SET {updates}"
    if only_changed:
        sql += " WHERE " + changed_condition(table, columns)
    return sql


def changed_condition(table: str, columns) -> str:
    """SQL true when the upserted row differs from the stored one (nulls compared
    as values), ``synced_at`` aside: an upsert's ``DO UPDATE ... WHERE``."""
    quote = connection.ops.quote_name
    compared = [quote(c) for c in columns if c not in ("segment_id", "synced_at")]
    stored = ", ".join(f"{table}.{c}" for c in compared)
    new = ", ".join(f"EXCLUDED.{c}" for c in compared)
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    return f"({stored}) {differs} ({new})"


def _snapshot_written_sql(audiences: int) -> str:
    """A snapshot of the counts of every segment of the given audiences written at
    the given time (parameters: the audience ids, then the time)."""
    quote = connection.ops.quote_name
    counts = ", ".join(quote(c) for c in COUNT_FIELDS)
    return (
        f"INSERT INTO {quote(SegmentCountSnapshot._meta.db_table)} "  # noqa: S608 - from the model
        f"(segment_id, taken_at, {counts}) "
        f"SELECT segment_id, synced_at, {counts} FROM {quote(Segment._meta.db_table)} "
        f"WHERE audience_id IN ({', '.join(['%s'] * audiences)}) AND synced_at = %s"
    )


def _snapshot_sql() -> str:
    quote = connection.ops.quote_name
    columns = ["segment_id", "taken_at", *COUNT_FIELDS]
    return (
        f"INSERT INTO {quote(SegmentCountSnapshot._meta.db_table)} "  # noqa: S608 - from the model
        f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    )


def _batch_values(rows: list[tuple], now: datetime, names: dict) -> tuple[object, list[list]]:
    """A batch's parameters as this database takes a sync's rows (PostgreSQL by
    ``COPY``, SQLite in its statements), and ``now`` as they hold it."""
    if connection.vendor == "postgresql":
        return now, [_segment_values(row, now, _copy_instant, names) for row in rows]
    written_at = _sqlite_datetime(now)
    return written_at, [_segment_values(row, written_at, _sqlite_datetime, names) for row in rows]


def _segment_values(row: tuple, synced_at: object, adapt, names: dict) -> list:
    """The upsert's parameters of a row; ``synced_at`` comes already adapted,
    ``names`` are the audiences' names by id, ``adapt`` is how a date-time goes in."""
    values = list(row)
    for i in _DATETIME_POSITIONS:
        if values[i] is not None:
            values[i] = adapt(values[i])
    values += (synced_at, False, None, names.get(row[_AUDIENCE_ID], ""))
    return values


def _snapshot_values(row: tuple, taken_at: object) -> tuple:
    return (row[_SEGMENT_ID], taken_at, *_row_counts(row))
