"""A full sync into an empty mirror sets the segment indexes aside and makes them
again (``services.mirror_indexes``), also after a failure or a dead process."""

from __future__ import annotations

import pytest
from django.db import connection

from segments.models import DeferredIndex, Segment, SegmentCountSnapshot
from segments.selectors import segment_list
from segments.services import mirror_indexes
from segments.services.sync import sync_run

pytestmark = pytest.mark.django_db


TABLES = [Segment._meta.db_table, SegmentCountSnapshot._meta.db_table]


def catalogue() -> dict[str, tuple]:
    """The indexes of the segment and snapshot tables (name → columns, as Django's
    introspection reads them, a primary key's and a GIN's marked) and, on SQLite,
    their triggers."""
    found = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            found.update(
                {
                    name: ("primary key",) * info["primary_key"]
                    + ("gin",) * (info.get("type") == "gin")
                    + tuple(info["columns"] or ())
                    for name, info in connection.introspection.get_constraints(
                        cursor, table
                    ).items()
                    if info["index"] or info["primary_key"]
                }
            )
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                    [table],
                )
                found.update({name: ("trigger",) for (name,) in cursor.fetchall()})
    return found


@pytest.fixture
def bulk_threshold(monkeypatch):
    """The sandbox of the tests has 8 audiences: let so few count as a big load."""
    monkeypatch.setattr(mirror_indexes, "MIN_AUDIENCES", 1)


def name_fragment() -> str:
    name = Segment.objects.visible().order_by("segment_id")[3].name
    return max(name.split(), key=len)


def test_the_load_of_an_empty_mirror_goes_without_indexes_and_ends_with_all(
    db, remote_settings, fresh_sandbox, bulk_threshold
):
    before = catalogue()
    during: list[dict] = []

    def look(stage, done, total):
        if stage == "segments" and done == 2 and not during:
            during.append(catalogue())

    report = sync_run(full=True, progress=look)

    assert report.ok, report.errors
    # PostgreSQL's trigram GIN takes the load's names as it goes.
    kept = {
        name
        for name, columns in before.items()
        if columns[:1] in {("primary key",), ("audience_id",), ("gin",)}
    }
    assert set(during[0]) == kept, "only the keys, the audience index and a GIN stay"
    assert catalogue() == before
    assert not DeferredIndex.objects.exists()
    fragment = name_fragment()
    matches = {
        s.segment_id for s in Segment.objects.visible() if fragment.lower() in s.name.lower()
    }
    assert (
        set(segment_list(filters={"q": fragment}).values_list("segment_id", flat=True)) == matches
    )


def test_a_full_sync_of_a_mirror_with_segments_keeps_its_indexes(synced, bulk_threshold):
    before = catalogue()
    during: list[dict] = []

    def look(stage, done, total):
        if stage == "segments" and done == 2 and not during:
            during.append(catalogue())

    assert sync_run(full=True, progress=look).ok
    assert during == [before]


def test_a_load_that_fails_half_way_still_ends_with_every_index(
    db, remote_settings, fresh_sandbox, bulk_threshold
):
    before = catalogue()

    def fail_after_three(stage, done, total):
        if stage == "segments" and done == 3:
            fresh_sandbox.faults.set("segments_of_audience", status=503, kind="html")

    report = sync_run(full=True, progress=fail_after_three)

    assert not report.ok
    assert Segment.objects.exists()
    assert catalogue() == before
    assert not DeferredIndex.objects.exists()


def test_indexes_left_aside_by_a_dead_process_are_made_by_the_next_sync(
    db, remote_settings, fresh_sandbox, bulk_threshold
):
    before = catalogue()
    # What a process killed while loading leaves: the indexes dropped, their
    # definitions recorded (the context is entered and never left; kept
    # referenced, or its generator's clean-up would run).
    loading = mirror_indexes.deferred_indexes(audiences=8)
    loading.__enter__()
    assert len(catalogue()) < len(before)
    assert DeferredIndex.objects.count() == len(before) - len(catalogue())
    aside = DeferredIndex.objects.values_list("name", flat=True)
    aside_indexes = {name for name in aside if before[name] != ("trigger",)}

    assert sync_run(full=False).ok

    assert catalogue() == before
    assert not DeferredIndex.objects.exists()
    if connection.vendor == "sqlite":  # the rebuilt indexes have the planner's statistics
        with connection.cursor() as cursor:
            # (SQLite keeps none of an empty table's: here the snapshots')
            cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = %s", [TABLES[0]])
            analysed = {name for (name,) in cursor.fetchall()}
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = %s", [TABLES[0]])
            segment_indexes = {name for (name,) in cursor.fetchall()}
        assert aside_indexes & segment_indexes <= analysed
    fragment = name_fragment()
    assert segment_list(filters={"q": fragment}).exists()
    loading.__exit__(None, None, None)  # now, while the database is there: nothing left to make
    assert catalogue() == before


def test_a_rebuilt_index_has_the_planners_statistics(synced):
    with connection.cursor() as cursor:
        definitions = mirror_indexes.index_definitions(cursor)
        name, sql = next((n, d) for n, d in definitions.items() if "INDEX" in d.upper()[:20])
        # What a dead loader leaves, by hand: one index recorded and dropped.
        DeferredIndex.objects.create(name=name, definition=sql)
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

        assert mirror_indexes.deferred_indexes_restore() == [name]

        assert name in catalogue()
        if connection.vendor == "sqlite":  # statistics per index are SQLite's
            cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE idx = %s", [name])
            assert cursor.fetchone() is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_restore_that_failed_half_way_is_completed_by_the_next(
    remote_settings, fresh_sandbox, bulk_threshold
):
    """Outside a transaction PostgreSQL makes the indexes over connections of their
    own, each committed as it is made: a failure can leave some made, some not."""
    assert sync_run(full=True).ok
    before = catalogue()
    with connection.cursor() as cursor:
        definitions = mirror_indexes.index_definitions(cursor)
        DeferredIndex.objects.bulk_create(
            [DeferredIndex(name=name, definition=sql) for name, sql in definitions.items()]
        )
        for name in sorted(definitions)[::2]:
            cursor.execute(mirror_indexes._drop_statement(name, definitions[name]))

    assert mirror_indexes.deferred_indexes_restore() == sorted(definitions)

    assert catalogue() == before
    assert not DeferredIndex.objects.exists()
    assert segment_list(filters={"q": name_fragment()}).exists()
