"""Fill the local mirror from the remote, streaming page by page.

Accounts come first, then the audience catalogue (List & Segment API), then
each changed audience's platform segments (Segment API), each audience
replaced in its own transaction. An incremental run asks the List API only for
audiences updated or refreshed after the last successful run's cursor; a full
run fetches everything and retires what the remote no longer has. Every
audience the catalogue reports as changed is marked dirty until its segments
are stored, so a run that failed half-way is resumed by the next one.
"""

from __future__ import annotations

import dataclasses
import logging
import operator
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from segments import remote
from segments.models import (
    COUNT_FIELDS,
    Account,
    Audience,
    Segment,
    SegmentCountSnapshot,
    SyncState,
)
from segments.remote import AudienceQuery, DateRange, NotFound, RemoteError
from segments.services.jobs import job_start

logger = logging.getLogger(__name__)

CATALOGUE_PAGE_SIZE = 100
# Audiences fetched ahead of the writes, by how many threads, and segments per write.
FETCH_AHEAD = 8
FETCH_THREADS = 3
WRITE_BATCH = 2000
# Overlap between runs: the remote's clock and ours may differ a little.
CURSOR_OVERLAP = timedelta(minutes=5)
# A run that has not reported progress for this long is taken as dead.
STALE_RUN = timedelta(minutes=30)

Progress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    """The default progress callback: report nothing."""


@dataclass
class SyncReport:
    full: bool
    accounts: int = 0
    audiences_seen: int = 0
    audiences_retired: int = 0
    audiences_refreshed: int = 0
    segments_written: int = 0
    segments_retired: int = 0
    snapshots: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- mapping records onto mirror rows -----------------------------------------

SEGMENT_COLUMNS = tuple(
    "record_id" if f.name == "id" else f.name for f in dataclasses.fields(remote.Segment)
)
ACCOUNT_COLUMNS = tuple(f.name for f in dataclasses.fields(remote.Account))


def _state(source: str) -> SyncState:
    state, _ = SyncState.objects.get_or_create(source=source)
    return state


def _record_failure(source: str, error: Exception) -> None:
    now = timezone.now()
    SyncState.objects.filter(source=source).update(
        last_error=str(error)[:2000], last_error_at=now, running_since=None
    )
    logger.warning("sync of %s failed: %s", source, error)


def _record_success(source: str, *, started: datetime, cursor: datetime | None = None) -> None:
    values = {"last_success_at": timezone.now(), "running_since": None, "last_error": ""}
    values["last_error_at"] = None
    if cursor is not None:
        values["cursor"] = cursor
    SyncState.objects.filter(source=source).update(**values)


def _begin(source: str) -> SyncState:
    state = _state(source)
    now = timezone.now()
    SyncState.objects.filter(pk=state.pk).update(
        last_attempt_at=now, running_since=now, progress_done=0, progress_total=0
    )
    return state


# --- the stages ---------------------------------------------------------------


def accounts_sync(*, client: remote.SegmentApiClient, full: bool = True) -> int:
    """Replace the mirror's accounts with the remote's list (a small, complete list)."""
    _begin(SyncState.Source.ACCOUNTS)
    started = timezone.now()
    try:
        records = client.platform_accounts()
    except RemoteError as exc:
        _record_failure(SyncState.Source.ACCOUNTS, exc)
        raise
    rows = [
        Account(**{c: getattr(r, c) for c in ACCOUNT_COLUMNS}, synced_at=started) for r in records
    ]
    with transaction.atomic():
        Account.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=[c for c in ACCOUNT_COLUMNS if c != "id"] + ["synced_at"],
        )
    _record_success(SyncState.Source.ACCOUNTS, started=started)
    return len(rows)


def _catalogue_queries(since: datetime | None) -> Iterable[AudienceQuery]:
    for audience_type in (Audience.Type.LIST, Audience.Type.SEGMENT):
        base = AudienceQuery(
            audience_type=audience_type, page_size=CATALOGUE_PAGE_SIZE, sort_by="ids"
        )
        if since is None:
            yield base
            continue
        yield dataclasses.replace(base, last_updated=DateRange("gt", value=since))
        if audience_type == Audience.Type.SEGMENT:
            yield dataclasses.replace(base, last_refreshed=DateRange("gt", value=since))


