"""The sync service against the sandbox: full, incremental, resumable."""

from __future__ import annotations

import re

import pytest
import requests
from django.core.management import call_command

from segments.models import Account, Audience, Segment, SegmentCountSnapshot, SyncState
from segments.services.sync import sync_run

pytestmark = pytest.mark.django_db


def health(sandbox):
    return requests.get(sandbox.control_url + "/health", timeout=5).json()


def test_full_sync_mirrors_everything(synced):
    expected = health(synced)
    assert Segment.objects.visible().count() == expected["segments"]
    assert Audience.objects.filter(is_deleted=False).count() == expected["audiences"]
    assert Account.objects.count() == 6
    assert SegmentCountSnapshot.objects.count() == expected["segments"]
    assert all(state.healthy for state in SyncState.objects.all())


def test_no_access_token_is_stored(synced):
    dumped = repr(list(Account.objects.values()))
    assert "sbx-secret" not in dumped
    fields = [f.name for f in Account._meta.get_fields()]
    assert "platform_display_name" in fields
    assert [f for f in fields if "access" in f or "token" in f] == []


def test_incremental_sync_fetches_only_what_changed(synced):
    segment = Segment.objects.visible().order_by("segment_id").first()
    synced.store.touch_segment(segment.segment_id, totalFailedCount=4242, status="Failed")
    synced.requests.clear()
    report = sync_run()
    assert report.ok
    assert synced.requests.count("segments_of_audience") == 1
    segment.refresh_from_db()
    assert segment.total_failed_count == 4242
    assert segment.status == "Failed"
    assert SegmentCountSnapshot.objects.filter(segment=segment).count() == 2


def test_full_sync_retires_what_the_remote_no_longer_has(synced, remote_settings):
    from segments import remote

    victim = Segment.objects.visible().order_by("segment_id").first()
    with remote.segment_api() as client:
        client.delete_segment(segment_id=victim.segment_id)
    report = sync_run(full=True)
    assert report.segments_retired == 1
    victim.refresh_from_db()
    assert victim.is_deleted
    assert victim.deleted_at is not None


def test_a_failure_half_way_leaves_whole_audiences_and_the_next_run_resumes(
    db, remote_settings, fresh_sandbox
):
    # The platform fails from the 21st audience's segments on. (Set from the sync's
    # progress once 10 were written, the fault came too late on a fast fetch: every
    # audience was fetched ahead by then.)
    fresh_sandbox.faults.set("segments_of_audience", status=503, kind="html", after=20)

    report = sync_run(full=True)
    assert not report.ok
    state = SyncState.objects.get(source=SyncState.Source.SEGMENTS)
    assert "unavailable" in state.last_error.lower()
    assert not state.healthy
    synced_ids = set(
        Audience.objects.filter(segments_synced_at__isnull=False).values_list("id", flat=True)
    )
    # Audiences already fetched ahead when the fault began are kept too.
    assert 10 <= len(synced_ids) < Audience.objects.count()
    for audience_id in synced_ids:
        remote_count = len(fresh_sandbox.store.segments_of_audience(audience_id))
        assert Segment.objects.visible().filter(audience_id=audience_id).count() == remote_count
    assert not Segment.objects.exclude(audience_id__in=synced_ids).exists()

    fresh_sandbox.faults.clear()
    fresh_sandbox.requests.clear()
    assert sync_run().ok
    assert Segment.objects.visible().count() == health(fresh_sandbox)["segments"]
    total_audiences = Audience.objects.count()
    assert fresh_sandbox.requests.count("segments_of_audience") == total_audiences - len(synced_ids)
    assert SyncState.objects.get(source=SyncState.Source.SEGMENTS).healthy


def test_sync_command_reports_and_fails_loudly(db, remote_settings, fresh_sandbox, capsys):
    from segments.models import AlertSubscription, Notification
    from tests.conftest import make_user

    reader = make_user("vera", "Viewer")
    AlertSubscription.objects.create(user=reader, condition="ends_soon")
    call_command("sync", full=True)
    out = capsys.readouterr().out
    assert "Full sync in" in out
    # The alerts follow, as after a scheduled sync: the inbox is not empty until then.
    raised = int(re.search(r"Alerts: (\d+) raised", out).group(1))
    assert raised > 0
    assert Notification.objects.filter(user=reader).exists()
    fresh_sandbox.faults.set("platform_accounts", status=500, kind="html")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Sync failed"):
        call_command("sync")


@pytest.mark.parametrize("trial", range(3))
def test_a_full_sync_completes_when_every_third_call_fails(
    db, remote_settings, fresh_sandbox, trial
):
    """Logging in is retried like a read, and parallel fetches each get their retries."""
    fresh_sandbox.faults.set("*", status=500, every=3)
    report = sync_run(full=True)
    assert report.ok, report.errors
    expected = health(fresh_sandbox)
    assert Segment.objects.visible().count() == expected["segments"]
    assert report.segments_written == expected["segments"]


def test_a_failed_sync_reports_what_it_wrote(db, remote_settings, fresh_sandbox):
    # The platform fails from the 21st audience's segments on. (Set from the sync's
    # progress once 10 were written, the fault came too late on a fast fetch: every
    # audience was fetched ahead by then.)
    fresh_sandbox.faults.set("segments_of_audience", status=503, kind="html", after=20)

    report = sync_run(full=True)
    assert not report.ok
    written = Segment.objects.filter(is_deleted=False).count()
    assert written > 0
    assert report.segments_written == written
    assert report.audiences_seen == Audience.objects.count()


def test_a_full_sync_of_an_unchanged_platform_rewrites_no_segment(synced):
    written_before = dict(Segment.objects.values_list("segment_id", "synced_at"))
    changed = Segment.objects.visible().order_by("segment_id").first()
    synced.store.touch_segment(changed.segment_id, totalLogCount=changed.total_log_count + 7)

    report = sync_run(full=True)

    assert report.ok
    written_after = dict(Segment.objects.values_list("segment_id", "synced_at"))
    rewritten = {sid for sid, at in written_after.items() if at != written_before[sid]}
    assert rewritten == {changed.segment_id}
    # Each segment still reads as confirmed by this sync, through its audience's fetch.
    state = SyncState.objects.get(source=SyncState.Source.SEGMENTS)
    unchanged = Segment.objects.select_related("audience").exclude(segment_id=changed.segment_id)
    assert all(s.confirmed_at >= state.last_attempt_at for s in unchanged[:50])
    assert SegmentCountSnapshot.objects.filter(segment_id=changed.segment_id).count() == 2
