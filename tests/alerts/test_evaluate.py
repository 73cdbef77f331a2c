"""Alert evaluation after real syncs from the sandbox: dedup, clearing, scopes, anomalies."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from segments.alerts.services import alert_acknowledge, alerts_evaluate
from segments.models import (
    Alert,
    AlertSubscription,
    Assignment,
    AuditEvent,
    Condition,
    Notification,
    Review,
    Segment,
    SyncState,
)
from segments.services.audit import Actor
from segments.services.sync import sync_run
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def sync_and_evaluate():
    report = sync_run()
    assert report.ok, report.errors
    return alerts_evaluate(sync_report=report)


def advance(sandbox, days=1) -> dict:
    answer = requests.post(f"{sandbox.control_url}/advance", json={"days": days}, timeout=10)
    assert answer.status_code == 200
    return answer.json()


def ending_soon(days=7) -> Segment:
    now = timezone.now()
    return (
        Segment.objects.visible()
        .exclude(status__in=("Expired", "Archived"))
        .filter(end_date__gt=now + timedelta(days=1), end_date__lt=now + timedelta(days=days))
        .order_by("segment_id")
        .first()
    )


def test_three_syncs_one_alert_then_cleared_and_back_is_a_new_one(synced, operator):
    AlertSubscription.objects.create(user=operator, condition=Condition.ENDS_SOON)
    segment = ending_soon()
    subject = Alert.segment_subject(segment.segment_id)
    reports = [sync_and_evaluate() for _ in range(3)]
    assert reports[0].raised > 0
    assert [r.raised for r in reports[1:]] == [0, 0]
    assert Alert.objects.filter(subject=subject, condition=Condition.ENDS_SOON).count() == 1
    assert Notification.objects.filter(user=operator, alert__subject=subject).count() == 1

    far = (timezone.now() + timedelta(days=90)).isoformat()
    synced.store.touch_segment(segment.segment_id, endDate=far)
    assert sync_and_evaluate().cleared == 1
    alert = Alert.objects.get(subject=subject)
    assert alert.cleared_at is not None

    near = (timezone.now() + timedelta(days=3)).isoformat()
    synced.store.touch_segment(segment.segment_id, endDate=near)
    assert sync_and_evaluate().raised == 1
    alerts = Alert.objects.filter(subject=subject).order_by("raised_at")
    assert [a.cleared_at is None for a in alerts] == [False, True]
    assert Notification.objects.filter(user=operator, alert__subject=subject).count() == 2


def test_an_acknowledged_alert_stays_quiet_sets_the_review_and_is_audited(synced, operator):
    AlertSubscription.objects.create(user=operator, condition=Condition.ENDS_SOON)
    sync_and_evaluate()
    note = Notification.objects.filter(user=operator).select_related("alert").first()
    _, outcome = alert_acknowledge(actor=Actor(operator, "127.0.0.1"), alert_id=note.alert_id)
    assert outcome == "now"
    review = Review.objects.get(segment_id=note.alert.segment_id)
    assert review.state == Review.State.ACKNOWLEDGED
    event = AuditEvent.objects.get(segment_id=note.alert.segment_id)
    assert (event.action, event.username) == (AuditEvent.Action.REVIEW, operator.username)
    note.refresh_from_db()
    assert note.read_at is not None
    assert sync_and_evaluate().raised == 0
    assert Alert.objects.filter(subject=note.alert.subject).count() == 1


def test_scope_and_days_choose_who_hears(synced, operator, viewer):
    segment = ending_soon(days=7)
    AlertSubscription.objects.create(
        user=operator,
        condition=Condition.ENDS_SOON,
        scope=AlertSubscription.Scope.ACCOUNTS,
        account_ids=[segment.account_id],
    )
    AlertSubscription.objects.create(user=viewer, condition=Condition.ENDS_SOON, days=2)
    sync_and_evaluate()
    heard = Notification.objects.filter(user=operator).select_related("alert__segment")
    assert heard.exists()
    assert {n.alert.segment.account_id for n in heard} == {segment.account_id}
    short = Notification.objects.filter(user=viewer).select_related("alert")
    assert all(n.alert.values["days_left"] <= 2 for n in short)
    assert short.count() < Alert.objects.filter(condition=Condition.ENDS_SOON).count()


def test_the_assigned_scope_hears_of_the_users_assigned_segments_only(
    synced, operator, django_assert_max_num_queries
):
    soon = Segment.objects.visible().exclude(status__in=("Expired", "Archived"))
    now = timezone.now()
    soon = soon.filter(end_date__gt=now + timedelta(days=1), end_date__lt=now + timedelta(days=7))
    mine, theirs = soon.order_by("segment_id")[:2]
    colleague = make_user("olga", "Operator")
    Assignment.objects.create(segment=mine, assignee=operator)
    Assignment.objects.create(segment=theirs, assignee=colleague)
    for user in (operator, colleague):
        AlertSubscription.objects.create(
            user=user, condition=Condition.ENDS_SOON, scope=AlertSubscription.Scope.ASSIGNED
        )
    report = sync_run()
    assert report.ok, report.errors
    # One batched read of the assignees, however many alerts: no query per alert.
    with django_assert_max_num_queries(40):
        evaluation = alerts_evaluate(sync_report=report)
    assert evaluation.raised > 2  # more segments end soon than the two assigned
    heard = Notification.objects.filter(alert__condition=Condition.ENDS_SOON)
    assert set(heard.filter(user=operator).values_list("alert__segment_id", flat=True)) == {
        mine.segment_id
    }
    assert set(heard.filter(user=colleague).values_list("alert__segment_id", flat=True)) == {
        theirs.segment_id
    }


def test_a_day_on_the_platform_raises_anomalies_and_rises_with_the_values_compared(
    synced, operator
):
    AlertSubscription.objects.create(user=operator, condition=Condition.ANOMALY)
    AlertSubscription.objects.create(user=operator, condition=Condition.PROBLEMS_ROSE)
    sync_and_evaluate()
    assert not Alert.objects.filter(condition=Condition.ANOMALY).exists()  # one snapshot each
    day = advance(synced)
    report = sync_and_evaluate()
    anomalies = {a.segment_id: a for a in Alert.objects.filter(condition=Condition.ANOMALY)}
    live_drops = set(day["dropped"]) & set(Segment.objects.values_list("segment_id", flat=True))
    assert live_drops
    assert live_drops <= set(anomalies)
    some = anomalies[min(live_drops)]
    assert "total_log_count" in some.values or "total_ready_count" in some.values
    assert "median" in some.detail or "fell to 0" in some.detail
    rose = set(
        Alert.objects.filter(condition=Condition.PROBLEMS_ROSE).values_list("segment_id", flat=True)
    )
    assert set(day["failed_rose"]) | set(day["no_data_rose"]) <= rose
    assert report.notifications == Notification.objects.filter(user=operator).count()


def test_a_sync_failing_for_half_an_hour_tells_the_admins_by_default(db, operator):
    admin = make_user("ada", "Admin")
    now = timezone.now()
    state = SyncState.objects.create(
        source=SyncState.Source.SEGMENTS,
        last_success_at=now - timedelta(minutes=20),
        last_error_at=now - timedelta(minutes=1),
        last_error="Segment API: HTTP 503",
    )
    assert alerts_evaluate().raised == 0
    state.last_success_at = now - timedelta(minutes=31)
    state.save()
    assert alerts_evaluate().raised == 1
    [note] = Notification.objects.all()
    assert (note.user, note.urgent, note.alert.segment_id) == (admin, True, None)
    assert "Platform segments" in note.alert.detail
    state.last_success_at = now
    state.save()
    assert alerts_evaluate().cleared == 1


def test_the_sync_task_evaluates_alerts_when_it_ends(synced, operator):
    from django.tasks import TaskResultStatus

    from segments import tasks

    AlertSubscription.objects.create(user=operator, condition=Condition.ENDS_SOON)
    result = tasks.sync_platform.enqueue(full=False)
    assert result.status == TaskResultStatus.SUCCESSFUL
    raised = result.return_value["alerts"]["raised"]
    assert raised == Alert.objects.filter(condition=Condition.ENDS_SOON).count() > 0
    assert Notification.objects.filter(user=operator).exists()