def catalogue_sync(
    *, client: remote.ListApiClient, full: bool, progress: Progress = _quiet
) -> tuple[int, int]:
    """Upsert the catalogue page by page. Returns (audiences seen, audiences retired)."""
    state = _begin(SyncState.Source.CATALOGUE)
    started = timezone.now()
    since = None if full or state.cursor is None else state.cursor
    seen = 0
    try:
        for query in _catalogue_queries(since):
            for page in client.iter_audience_pages(query):
                now = timezone.now()
                rows = [
                    Audience(
                        id=row.audience_id,
                        type=query.audience_type,
                        name=row.audience_name,
                        last_updated=row.last_updated_time,
                        last_refreshed=row.last_refreshed_time,
                        synced_at=now,
                        segments_dirty=True,
                        is_deleted=False,
                    )
                    for row in page.rows
                ]
                Audience.objects.bulk_create(
                    rows,
                    update_conflicts=True,
                    unique_fields=["id"],
                    update_fields=[
                        "type",
                        "name",
                        "last_updated",
                        "last_refreshed",
                        "synced_at",
                        "segments_dirty",
                        "is_deleted",
                    ],
                )
                seen += len(rows)
                progress("catalogue", seen, 0)
    except RemoteError as exc:
        _record_failure(SyncState.Source.CATALOGUE, exc)
        raise
    retired = 0
    if full:
        gone = Audience.objects.filter(is_deleted=False, synced_at__lt=started)
        retired = gone.update(is_deleted=True)
    _record_success(SyncState.Source.CATALOGUE, started=started, cursor=started - CURSOR_OVERLAP)
    return seen, retired


def audience_segments_replace(
    *, audience_id: int, records: list[remote.Segment], now: datetime | None = None
) -> tuple[int, int, int]:
    """Make the mirror's segments of one audience equal to ``records``, atomically."""
    return audiences_segments_replace(batch=[(audience_id, records)], now=now)


def audiences_segments_replace(
    *, batch: list[tuple[int, list[remote.Segment]]], now: datetime | None = None
) -> tuple[int, int, int]:
    """Make the mirror's segments of each audience in ``batch`` equal to its records,
    all in one transaction (so each audience is replaced whole or not at all).

    Returns (written, retired, snapshots). A count snapshot is stored for every
    segment whose counts differ from the mirror's previous values. The rows go
    in with one ``executemany`` upsert: Django's ``bulk_create`` spent most of a
    100,000-segment sync compiling SQL per field (bench/).
    """
    now = now or timezone.now()
    audience_ids = [audience_id for audience_id, _ in batch]
    records = [record for _, batch_records in batch for record in batch_records]
    with transaction.atomic():
        previous = _previous_counts([r.segment_id for r in records])
        changed = [r for r in records if previous.get(r.segment_id) != _counts(r)]
        adapt = _datetime_adapter()
        stamp = adapt(now)
        with connection.cursor() as cursor:
            if records:
                cursor.executemany(
                    _upsert_sql(), [_segment_values(r, stamp, adapt) for r in records]
                )
            if changed:
                cursor.executemany(_snapshot_sql(), [_snapshot_values(r, stamp) for r in changed])
        retired = Segment.objects.filter(
            audience_id__in=audience_ids, is_deleted=False, synced_at__lt=now
        ).update(is_deleted=True, deleted_at=now)
        Audience.objects.filter(id__in=audience_ids).update(
            segments_synced_at=now, segments_dirty=False
        )
    return len(records), retired, len(changed)


def _previous_counts(segment_ids: list[int]) -> dict[int, tuple]:
    counts = {}
    for start in range(0, len(segment_ids), 900):
        chunk = segment_ids[start : start + 900]
        for segment_id, *values in Segment.objects.filter(segment_id__in=chunk).values_list(
            "segment_id", *COUNT_FIELDS
        ):
            counts[segment_id] = tuple(values)
    return counts


