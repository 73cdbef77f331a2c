"""A sync loading an empty mirror writes new segments without comparing them
(by ``COPY`` or a plain ``INSERT`` straight into the table), and what it writes
is what the comparing upsert writes, also when an operator's refresh of one
segment lands while it loads."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from segments.models import COUNT_FIELDS, Audience, Segment, SegmentCountSnapshot
from segments.remote import Segment as RemoteSegment
from segments.remote import record_row
from segments.remote.fast_decode import data_rows
from segments.services import mirror_indexes, mirror_store, sync
from segments.services.mirror_store import audiences_segments_replace
from segments.services.sync import segment_refresh, sync_run
from tests.remote.test_records import segment_payload

pytestmark = pytest.mark.django_db
IGNORED = {"synced_at"}  # when each row was written


def mirror() -> dict[int, dict]:
    fields = [f.attname for f in Segment._meta.concrete_fields if f.attname not in IGNORED]
    return {row["segment_id"]: row for row in Segment.objects.values(*fields)}


def snapshot_counts() -> dict[int, int]:
    counts: dict[int, int] = {}
    for segment_id in SegmentCountSnapshot.objects.values_list("segment_id", flat=True):
        counts[segment_id] = counts.get(segment_id, 0) + 1
    return counts


def snapshots() -> dict[int, list[tuple]]:
    """Each segment's snapshots: the counts, and whether taken when its row was written."""
    written = dict(Segment.objects.values_list("segment_id", "synced_at"))
    found: dict[int, list[tuple]] = {}
    for segment_id, taken_at, *counts in SegmentCountSnapshot.objects.order_by("id").values_list(
        "segment_id", "taken_at", *COUNT_FIELDS
    ):
        found.setdefault(segment_id, []).append((*counts, taken_at == written.get(segment_id)))
    return found


@pytest.fixture
def loads(monkeypatch):
    """Count the batches that went the loading way (and were not set back)."""
    calls = {"new": 0, "fell back": 0}
    original = mirror_store._load_new_segments

    def counted(rows, now, names):
        result = original(rows, now, names)
        calls["new" if result is not None else "fell back"] += 1
        return result

    monkeypatch.setattr(mirror_store, "_load_new_segments", counted)
    return calls


def test_a_load_writes_what_the_comparing_upsert_writes(
    db, remote_settings, fresh_sandbox, monkeypatch, loads
):
    monkeypatch.setattr(mirror_indexes, "MIN_AUDIENCES", 1)  # 8 audiences count as a load
    monkeypatch.setattr(sync, "WRITE_BATCH", 60)  # several batches of a few audiences
    report = sync_run(full=True)
    assert report.ok
    loaded, loaded_snapshots = mirror(), snapshots()
    assert loads == {"new": loads["new"], "fell back": 0}
    assert loads["new"] > 2
    if connection.vendor == "postgresql":  # a load's batches plan by index, and only they
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            assert cursor.fetchone() == ("on",)
    Segment.objects.all().delete()
    SegmentCountSnapshot.objects.all().delete()
    Audience.objects.update(segments_dirty=True)

    monkeypatch.setattr(mirror_indexes, "MIN_AUDIENCES", 10**9)  # no load: compare, upsert
    compared = sync_run(full=True)
    assert compared.ok

    assert loaded
    assert mirror() == loaded
    assert snapshots() == loaded_snapshots
    assert {len(taken) for taken in loaded_snapshots.values()} == {1}
    assert set(loaded_snapshots) == set(loaded)
    assert report.snapshots == compared.snapshots == len(loaded)


