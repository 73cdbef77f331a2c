"""The tasks of segments.tasks, run inline by Django's ImmediateBackend, and the schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session
from django.tasks import TaskResultStatus
from django.utils import timezone

from segments import schedule, tasks
from segments.models import Segment, SegmentCountSnapshot, SubmissionToken
from tests.conftest import make_user


@pytest.mark.django_db
def test_sync_task_fills_the_mirror(remote_settings, fresh_sandbox):
    result = tasks.sync_platform.enqueue(full=True)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["errors"] == []
    assert result.return_value["segments_written"] == Segment.objects.count() > 0


@pytest.mark.django_db
def test_housekeeping_deletes_only_what_is_past_retention(settings):
    settings.RETENTION_DAYS = 30
    now = timezone.now()
    user = make_user("keeper", None)
    SubmissionToken.objects.create(token="old", user=user, used_at=now - timedelta(days=31))
    SubmissionToken.objects.create(token="new", user=user, used_at=now - timedelta(days=29))
    for days in (31, 29):
        SegmentCountSnapshot.objects.create(
            segment_id=1,
            taken_at=now - timedelta(days=days),
            total_log_count=days,
            total_pending_count=0,
            total_upload_count=0,
            total_segment_upload_count=0,
        )
    Session.objects.create(session_key="gone", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(1))

    result = tasks.housekeeping.enqueue()

    assert result.return_value == {
        "sessions": 1,
        "form_tokens": 1,
        "task_results": 0,
        "count_snapshots": 1,
    }
    assert list(SubmissionToken.objects.values_list("token", flat=True)) == ["new"]
    kept = SegmentCountSnapshot.objects.order_by().values_list("total_log_count", flat=True)
    assert list(kept) == [29]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


def test_full_sync_runs_daily_at_the_configured_time_in_the_dashboards_zone(settings):
    settings.SYNC_FULL_AT = "03:00"
    settings.TIME_ZONE = "Europe/Amsterdam"
    zone = ZoneInfo("Europe/Amsterdam")
    trigger = schedule.full_sync_trigger()
    after = datetime(2026, 7, 1, 12, 0, tzinfo=zone)
    fire = trigger.get_next_fire_time(None, after)
    assert fire == datetime(2026, 7, 2, 3, 0, tzinfo=zone)


def test_schedule_can_be_turned_off(settings):
    settings.SYNC_FULL_AT = ""
    settings.SYNC_INTERVAL_MINUTES = 0
    settings.SYNC_INTERVAL_TEST_SECONDS = 0
    assert schedule.full_sync_trigger() is None
    assert schedule.incremental_sync_trigger() is None


def test_incremental_interval_in_minutes_or_test_seconds(settings):
    settings.SYNC_INTERVAL_TEST_SECONDS = 0
    settings.SYNC_INTERVAL_MINUTES = 10
    assert schedule.incremental_sync_trigger().interval == timedelta(minutes=10)
    settings.SYNC_INTERVAL_TEST_SECONDS = 3
    assert schedule.incremental_sync_trigger().interval == timedelta(seconds=3)


@pytest.mark.django_db
def test_healthz_needs_no_login_and_tells_no_secrets(client, remote_settings):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"reachable": True}
    assert body["queue"]["reachable"] is True
    assert body["sync"] == {"last_success_age_seconds": None}
    text = response.content.decode()
    for secret in ("sandbox-password", "sandbox-api-key", "SECRET", "password"):
        assert secret not in text


def test_a_schedule_that_stopped_running_is_reported(settings):
    settings.SYNC_INTERVAL_TEST_SECONDS = 0
    settings.SYNC_INTERVAL_MINUTES = 10
    now = timezone.now()
    fresh = schedule.next_syncs(last_attempt=now - timedelta(minutes=5), now=now)
    assert fresh["next_incremental"] == now + timedelta(minutes=5)
    assert fresh["overdue"] is False
    assert fresh["interval_text"] == "10 minutes"
    stale = schedule.next_syncs(last_attempt=now - timedelta(minutes=22), now=now)
    assert stale["overdue"] is True


@pytest.mark.django_db
def test_the_banner_says_when_the_scheduled_sync_stopped(client, settings, viewer):
    from segments.models import SyncState

    settings.SYNC_INTERVAL_MINUTES = 10
    settings.SYNC_INTERVAL_TEST_SECONDS = 0
    long_ago = timezone.now() - timedelta(hours=2)
    SyncState.objects.create(
        source=SyncState.Source.SEGMENTS, last_attempt_at=long_ago, last_success_at=long_ago
    )
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert "The scheduled refresh from the platform has not run since" in page
    assert "schedule failing" in page
