"""The alert pages: inbox with the header's unread count, subscriptions, team webhooks."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from segments.models import (
    Alert,
    AlertSubscription,
    AuditEvent,
    Condition,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from segments.services.sync import sync_run
from tests.conftest import make_policy, make_user

pytestmark = pytest.mark.django_db


def test_the_header_counts_unread_and_the_inbox_links_to_segments(client, operator, alerted):
    client.force_login(operator)
    unread = alerted.count()
    page = client.get(reverse("overview")).content.decode()
    assert f'id="alerts-unread">{unread}<' in page
    inbox = client.get(reverse("alert-inbox")).content.decode()
    first = alerted.first().alert
    assert reverse("segment-detail", args=[first.segment_id]) in inbox
    assert f'<time datetime="{first.values["end_date"]}' in inbox


def test_an_ends_soon_alert_says_its_end_in_the_operator_s_zone_and_the_days_left_now(
    client, operator, alerted
):
    """Stored, an alert's detail is UTC text and as old as the alert: a page words it
    when shown, from the end date the alert holds."""
    alert = alerted.first().alert
    end = timezone.now().replace(microsecond=0) + timedelta(days=3, hours=2)
    alert.values = {**alert.values, "end_date": end.isoformat()}
    alert.detail = "ends 2000-01-01 00:00 UTC (9 days left)"
    alert.save()
    client.force_login(operator)
    client.cookies["tz"] = "America%2FNew_York"
    inbox = client.get(reverse("alert-inbox")).content.decode()
    local = end.astimezone(ZoneInfo("America/New_York")).strftime("%d %b %Y %H:%M")
    assert f'title="{end.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC">{local}</time> (3 days left)' in (
        inbox
    )
    assert "9 days left" not in inbox
    assert "2000-01-01" not in inbox


def test_mark_read_and_all_read(client, operator, alerted):
    client.force_login(operator)
    one = alerted.first()
    # Back on the page it was marked from, saying so (where focus starts).
    unread = f"{reverse('alert-inbox')}?show=unread"
    marked = client.post(reverse("alert-read", args=[one.pk]), {"next": unread})
    assert marked["Location"] == unread
    assert "Marked read." in client.get(unread).content.decode()
    one.refresh_from_db()
    assert one.read_at is not None
    again = client.post(reverse("alert-read", args=[one.pk]), follow=True).content.decode()
    assert "It was read already: nothing changed." in again
    assert Notification.objects.filter(user=operator, read_at__isnull=True).exists()
    client.post(reverse("alert-read-all"))
    assert not Notification.objects.filter(user=operator, read_at__isnull=True).exists()
    page = client.get(reverse("overview")).content.decode()
    assert 'id="alerts-unread"' not in page


def test_someone_elses_notification_is_not_touched(client, viewer, alerted):
    client.force_login(viewer)
    client.post(reverse("alert-read", args=[alerted.first().pk]))
    assert alerted.first().read_at is None


def test_a_new_subscription_finds_the_alerts_already_open_in_its_scope(
    client, operator, viewer, alerted, evaluate
):
    """Raised before it, they had reached nobody new: the inbox showed 4 of 26."""
    open_alerts = Alert.objects.filter(condition=Condition.ENDS_SOON, cleared_at=None)
    assert open_alerts.count() >= 2
    client.force_login(viewer)
    client.post(
        reverse("alert-subscriptions"),
        {"condition": "ends_soon", "scope": "all", "days": 7, "email": "on"},
    )
    mine = Notification.objects.filter(user=viewer)
    within = [a.pk for a in open_alerts if a.values["days_left"] <= 7]
    assert sorted(mine.values_list("alert_id", flat=True)) == sorted(within)
    assert not mine.filter(email=True).exists()  # the state found, in the inbox, not mailed
    inbox = client.get(reverse("alert-inbox")).content.decode()
    assert inbox.count('<span class="badge tone-info">new</span>') == len(within)
    # The next evaluation adds none twice.
    evaluate()
    assert Notification.objects.filter(user=viewer).count() == len(within)


def test_subscribe_with_a_scope_and_unsubscribe(client, viewer, synced):
    client.force_login(viewer)
    refused = client.post(
        reverse("alert-subscriptions"), {"condition": "anomaly", "scope": "accounts", "days": 7}
    )
    assert refused.status_code == 400
    assert "Choose at least one account." in refused.content.decode()
    bad = client.post(
        reverse("alert-subscriptions"),
        {"condition": "anomaly", "scope": "audiences", "audiences": "10x1", "days": 7},
    )
    assert bad.status_code == 400
    client.cookies["tz"] = "America%2FNew_York"
    answer = client.post(
        reverse("alert-subscriptions"),
        {"condition": "ends_soon", "scope": "accounts", "accounts": ["201"], "days": 3},
    )
    assert answer.url == reverse("alert-subscriptions")
    subscription = AlertSubscription.objects.get(user=viewer)
    assert (subscription.account_ids, subscription.days) == ([201], 3)
    assert viewer.alert_profile.time_zone == "America/New_York"
    page = client.get(reverse("alert-subscriptions")).content.decode()
    assert "within 3 days" in page
    assert "Northwind DE Performance" in page
    client.post(reverse("alert-subscription-delete", args=[subscription.pk]))
    assert not AlertSubscription.objects.filter(user=viewer).exists()


def test_a_subscription_that_could_not_work_is_refused_with_one_reason(client, viewer, synced):
    from segments.models import Audience

    client.force_login(viewer)
    url = reverse("alert-subscriptions")
    known = Audience.objects.filter(is_deleted=False).values_list("id", flat=True).first()
    for bad, error in (
        ({"scope": "audiences", "audiences": "99999999"}, "No audience in the catalogue has"),
        ({"scope": "audiences", "audiences": "99999999999999999999999"}, "as numbers"),
        (
            {"condition": "sync_failing", "scope": "accounts", "accounts": ["201"]},
            "concerns the whole platform",
        ),
        ({"scope": "assigned"}, "a viewer is assigned none"),
        ({"days": ""}, "Enter within how many days"),
        ({"email": "", "urgent": "on"}, "Mail at once needs"),
    ):
        sent = {"condition": "ends_soon", "scope": "all", "days": 7, "email": "on", **bad}
        answer = client.post(url, sent)
        assert answer.status_code == 400, bad
        assert error in answer.content.decode(), bad
    # A wrong id is said once: not also "Enter at least one audience id".
    both = client.post(
        url, {"condition": "anomaly", "scope": "audiences", "audiences": f"abc, {known}"}
    ).content.decode()
    assert "as numbers" in both
    assert "Enter at least one audience id." not in both
    assert not AlertSubscription.objects.filter(user=viewer).exists()
    # "Ends within" is for "ends soon" alone: left blank for another condition, it is fine.
    client.post(url, {"condition": "anomaly", "scope": "audiences", "audiences": str(known)})
    assert AlertSubscription.objects.get(user=viewer).audience_ids == [known]


def test_the_same_subscription_twice_is_one_whose_delivery_is_updated(client, viewer, synced):
    client.force_login(viewer)
    url = reverse("alert-subscriptions")
    ends_soon = {"condition": "ends_soon", "scope": "all", "days": 10, "email": "on"}
    assert "Subscribed." in client.post(url, ends_soon, follow=True).content.decode()
    again = client.post(url, {**ends_soon, "urgent": "on"}, follow=True).content.decode()
    assert "You had this subscription already: its delivery is updated." in again
    subscription = AlertSubscription.objects.get(user=viewer)
    assert (subscription.email, subscription.urgent) == (True, True)
    same = client.post(url, {**ends_soon, "urgent": "on"}, follow=True).content.decode()
    assert "You have this subscription already: nothing changed." in same
    # Another number of days is another subscription; so is another condition.
    client.post(url, {**ends_soon, "days": 30})
    client.post(url, {**ends_soon, "condition": "anomaly"})
    client.post(url, {**ends_soon, "condition": "anomaly", "days": 30})  # days: only ends soon
    assert AlertSubscription.objects.filter(user=viewer).count() == 3


URL_ELSE = "http://127.0.0.1:9/another-hook"


def test_webhooks_are_for_admins_and_refuse_the_dashboard_itself(client, operator, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    client.force_login(operator)
    assert client.get(reverse("alert-webhooks")).status_code == 403
    admin = make_user("ada", "Admin")
    client.force_login(admin)
    form = {
        "name": "ops",
        "url": "http://localhost:8000/hook",
        "secret": "a-long-enough-test-secret",
        "conditions": ["ends_soon", "anomaly"],
    }
    refused = client.post(reverse("alert-webhooks"), form)
    assert refused.status_code == 400
    assert "must not point at Segment Desk itself" in refused.content.decode()
    form["url"] = "http://127.0.0.1:9/hook"
    assert client.post(reverse("alert-webhooks"), form).status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        payload={},
        alert_count=2,
        status="failed",
        attempts=5,
        last_error="No answer within 5 s",
    )
    page = client.get(reverse("alert-webhooks")).content.decode()
    assert "Ends soon, Count anomaly" in page
    assert "No answer within 5 s" in page
    assert "a-long-enough-test-secret" not in page
    paused = client.post(reverse("alert-webhook-toggle", args=[endpoint.pk]), {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.active
    follow = client.get(paused.url).text
    assert "Webhook “ops” paused: nothing is posted to it until resumed." in follow
    stale = client.post(
        reverse("alert-webhook-toggle", args=[endpoint.pk]), {"active": "0"}, follow=True
    )
    assert "Webhook “ops” was paused already: nothing changed." in stale.text
    # The same URL twice would post every alert twice; a webhook can be deleted.
    twice = client.post(reverse("alert-webhooks"), {**form, "name": "ops again"})
    assert twice.status_code == 400
    assert "The webhook “ops” (paused) posts to this URL already" in twice.content.decode()
    # Two of one name could not be told apart in the list or the delivery log.
    named = client.post(reverse("alert-webhooks"), {**form, "name": " OPS", "url": URL_ELSE})
    assert named.status_code == 400
    assert re.search(
        r'id="id_name_error"[^>]*>A webhook is named “ops” already', named.content.decode()
    )
    assert WebhookEndpoint.objects.count() == 1
    assert 'data-confirm="Delete the webhook “ops” and its delivery log?' in page
    client.force_login(operator)
    assert client.post(reverse("alert-webhook-delete", args=[endpoint.pk])).status_code == 403
    client.force_login(admin)
    gone = client.post(reverse("alert-webhook-delete", args=[endpoint.pk]), follow=True)
    assert "Webhook deleted." in gone.content.decode()
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    again = client.post(reverse("alert-webhook-delete", args=[endpoint.pk]), follow=True)
    assert "That webhook was deleted already." in again.content.decode()
    # Each change is in the activity: who, which webhook, its host; never its secret.
    events = list(AuditEvent.objects.filter(username="ada").order_by("id"))
    assert [e.action for e in events] == ["add_webhook", "webhook_active", "delete_webhook"]
    assert events[0].message == (
        "Team webhook “ops” (to 127.0.0.1) added: it posts Ends soon, Count anomaly."
    )
    assert events[1].message == "Team webhook “ops” (to 127.0.0.1) paused."
    assert events[2].message == (
        "Team webhook “ops” (to 127.0.0.1) deleted, with its log of 1 delivery."
    )
    activity = client.get("/activity/?action=add_webhook").text
    assert "Team webhook “ops” (to 127.0.0.1) added" in activity
    assert "a-long-enough-test-secret" not in "".join(
        f"{e.message}{e.before}{e.after}" for e in events
    )


def test_a_sync_alert_links_to_the_overview(client, db):
    admin = make_user("ada", "Admin")
    alert = Alert.objects.create(
        subject=Alert.SYNC_SUBJECT, condition=Condition.SYNC_FAILING, detail="failing"
    )
    Notification.objects.create(user=admin, alert=alert)
    client.force_login(admin)
    page = client.get(reverse("alert-inbox")).content.decode()
    assert "Platform sync" in page


def test_anomalies_are_marked_filterable_and_explained_on_the_detail(
    client, viewer, synced, evaluate
):
    evaluate()
    requests.post(f"{synced.control_url}/advance", json={"days": 1}, timeout=10)
    assert sync_run().ok
    evaluate()
    flagged = set(
        Alert.objects.filter(condition=Condition.ANOMALY, cleared_at__isnull=True).values_list(
            "segment_id", flat=True
        )
    )
    assert flagged
    client.force_login(viewer)
    page = client.get(reverse("segment-list"), {"anomalies": "on", "per_page": 100})
    html = page.content.decode()
    shown = {int(i) for i in re.findall(r'id="segment-(\d+)"', html)}
    assert shown == flagged
    assert html.count(">anomaly</span>") == len(flagged)
    one = min(flagged)
    detail = client.get(reverse("segment-detail", args=[one])).content.decode()
    assert 'id="anomaly"' in detail
    assert "Median of recent syncs" in detail
    alert = Alert.objects.get(segment_id=one, condition=Condition.ANOMALY)
    some = next(iter(alert.values.values()))
    assert f"{some['current']:,}" in detail
    # The chart marks the snapshot the rule flagged, in shape and words.
    assert detail.count('class="anomaly-mark"') == 1
    assert "Count anomaly flagged on this sync" in detail


def test_the_page_says_what_a_user_hears_of_by_default(client, viewer, synced):

    admin = make_user("ada", "Admin")
    client.force_login(admin)
    page = client.get(reverse("alert-subscriptions")).text
    assert "No subscriptions yet: you hear only of what follows, by default." in page
    assert "<strong>Scheduled sync failing</strong>, as an admin: by mail at once." in page
    assert "<strong>Policy keeps failing</strong>" not in page
    # Subscribed to it in their own way, the admin's default is theirs, not the default.
    client.post(
        reverse("alert-subscriptions"), {"condition": "sync_failing", "scope": "all", "days": 7}
    )
    assert "as an admin" not in client.get(reverse("alert-subscriptions")).text
    # An operator who owns a policy hears of it failing; a viewer of nothing.
    otto = make_user("olga", "Operator")
    make_policy(owner=otto)
    client.force_login(otto)
    owner_page = client.get(reverse("alert-subscriptions")).text
    assert "for the expiry policies you own: by mail at once; subscribe to it to choose" in (
        owner_page
    )
    client.post(
        reverse("alert-subscriptions"),
        {"condition": "policy_failing", "scope": "all", "days": 7},  # inbox, no mail
    )
    chosen = client.get(reverse("alert-subscriptions")).text
    assert "you own: in the inbox, not mailed, as your own subscriptions to it choose." in chosen
    client.force_login(viewer)
    assert 'id="default-subscriptions"' not in client.get(reverse("alert-subscriptions")).text
