"""Delivering alerts, as tasks of Django's task framework: mails and webhook posts.

Each mail and each webhook delivery is its own task, so a channel that fails or
hangs holds up nothing else. A webhook delivery that fails is tried again up to
``WEBHOOK_MAX_ATTEMPTS`` times, ``WEBHOOK_BACKOFF_SECONDS`` x 2^n apart (deferred
with ``run_after`` on a backend that supports it; the ImmediateBackend, which
cannot defer, tries again at once). Every attempt is written to the delivery log.
A mail that fails leaves its notifications unmailed: the next digest carries them.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task, task_backends
from django.utils import timezone

from segments.alerts.mail import alert_mail_send
from segments.alerts.messages import AlertLine, alert_line
from segments.alerts.webhooks import webhook_body, webhook_post
from segments.models import AlertProfile, Condition, Notification, WebhookDelivery

logger = logging.getLogger(__name__)


def _zone(profile: AlertProfile | None) -> zoneinfo.ZoneInfo:
    """The user's zone for alert mail, as their browser reported it; else the desk's."""
    try:
        return zoneinfo.ZoneInfo(profile.time_zone if profile else settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _mail_line(notification: Notification, zone: zoneinfo.ZoneInfo) -> AlertLine:
    segment = notification.alert.segment
    return alert_line(
        notification.alert,
        segment_name=segment.name if segment else "Platform sync",
        urgent=notification.urgent,
        zone=zone,
    )


# "Ends soon" cleared before its mail went: the segment was extended (or has ended),
# and "ends in 12 days" would no longer be true. Other alerts that cleared meanwhile
# did happen, and are mailed.
_ENDED_SOON = Q(alert__condition=Condition.ENDS_SOON, alert__cleared_at__isnull=False)


@task
def alert_mails_send(*, user_id: int, digest: bool) -> int:
    """Mail a user's unmailed notifications: the urgent ones, or the digest. Returns how many."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    pending = (
        Notification.objects.filter(
            user_id=user_id, email=True, urgent=not digest, mailed_at__isnull=True
        )
        .exclude(_ENDED_SOON)
        .select_related("alert__segment")
    )
    notifications = list(pending.order_by("created_at", "id"))
    if user is None or not user.email or not notifications:
        return 0
    zone = _zone(AlertProfile.objects.filter(user=user).first())
    alert_mail_send(
        to=user.email,
        greeting=user.get_short_name() or user.get_username(),
        alerts=[_mail_line(n, zone) for n in notifications],
        digest=digest,
    )
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        mailed_at=timezone.now()
    )
    return len(notifications)


def digest_due(*, profile: AlertProfile | None, now: datetime) -> bool:
    """Is it past ``ALERT_DIGEST_AT`` in the user's zone, with no digest sent since then?"""
    zone = _zone(profile)
    hour, minute = (int(part) for part in settings.ALERT_DIGEST_AT.split(":"))
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    last = profile.last_digest_at if profile else None
    return local >= moment and (last is None or last < moment)


@task
def alert_digests_send() -> int:
    """Enqueue the digest of every user whose digest hour has come (run it every few minutes)."""
    now = timezone.now()
    user_ids = set(
        Notification.objects.filter(email=True, urgent=False, mailed_at__isnull=True)
        .exclude(_ENDED_SOON)
        .values_list("user_id", flat=True)
        .distinct()
    )
    profiles = {p.user_id: p for p in AlertProfile.objects.filter(user_id__in=user_ids)}
    due = [uid for uid in sorted(user_ids) if digest_due(profile=profiles.get(uid), now=now)]
    for user_id in due:
        AlertProfile.objects.update_or_create(user_id=user_id, defaults={"last_digest_at": now})
        alert_mails_send.enqueue(user_id=user_id, digest=True)
    return len(due)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempts - 1))


@task
def webhook_deliver(*, delivery_id: int) -> str:
    """One attempt of one delivery; a failure schedules the next attempt. Returns its status."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        return "gone"
    endpoint = delivery.endpoint
    attempt = webhook_post(
        url=endpoint.url, secret=endpoint.secret, body=webhook_body(delivery.payload)
    )
    now = timezone.now()
    attempts = delivery.attempts + 1
    if attempt.ok:
        status = WebhookDelivery.Status.DELIVERED
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS or not endpoint.active:
        status = WebhookDelivery.Status.FAILED
    else:
        status = WebhookDelivery.Status.PENDING
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        attempts=F("attempts") + 1,
        status=status,
        last_status=attempt.status,
        last_error=attempt.error[:500],
        last_attempt_at=now,
        delivered_at=now if attempt.ok else None,
    )
    if status == WebhookDelivery.Status.PENDING:
        retry = webhook_deliver
        if task_backends[webhook_deliver.backend].supports_defer:
            retry = webhook_deliver.using(run_after=now + _backoff(attempts))
        transaction.on_commit(lambda: retry.enqueue(delivery_id=delivery_id))
    elif status == WebhookDelivery.Status.FAILED:
        logger.warning("webhook %s: delivery %s failed: %s", endpoint, delivery_id, attempt.error)
    return status
