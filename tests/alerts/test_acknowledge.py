"""Acknowledging an alert from the inbox: who may, and what a stale inbox must not do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from segments.models import Alert, AuditEvent, Review, Segment
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_an_operator_acknowledges_and_a_viewer_may_not(client, operator, viewer, alerted):
    alert = alerted.first().alert
    client.force_login(viewer)
    assert client.post(reverse("alert-acknowledge", args=[alert.pk])).status_code == 403
    client.force_login(operator)
    assert client.post(reverse("alert-acknowledge", args=[alert.pk])).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == operator
    assert Review.objects.get(segment_id=alert.segment_id).state == "acknowledged"
    assert AuditEvent.objects.filter(segment_id=alert.segment_id, action="review").exists()
    assert client.post(reverse("alert-acknowledge", args=[999_999])).status_code == 302
    # A deleted segment's alert is acknowledged without a review state: nobody works on it.
    other = alerted.exclude(alert=alert).first().alert
    Segment.objects.filter(segment_id=other.segment_id).update(is_deleted=True)
    client.post(reverse("alert-acknowledge", args=[other.pk]))
    other.refresh_from_db()
    assert other.acknowledged_by == operator
    assert not Review.objects.filter(segment_id=other.segment_id).exists()


def test_a_stale_acknowledge_changes_nothing_and_says_what_is_true(client, operator, alerted):
    """Two tabs of the inbox: the second Acknowledge must not set the review state back
    over what someone chose since; an alert that cleared is not acknowledged."""
    alert = alerted.first().alert
    client.force_login(operator)
    client.post(reverse("alert-acknowledge", args=[alert.pk]))
    admin = make_user("ada", "Admin")
    Review.objects.filter(segment_id=alert.segment_id).update(state=Review.State.RESOLVED)
    events = AuditEvent.objects.filter(segment_id=alert.segment_id).count()
    client.force_login(admin)
    stale = client.post(reverse("alert-acknowledge", args=[alert.pk]), follow=True).text
    assert f"Acknowledged already, by {operator.username}: nothing changed" in stale
    assert Review.objects.get(segment_id=alert.segment_id).state == Review.State.RESOLVED
    assert AuditEvent.objects.filter(segment_id=alert.segment_id).count() == events
    alert.refresh_from_db()
    assert alert.acknowledged_by == operator
    # Cleared before anyone acknowledged it.
    cleared = alerted.exclude(alert=alert).first()
    Alert.objects.filter(pk=cleared.alert_id).update(cleared_at=timezone.now())
    client.force_login(operator)
    page = client.post(reverse("alert-acknowledge", args=[cleared.alert_id]), follow=True).text
    assert "This alert has cleared" in page
    assert "the segment&#x27;s review state is Acknowledged" not in page
    assert not Review.objects.filter(segment_id=cleared.alert.segment_id).exists()
    assert Alert.objects.get(pk=cleared.alert_id).acknowledged_at is None
    cleared.refresh_from_db()
    assert cleared.read_at is not None  # out of the inbox's unread all the same


def test_acknowledge_keeps_a_review_state_set_after_the_alert_was_raised(client, operator, alerted):
    """An inbox opened before someone reviewed the segment: Acknowledge acknowledges the
    alert but does not set their review state back."""
    from segments.services.audit import Actor
    from segments.services.review import review_set

    alert = alerted.first().alert
    ada = make_user("ada", "Admin")
    review_set(actor=Actor(user=ada), segment_id=alert.segment_id, state=Review.State.RESOLVED)
    client.force_login(operator)
    page = client.post(reverse("alert-acknowledge", args=[alert.pk]), follow=True).text
    assert "The segment&#x27;s review state stays Resolved: ada set it after this alert" in page
    assert Review.objects.get(segment_id=alert.segment_id).state == Review.State.RESOLVED
    alert.refresh_from_db()
    assert alert.acknowledged_by == operator
    # One set before the alert was raised is what the alert is news to: it is set.
    other = alerted.exclude(alert=alert).first().alert
    review_set(actor=Actor(user=ada), segment_id=other.segment_id, state=Review.State.RESOLVED)
    Review.objects.filter(segment_id=other.segment_id).update(
        set_at=other.raised_at - timedelta(minutes=1)
    )
    client.post(reverse("alert-acknowledge", args=[other.pk]))
    assert Review.objects.get(segment_id=other.segment_id).state == Review.State.ACKNOWLEDGED
