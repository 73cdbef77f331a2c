"""Delivery through real receivers: webhooks to a local HTTP server, mail to aiosmtpd."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.tasks import default_task_backend
from django.utils import timezone

from segments.alerts.delivery import alert_digests_send, digest_due, webhook_deliver
from segments.alerts.webhook_endpoints import webhook_endpoint_create
from segments.alerts.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_url_validate
from segments.models import (
    Alert,
    AlertProfile,
    AlertSubscription,
    Condition,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from segments.services.audit import Actor

pytestmark = pytest.mark.django_db
SECRET = "whsec-test-only"


@pytest.fixture
def quick_webhooks(settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 0
    settings.WEBHOOK_CONNECT_TIMEOUT = 1
    settings.WEBHOOK_READ_TIMEOUT = 0.5
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    return settings


def endpoint(receiver, name="team", conditions=(Condition.ENDS_SOON,)) -> WebhookEndpoint:
    return webhook_endpoint_create(
        actor=Actor(user=None),
        name=name,
        url=receiver.url,
        secret=SECRET,
        conditions=list(conditions),
    )


def verify(headers: dict, body: bytes) -> bool:
    signed = f"{headers[TIMESTAMP_HEADER]}.".encode() + body
    expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers[SIGNATURE_HEADER])


def test_a_delivery_is_signed_slack_compatible_and_logged(
    evaluate, synced, receiver_factory, quick_webhooks
):
    receiver = receiver_factory()
    endpoint(receiver)
    report = evaluate()
    assert report.deliveries >= 1
    headers, body = receiver.requests[0]
    assert verify(headers, body)
    assert not verify({**headers, TIMESTAMP_HEADER: "1"}, body)
    payload = json.loads(body)
    assert payload["text"].startswith("Segment Desk: ")
    first = payload["attachments"][0]
    assert first["title_link"].startswith(quick_webhooks.SITE_URL + "/segments/")
    assert {f["title"] for f in first["fields"]} == {"Condition", "Segment id", "Found"}
    # People read the desk's zone, named; machines keep the UTC text they parsed before.
    found = next(f["value"] for f in first["fields"] if f["title"] == "Found")
    machine = payload["segment_desk"]["alerts"][0]["detail"]
    assert re.fullmatch(r"ends \d\d \w{3} \d{4} \d\d:\d\d CES?T \(.+ left\)", found)
    assert re.fullmatch(r"ends \d{4}-\d\d-\d\d \d\d:\d\d UTC \(.+ left\)", machine)
    assert "sbx-secret" not in body.decode()
    assert SECRET not in body.decode()
    delivery = WebhookDelivery.objects.first()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)


def test_500_twice_then_200_is_three_attempts(evaluate, synced, receiver_factory, quick_webhooks):
    receiver = receiver_factory(statuses=[500, 500, 200])
    endpoint(receiver)
    evaluate()
    first = WebhookDelivery.objects.order_by("id").first()
    assert (first.status, first.attempts, first.last_status) == ("delivered", 3, 200)
    assert len({body for _, body in receiver.requests[:3]}) == 1


def test_a_failing_delivery_gives_up_after_the_last_attempt(
    evaluate, synced, receiver_factory, quick_webhooks
):
    receiver = receiver_factory(statuses=[503] * 10)
    endpoint(receiver)
    evaluate()
    delivery = WebhookDelivery.objects.order_by("id").first()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("failed", 3, 503)
    assert delivery.last_error == "Service Unavailable"  # the reason, not the body


def test_a_webhook_s_token_and_password_stay_off_the_page(
    evaluate, synced, receiver_factory, quick_webhooks, client
):
    """An admin's page showed the URL whole, and the receiver's error page quoting it."""
    from django.contrib.auth.models import User
    from django.urls import reverse

    receiver = receiver_factory(statuses=[404] * 10)
    host = receiver.url.split("//", 1)[1]
    webhook_endpoint_create(
        actor=Actor(user=None),
        name="team",
        url=f"http://hook:hook-pass-123@{host}?token=TOKEN-456&channel=",
        secret=SECRET,
        conditions=[Condition.ENDS_SOON],
    )
    evaluate()
    assert WebhookDelivery.objects.first().last_status == 404
    client.force_login(User.objects.create_superuser("ada", password="pw-for-tests-only"))
    page = client.get(reverse("alert-webhooks")).content.decode()
    assert f"http://hook:•••@{host.removesuffix('/hook')}/•••?token=•••&amp;channel" in page
    assert "hook-pass-123" not in page
    assert "TOKEN-456" not in page
    assert "HTTP 404 Not Found" in page
    # A token in the path (Slack's /services/T…/B…/<token>, Make's /<token>) or after #.
    for url in (
        "https://hooks.example.com/services/T01/B02/PATH-789",
        "https://hook.example.com/PATH-789",
        "https://hooks.example.com:8443/?key=KEY#PATH-789",
    ):
        WebhookEndpoint.objects.update(url=url)
        page = client.get(reverse("alert-webhooks")).content.decode()
        assert "PATH-789" not in page, url
    assert "https://hooks.example.com:8443/?key=•••#•••" in page


def test_a_receiver_that_never_answers_delays_nothing_else(
    evaluate, synced, receiver_factory, quick_webhooks, smtp_server, operator
):
    quick_webhooks.WEBHOOK_MAX_ATTEMPTS = 1
    operator.email = "otto@example.test"
    operator.save()
    AlertSubscription.objects.create(user=operator, condition=Condition.ENDS_SOON, urgent=True)
    hung, healthy = receiver_factory(hang=True), receiver_factory()
    endpoint(hung, "hung")
    endpoint(healthy, "healthy")
    started = time.monotonic()
    evaluate()
    assert time.monotonic() - started < 20  # bounded by the read timeout, not by the receiver
    by_name = {d.endpoint.name: d for d in WebhookDelivery.objects.select_related("endpoint")}
    assert by_name["healthy"].status == "delivered"
    assert by_name["hung"].status == "failed"
    assert by_name["hung"].last_error == "No answer within 0.5 s"
    assert len(smtp_server.messages) == 1
    assert Notification.objects.filter(user=operator, mailed_at__isnull=True).count() == 0


def test_a_failure_is_retried_later_on_a_backend_that_defers(
    django_capture_on_commit_callbacks, settings, synced, receiver_factory
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.WEBHOOK_BACKOFF_SECONDS = 60
    receiver = receiver_factory(statuses=[500])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint(receiver), payload={"text": "x"}, alert_count=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliver.call(delivery_id=delivery.pk) == "pending"
    [retry] = default_task_backend.results
    assert retry.task.run_after - timezone.now() > timedelta(seconds=50)
    assert retry.kwargs == {"delivery_id": delivery.pk}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.test/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http:///no-host",
        "http://127.0.0.1:8000/hook",
        "http://localhost:8000/",
        "http://[::1]:8000/x",
    ],
)
def test_urls_that_are_not_http_or_point_at_the_dashboard_are_refused(settings, url):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with pytest.raises(ValidationError):
        webhook_url_validate(url)


def test_a_url_on_another_port_or_host_is_allowed(settings):
    settings.SITE_URL = "https://desk.example.test"
    webhook_url_validate("http://127.0.0.1:9999/hook")
    webhook_url_validate("https://hooks.slack.com/services/T0/B0/x")
    with pytest.raises(ValidationError):
        webhook_url_validate("https://DESK.example.test./hook")


def test_the_digest_is_due_after_its_hour_in_the_users_zone(settings, operator):
    settings.ALERT_DIGEST_AT = "08:00"
    profile = AlertProfile.objects.create(user=operator, time_zone="America/New_York")
    before = datetime(2026, 3, 2, 12, 59, tzinfo=UTC)  # 07:59 in New York
    assert not digest_due(profile=profile, now=before)
    assert digest_due(profile=profile, now=before + timedelta(minutes=1))
    profile.last_digest_at = before + timedelta(minutes=2)
    assert not digest_due(profile=profile, now=before + timedelta(hours=5))


def test_the_digest_mails_what_is_waiting_once(evaluate, settings, synced, smtp_server, operator):
    settings.ALERT_DIGEST_AT = "00:00"
    operator.email = "otto@example.test"
    operator.save()
    AlertSubscription.objects.create(user=operator, condition=Condition.ENDS_SOON)
    evaluate()
    waiting = Notification.objects.filter(user=operator, mailed_at__isnull=True).count()
    assert waiting > 0
    assert smtp_server.messages == []  # not urgent: no immediate mail
    assert alert_digests_send.call() == 1
    [message] = smtp_server.messages
    assert message["Subject"] == f"Segment Desk digest: {waiting} alerts"
    assert alert_digests_send.call() == 0
    assert len(smtp_server.messages) == 1


def test_a_first_subscription_waits_for_the_next_digest_hour(settings, synced, operator):
    from segments.alerts.services import subscription_create

    # Today's digest hour just past (but a few minutes after midnight: then it is
    # tonight's, and the test shows less).
    settings.ALERT_DIGEST_AT = (timezone.now() - timedelta(minutes=5)).strftime("%H:%M")
    subscription_create(
        user=operator,
        condition=Condition.ENDS_SOON,
        scope=AlertSubscription.Scope.ALL,
        accounts=[],
        audiences=[],
        days=7,
        email=True,
        urgent=False,
        time_zone="UTC",
    )
    profile = AlertProfile.objects.get(user=operator)
    now = timezone.now()
    assert not digest_due(profile=profile, now=now)
    assert digest_due(profile=profile, now=now + timedelta(days=1))


def test_the_digest_leaves_out_an_alert_cleared_meanwhile(
    evaluate, settings, synced, smtp_server, operator
):
    settings.ALERT_DIGEST_AT = "00:00"
    operator.email = "otto@example.test"
    operator.save()
    AlertSubscription.objects.create(user=operator, condition=Condition.ENDS_SOON)
    evaluate()
    waiting = list(Notification.objects.filter(user=operator, mailed_at__isnull=True))
    assert len(waiting) > 1
    # Say a policy extended one of them: its alert is cleared before the digest.
    Alert.objects.filter(pk=waiting[0].alert_id).update(cleared_at=timezone.now())
    # Another condition that came and went meanwhile did happen: it is mailed.
    went = Alert.objects.create(
        subject="sync",
        condition=Condition.SYNC_FAILING,
        detail="failing",
        cleared_at=timezone.now(),
    )
    Notification.objects.create(user=operator, alert=went, email=True, urgent=False)
    assert alert_digests_send.call() == 1
    [message] = smtp_server.messages
    assert message["Subject"] == f"Segment Desk digest: {len(waiting)} alerts"
    assert "Scheduled sync failing" in message.get_body(("plain",)).get_content()


def test_the_slack_text_escapes_what_slack_reads_as_markup(settings):
    from segments.alerts.messages import AlertLine
    from segments.alerts.webhooks import webhook_payload

    settings.SITE_URL = "https://desk.example.test"
    line = AlertLine(7, "A&B <Retail>", "Count anomaly", "log events fell to 0 (was 12)")
    payload = webhook_payload(alerts=[line])
    assert "<https://desk.example.test/segments/7/|A&amp;B &lt;Retail&gt;>" in payload["text"]
    assert payload["attachments"][0]["title"] == "A&B <Retail>"
    assert payload["segment_desk"]["alerts"][0]["segment_id"] == 7