_counts = operator.attrgetter(*COUNT_FIELDS)


def _datetime_adapter():
    """How a datetime goes into a query. On SQLite the same text Django writes
    (naive UTC), made directly: Django's general adapter was a third of a
    100,000-segment sync's time (bench/)."""
    if connection.vendor == "sqlite":
        return lambda value: value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return connection.ops.adapt_datetimefield_value


def _upsert_sql() -> str:
    fields = {f.attname: f.column for f in Segment._meta.concrete_fields}
    columns = [fields[c] for c in (*SEGMENT_COLUMNS, "synced_at", "is_deleted", "deleted_at")]
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c != "segment_id")
    return (
        f"INSERT INTO {quote(Segment._meta.db_table)} ({names}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('segment_id')}) DO UPDATE SET {updates}"
    )


def _snapshot_sql() -> str:
    quote = connection.ops.quote_name
    columns = ["segment_id", "taken_at", *COUNT_FIELDS]
    return (
        f"INSERT INTO {quote(SegmentCountSnapshot._meta.db_table)} "  # noqa: S608 - from the model
        f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    )


_record_values = operator.attrgetter(
    *("id" if column == "record_id" else column for column in SEGMENT_COLUMNS)
)
_DATETIME_POSITIONS = tuple(
    i for i, f in enumerate(dataclasses.fields(remote.Segment)) if f.metadata["kind"] == "datetime"
)


def _segment_values(record: remote.Segment, now: object, adapt) -> list:
    """The upsert's parameters; ``now`` comes already adapted."""
    values = list(_record_values(record))
    for i in _DATETIME_POSITIONS:
        if values[i] is not None:
            values[i] = adapt(values[i])
    values += (now, False, None)
    return values


def _snapshot_values(record: remote.Segment, now: object) -> tuple:
    return (record.segment_id, now, *_counts(record))


def dirty_audiences():
    """Audiences the catalogue reported as changed whose segments were not fetched since."""
    return Audience.objects.filter(is_deleted=False, segments_dirty=True)


def _fetch_ahead(
    client: remote.SegmentApiClient, audience_ids: list[int]
) -> Iterator[tuple[int, list[remote.Segment]]]:
    """Each audience's segments, in order, fetched a few audiences ahead by a small
    thread pool, so the remote's latency overlaps the database writes."""

    def fetch(audience_id: int) -> tuple[int, list[remote.Segment]]:
        try:
            return audience_id, client.segments_of_audience(audience_id=audience_id)
        except NotFound:
            return audience_id, []

    pool = ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="sync-fetch")
    pending: deque = deque()
    upcoming = iter(audience_ids)
    try:
        for audience_id in islice(upcoming, FETCH_AHEAD):
            pending.append(pool.submit(fetch, audience_id))
        while pending:
            result = pending.popleft().result()
            if (audience_id := next(upcoming, None)) is not None:
                pending.append(pool.submit(fetch, audience_id))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def segments_sync(
    *, client: remote.SegmentApiClient, full: bool, progress: Progress = _quiet
) -> tuple[int, int, int, int]:
    """Fetch the segments of every dirty audience (every audience on a full run),
    writing whole audiences in batches of about ``WRITE_BATCH`` segments."""
    _begin(SyncState.Source.SEGMENTS)
    started = timezone.now()
    audiences = Audience.objects.filter(is_deleted=False) if full else dirty_audiences()
    audience_ids = list(audiences.order_by("id").values_list("id", flat=True))
    state = SyncState.objects.filter(source=SyncState.Source.SEGMENTS)
    state.update(progress_total=len(audience_ids))
    totals = [0, 0, 0]
    batch: list[tuple[int, list[remote.Segment]]] = []

    def flush(done: int) -> None:
        for i, n in enumerate(audiences_segments_replace(batch=batch)):
            totals[i] += n
        batch.clear()
        state.update(progress_done=done)

    done = 0
    try:
        for done, fetched in enumerate(_fetch_ahead(client, audience_ids), start=1):
            batch.append(fetched)
            if sum(len(records) for _, records in batch) >= WRITE_BATCH:
                flush(done)
            progress("segments", done, len(audience_ids))
    except RemoteError as exc:
        flush(done)  # the audiences fetched whole before the failure are kept
        _record_failure(SyncState.Source.SEGMENTS, exc)
        raise
    flush(done)
    written, retired, snapshots = totals
    if full:
        retired += (
            Segment.objects.filter(is_deleted=False)
            .filter(Q(audience__isnull=True) | Q(audience__is_deleted=True))
            .update(is_deleted=True, deleted_at=started)
        )
    _record_success(SyncState.Source.SEGMENTS, started=started)
    return len(audience_ids), written, retired, snapshots


