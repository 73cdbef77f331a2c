"""The acceptance walk-throughs of issues 10 and 11, condensed, with a worker and the
scheduler as real processes and nobody clicking: days pass on the platform, the
scheduled sync raises an "ends soon" alert for the subscriber (inbox, a mail file,
a signed webhook post recorded as delivered), and applies an expiry policy (the
platform holds the new dates, the audit names the policy)."""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.db.models import Count
from django.utils import timezone

from segments.alerts.services import alerts_evaluate
from segments.alerts.webhook_endpoints import webhook_endpoint_create
from segments.models import (
    AlertSubscription,
    AuditEvent,
    Condition,
    ExpiryPolicy,
    Notification,
    Segment,
    WebhookDelivery,
)
from segments.services.audit import Actor
from segments.services.policies import policy_save
from segments.services.sync import sync_run
from tests.conftest import make_user
from tests.processes.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SECRET = "process-test-secret-0123"
DAY = timedelta(days=1)


def signed_receiver() -> tuple[ThreadingHTTPServer, list[bool]]:
    """A local webhook receiver that records whether each post's signature verifies."""
    verified: list[bool] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signed = self.headers["X-Segment-Desk-Timestamp"].encode() + b"." + body
            digest = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
            expected = f"sha256={digest}"
            verified.append(hmac.compare_digest(expected, self.headers["X-Segment-Desk-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, verified


def test_days_pass_and_the_scheduled_sync_alerts_and_applies_a_policy(
    cluster, fresh_sandbox, segment_client, tmp_path
):
    assert sync_run(full=True).ok
    now = timezone.now()
    # The segment that enters the 7-day window soonest, and the days until it does.
    entering = (
        Segment.objects.visible()
        .exclude(status__in=("Expired", "Archived"))
        .filter(end_date__gt=now + 7 * DAY + timedelta(hours=1))
        .order_by("end_date")
        .first()
    )
    days = math.ceil((entering.end_date - now - 7 * DAY) / DAY)
    alerts_evaluate()  # what holds already is raised now: the subscriber hears of the new
    operator = make_user("olga", "Operator")
    operator.email = "olga@example.test"
    operator.save()
    AlertSubscription.objects.create(
        user=operator,
        condition=Condition.ENDS_SOON,
        scope=AlertSubscription.Scope.ACCOUNTS,
        account_ids=[entering.account_id],
        urgent=True,
    )
    server, verified = signed_receiver()
    webhook_endpoint_create(
        actor=Actor(user=operator),
        name="receiver",
        url=f"http://127.0.0.1:{server.server_address[1]}/hook",
        secret=SECRET,
        conditions=[Condition.ENDS_SOON],
    )
    # Another account's: a segment the policy extends raises no "ends soon".
    account = (
        Segment.objects.visible()
        .exclude(account_id=entering.account_id)
        .filter(end_date__gt=now, end_date__lt=now + 14 * DAY)
        .values("account_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["account_id"]
    )
    owner = make_user("paul", "Operator")
    policy = policy_save(
        policy=ExpiryPolicy(
            name="Keep 14 ahead",
            scope=ExpiryPolicy.Scope.ACCOUNT,
            scope_value=str(account),
            min_days_ahead=14,
            step_days=30,
            ceiling_days=180,
        ),
        user=owner,
    )
    mail = tmp_path / "mail"

    requests.post(f"{fresh_sandbox.control_url}/advance", json={"days": days}, timeout=30)
    cluster.worker(EMAIL_URL=f"file://{mail}", SITE_URL="http://desk.example.test")
    cluster.scheduler(SYNC_INTERVAL_TEST_SECONDS="2")

    # Issue 10: the inbox, the mail, the signed delivery.
    wait_until(
        lambda: Notification.objects.filter(user=operator, alert__segment_id=entering.pk).exists(),
        timeout=60,
        what="the alert for the segment entering the window",
    )
    files = wait_until(lambda: list(mail.glob("*")), timeout=30, what="the urgent mail")
    text = files[0].read_text(errors="replace")
    assert "olga@example.test" in text
    assert f"http://desk.example.test/segments/{entering.pk}/" in text
    wait_until(
        lambda: WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED).exists(),
        timeout=30,
        what="the webhook delivery",
    )
    assert verified
    assert all(verified)
    server.shutdown()

    # Issue 11: the policy applied after the sync, on the platform, audited as itself.
    events = AuditEvent.objects.filter(username__startswith="policy “Keep 14 ahead”")
    wait_until(events.exists, timeout=60, what="the policy's run")
    event = events.first()
    assert event.outcome == AuditEvent.Outcome.DONE
    on_platform = segment_client.segment(segment_id=event.segment_id).end_date
    assert on_platform >= now + 14 * DAY
    assert policy.items.filter(outcome=AuditEvent.Outcome.DONE).exists()
