"""Fill the local mirror from the remote, streaming page by page.

Accounts come first, then the audience catalogue (List & Segment API), then
each changed audience's platform segments (Segment API), fetched a few
audiences ahead by a small thread pool and written whole audiences at a time,
in batches of about ``WRITE_BATCH`` segments per transaction. An incremental run
asks the List API only for audiences updated or refreshed after the last
successful run's cursor; a full run fetches everything and retires what the
remote no longer has. Every audience the catalogue reports as changed is marked
dirty until its segments are stored, so a run that failed half-way is resumed
by the next one.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from segments import remote
from segments.models import Account, Audience, Segment, SyncState
from segments.remote import (
    AudienceQuery,
    AuthError,
    DateRange,
    NotFound,
    RateLimited,
    RemoteError,
    Unavailable,
)
from segments.services.mirror_indexes import deferred_indexes, deferred_indexes_restore
from segments.services.mirror_store import (
    audience_segments_replace,
    audiences_segments_replace,
    segment_mark_deleted,
    segment_store,
)
from segments.services.sync_state import (
    stage_begin,
    stage_failed,
    stage_progress,
    stage_succeeded,
)

CATALOGUE_PAGE_SIZE = 100
# Audiences fetched ahead of the writes, by how many threads, and segments per write.
# More audiences ahead than one write holds, so that fetching goes on while a batch
# is written (8 ahead left the fetch waiting for each PostgreSQL batch, bench/).
FETCH_AHEAD = 256
FETCH_THREADS = 3
FETCH_ROUNDS, FETCH_ROUND_PAUSE = 3, 0.2
# Each write commits: SQLite then writes every page the batch touched to its log, the
# key index's scattered across the table (a 1,000,000-segment first sync on SQLite:
# 114 s in batches of 2,000, 99.6 s of 10,000; PostgreSQL alike either way).
WRITE_BATCH = 10_000
# Overlap between runs: the remote's clock and ours may differ a little.
CURSOR_OVERLAP = timedelta(minutes=5)
ACCOUNT_COLUMNS = tuple(f.name for f in dataclasses.fields(remote.Account))

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
    # JSON-friendly (a sync task returns this report): whether the platform refused
    # the configured credentials, which only an admin can fix.
    credentials_refused: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def accounts_sync(*, client: remote.SegmentApiClient) -> int:
    """Replace the mirror's accounts with the remote's list (a small, complete list)."""
    stage_begin(SyncState.Source.ACCOUNTS)
    started = timezone.now()
    try:
        records = client.platform_accounts()
    except RemoteError as exc:
        stage_failed(SyncState.Source.ACCOUNTS, exc)
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
    stage_succeeded(SyncState.Source.ACCOUNTS)
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
    state = stage_begin(SyncState.Source.CATALOGUE)
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
        stage_failed(SyncState.Source.CATALOGUE, exc)
        raise
    retired = 0
    if full:
        gone = Audience.objects.filter(is_deleted=False, synced_at__lt=started)
        retired = gone.update(is_deleted=True)
    stage_succeeded(SyncState.Source.CATALOGUE, cursor=started - CURSOR_OVERLAP)
    return seen, retired


def dirty_audiences():
    """Audiences the catalogue reported as changed whose segments were not fetched since."""
    return Audience.objects.filter(is_deleted=False, segments_dirty=True)


def _fetch_ahead(
    client: remote.SegmentApiClient, audience_ids: list[int]
) -> Iterator[tuple[int, list[tuple]]]:
    """Each audience's segments (as rows, ``mirror_store``), in order, fetched a few
    audiences ahead by a small thread pool, so the remote's latency overlaps the
    database writes."""

    def once(audience_id: int) -> tuple[int, list[tuple]]:
        try:
            return audience_id, client.segment_rows_of_audience(audience_id=audience_id)
        except NotFound:
            return audience_id, []

    def fetch(audience_id: int) -> tuple[int, list[tuple]]:
        # Parallel fetches share whatever failure pattern the remote has (every third
        # call failing can hit all of one request's attempts): such a read is retried.
        for round_ in range(FETCH_ROUNDS - 1):
            try:
                return once(audience_id)
            except (Unavailable, RateLimited):
                time.sleep(FETCH_ROUND_PAUSE * 2**round_)
        return once(audience_id)

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
    *,
    client: remote.SegmentApiClient,
    full: bool,
    report: SyncReport,
    progress: Progress = _quiet,
) -> None:
    """Fetch the segments of every dirty audience (every audience on a full run),
    writing whole audiences in batches of about ``WRITE_BATCH`` segments. The
    report counts each batch as it is written, so a run that fails half-way
    reports what it did write."""
    source = SyncState.Source.SEGMENTS
    stage_begin(source)
    started = timezone.now()
    audiences = Audience.objects.filter(is_deleted=False) if full else dirty_audiences()
    # The catalogue stage has just written the names the segments copy: read once.
    names = dict(audiences.order_by("id").values_list("id", "name"))
    audience_ids = list(names)
    stage_progress(source, total=len(audience_ids))
    batch: list[tuple[int, list[tuple]]] = []
    loading = False

    def flush(done: int) -> None:
        written, retired, snapshots = audiences_segments_replace(
            batch=batch, names=names, new=loading
        )
        report.audiences_refreshed += len(batch)
        report.segments_written += written
        report.segments_retired += retired
        report.snapshots += snapshots
        batch.clear()
        stage_progress(source, done=done)

    done = 0
    try:
        with deferred_indexes(audiences=len(audience_ids) if full else 0) as loading:
            for done, fetched in enumerate(_fetch_ahead(client, audience_ids), start=1):
                batch.append(fetched)
                if sum(len(rows) for _, rows in batch) >= WRITE_BATCH:
                    flush(done)
                progress("segments", done, len(audience_ids))
            flush(done)
    except RemoteError as exc:
        flush(done)  # the audiences fetched whole before the failure are kept
        stage_failed(source, exc)
        raise
    if full:
        report.segments_retired += (
            Segment.objects.filter(is_deleted=False)
            .filter(Q(audience__isnull=True) | Q(audience__is_deleted=True))
            .update(is_deleted=True, deleted_at=started)
        )
    stage_succeeded(source)


def sync_run(*, full: bool = False, progress: Progress = _quiet) -> SyncReport:
    """One sync of the whole platform. Errors are recorded and reported, not raised."""
    report = SyncReport(full=full)
    deferred_indexes_restore()  # a sync that died while loading an empty mirror
    with remote.segment_api() as segment_client, remote.list_api() as list_client:
        try:
            report.accounts = accounts_sync(client=segment_client)
            report.audiences_seen, report.audiences_retired = catalogue_sync(
                client=list_client, full=full, progress=progress
            )
            segments_sync(client=segment_client, full=full, report=report, progress=progress)
        except RemoteError as exc:
            report.errors.append(str(exc))
            report.credentials_refused = isinstance(exc, AuthError)
    _refresh_planner_statistics(full=full)
    return report


def _refresh_planner_statistics(*, full: bool) -> None:
    """Let the database's planner see the mirror's new shape. Without statistics
    SQLite chose a full scan for the filter choices and sorts (bench/).

    After a full run: SQLite ``ANALYZE``; PostgreSQL ``VACUUM (ANALYZE)`` of the
    segments, which also marks their pages all-visible so that counts and deep
    pages read the indexes alone. After an incremental run (a few audiences)
    only what is due: SQLite's ``PRAGMA optimize``, PostgreSQL's autovacuum. A
    whole ``ANALYZE`` cost an incremental run of 1% of the audiences more than
    its writes (bench/)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if full:
                # VACUUM cannot run in a transaction (a caller's, or a test's).
                vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                cursor.execute(f"{vacuum} {quote(Segment._meta.db_table)}")
                cursor.execute(f"ANALYZE {quote(Audience._meta.db_table)}")
        elif full:
            cursor.execute("ANALYZE")
        else:
            cursor.execute("PRAGMA optimize")


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
            segment_mark_deleted(segment_id=segment_id, at=now)
            return None
    return segment_store(record=record, now=now)