def sync_run(*, full: bool = False, progress: Progress = _quiet) -> SyncReport:
    """One sync of the whole platform. Errors are recorded and reported, not raised."""
    report = SyncReport(full=full)
    with remote.segment_api() as segment_client, remote.list_api() as list_client:
        try:
            report.accounts = accounts_sync(client=segment_client)
            report.audiences_seen, report.audiences_retired = catalogue_sync(
                client=list_client, full=full, progress=progress
            )
            (
                report.audiences_refreshed,
                report.segments_written,
                report.segments_retired,
                report.snapshots,
            ) = segments_sync(client=segment_client, full=full, progress=progress)
        except RemoteError as exc:
            report.errors.append(str(exc))
    _refresh_planner_statistics()
    return report


def _refresh_planner_statistics() -> None:
    """Let the database's planner see the mirror's new shape. Without statistics
    SQLite chose a full scan for the filter choices and sorts (bench/)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def audience_refresh(*, audience_id: int) -> int:
    """Refresh one audience's segments from the remote. Raises ``RemoteError``."""
    with remote.segment_api() as client:
        records = client.segments_of_audience(audience_id=audience_id)
    written, _, _ = audience_segments_replace(audience_id=audience_id, records=records)
    return written


def segment_refresh(*, segment_id: int) -> Segment | None:
    """Refresh one segment from the remote; ``None`` if the remote no longer has it."""
    now = timezone.now()
    with remote.segment_api() as client:
        try:
            record = client.segment(segment_id=segment_id)
        except NotFound:
            Segment.objects.filter(segment_id=segment_id, is_deleted=False).update(
                is_deleted=True, deleted_at=now
            )
            return None
    return segment_store(record=record, now=now)


def segment_store(*, record: remote.Segment, now: datetime | None = None) -> Segment:
    """Write one segment as the remote confirmed it; snapshot its counts if they changed."""
    now = now or timezone.now()
    with transaction.atomic():
        previous = _previous_counts([record.segment_id]).get(record.segment_id)
        adapt = _datetime_adapter()
        with connection.cursor() as cursor:
            cursor.execute(_upsert_sql(), _segment_values(record, adapt(now), adapt))
            if previous != _counts(record):
                cursor.execute(_snapshot_sql(), _snapshot_values(record, adapt(now)))
    return Segment.objects.select_related("audience", "account").get(segment_id=record.segment_id)


def sync_start(*, full: bool = False) -> SyncReport | None:
    """Refresh the whole platform, in the background where configured.

    Returns the report of an inline run, or ``None`` when the run went to the
    background or another one is already running.
    """
    with transaction.atomic():
        state, _ = SyncState.objects.select_for_update().get_or_create(
            source=SyncState.Source.SEGMENTS
        )
        if state.running_since and timezone.now() - state.running_since < STALE_RUN:
            return None
        state.running_since = timezone.now()
        state.save(update_fields=["running_since"])
    reports: list[SyncReport] = []
    if job_start(_sync_and_keep, full=full, reports=reports):
        return None
    return reports[0]


def _sync_and_keep(*, full: bool, reports: list) -> None:
    try:
        reports.append(sync_run(full=full))
    finally:
        SyncState.objects.filter(source=SyncState.Source.SEGMENTS).update(running_since=None)