def load_with_a_refresh_mid_way(sandbox, *, then_drop: bool) -> tuple[object, int]:
    """A loading full sync during which an operator's refresh stores a segment of
    the last audience before the sync writes it (and, with ``then_drop``, the
    platform then deletes that segment). Returns the report and the segment id.

    Each audience's segments take 150 ms to come: the sync's three fetching
    threads have asked for the first three when the first arrives, and ask for
    the last one 150 ms after the refresh (with none, they had fetched it
    already, and the platform's delete came too late for the sync to see)."""
    refreshed: list[int] = []
    sandbox.faults.set("segments_of_audience", latency_ms=150)

    def refresh(stage, done, total):
        if stage == "segments" and done == 1 and not refreshed:
            last = Audience.objects.order_by("-id").first().id
            segment_id = sandbox.store.segments_of_audience(last)[0]["segmentId"]
            assert segment_refresh(segment_id=segment_id) is not None
            if then_drop:
                sandbox.store.delete_segment(segment_id)
            refreshed.append(segment_id)

    report = sync_run(full=True, progress=refresh)
    assert report.ok, report.errors
    return report, refreshed[0]


def test_a_segment_refreshed_while_the_mirror_loads_is_kept_once_and_current(
    db, remote_settings, fresh_sandbox, monkeypatch, loads
):
    monkeypatch.setattr(mirror_indexes, "MIN_AUDIENCES", 1)

    _, refreshed = load_with_a_refresh_mid_way(fresh_sandbox, then_drop=False)

    stored = mirror()
    assert refreshed in stored
    remote_ids = {
        segment["segmentId"]
        for audience_id in Audience.objects.values_list("id", flat=True)
        for segment in fresh_sandbox.store.segments_of_audience(audience_id)
    }
    assert set(stored) == remote_ids
    assert Segment.objects.filter(is_deleted=False).count() == len(remote_ids)
    assert loads["fell back"] == 1  # that segment's batch compared and upserted


def test_a_segment_refreshed_while_loading_then_dropped_by_the_platform_is_retired(
    db, remote_settings, fresh_sandbox, monkeypatch, loads
):
    """The load's batch has nothing to conflict with: its count finds the extra one."""
    monkeypatch.setattr(mirror_indexes, "MIN_AUDIENCES", 1)

    report, dropped = load_with_a_refresh_mid_way(fresh_sandbox, then_drop=True)

    assert Segment.objects.get(segment_id=dropped).is_deleted
    assert report.segments_retired >= 1
    assert snapshot_counts()[dropped] == 1  # the refresh's: the load's are of its own rows


# Date-times a row keeps as the platform's text, where its cut to the microsecond
# matters: a whole second (SQLite writes no fraction), a seventh digit of 9 (the
# parser truncates, PostgreSQL would round), the first and the last day.
EDGE_INSTANTS = [
    "2026-06-24T12:59:42.0000000Z",
    "2026-06-24T12:59:42.0000009Z",
    "2026-06-24T12:59:42.9999999Z",
    "0001-01-01T00:00:00.0000001Z",
    "9999-12-31T23:59:59.9999999Z",
]


@pytest.mark.parametrize("new", [False, True], ids=["compared", "loaded"])
def test_a_row_from_the_wire_and_one_from_its_record_store_the_same(db, new):
    """What ``data_rows`` keeps as text is stored as the parsed record's datetime is,
    so a sync of either kind finds the other's row unchanged."""
    payloads = [
        segment_payload(
            segmentId=900 + i,
            id=900 + i,
            startDate=instant,
            endDate=instant,
            created=instant,
            updated=EDGE_INSTANTS[-1 - i],
        )
        for i, instant in enumerate(EDGE_INSTANTS)
    ]
    wire = data_rows(RemoteSegment, json.dumps({"data": payloads}).encode())
    records = [record_row(record) for record in RemoteSegment.parse_list(payloads)]
    assert wire is not None
    assert wire != records  # text against datetimes

    audiences_segments_replace(batch=[(1001, wire)], new=new)
    from_wire = mirror()
    Segment.objects.all().delete()
    audiences_segments_replace(batch=[(1001, records)], new=new)
    assert mirror() == from_wire

    written = dict(Segment.objects.values_list("segment_id", "synced_at"))
    audiences_segments_replace(batch=[(1001, wire)])
    assert dict(Segment.objects.values_list("segment_id", "synced_at")) == written
