"""Alert writes: evaluate after a sync, notify subscribers, acknowledge, read, subscribe.

``alerts_evaluate`` is what a finished sync calls. It compares the conditions
that hold now with the alerts not yet cleared: a condition without an alert
raises one (and notifies its subscribers, mails the urgent ones, posts to the
team webhooks), an alert whose condition no longer holds is cleared, and a
condition that still holds changes nothing (acknowledged or not).
"""

from __future__ import annotations

import time
import zoneinfo
from dataclasses import asdict, dataclass
from enum import StrEnum
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from segments.alerts import recipients as fanout
from segments.alerts.conditions import Found, conditions_found
from segments.alerts.delivery import alert_mails_send, webhook_deliver
from segments.alerts.messages import alert_line
from segments.alerts.webhooks import webhook_payload
from segments.models import (
    Alert,
    AlertProfile,
    AlertSubscription,
    Condition,
    Notification,
    Review,
    Segment,
    WebhookDelivery,
    WebhookEndpoint,
)
from segments.services.audit import Actor
from segments.services.review import review_set

ALERTS_PER_DELIVERY = 50


@dataclass
class EvaluationReport:
    conditions: int = 0
    raised: int = 0
    cleared: int = 0
    notifications: int = 0
    deliveries: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _notify(alerts: list[Alert], segments: dict[int, tuple]) -> list[Notification]:
    notifications: dict[tuple[int, int], Notification] = {}
    for alert, recipient in fanout.hearers(
        alerts=alerts, recipients=fanout.recipients(), segments=segments
    ):
        note = notifications.setdefault(
            (recipient.user_id, alert.pk),
            Notification(user_id=recipient.user_id, alert=alert, created_at=alert.raised_at),
        )
        note.email |= recipient.email
        note.urgent |= recipient.email and recipient.urgent
    return Notification.objects.bulk_create(notifications.values(), batch_size=1000)


def _webhook_deliveries(alerts: list[Alert], segments: dict[int, tuple]) -> list[WebhookDelivery]:
    deliveries = []
    desk_zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        wanted = [a for a in alerts if a.condition in endpoint.conditions]
        for chunk in batched(wanted, ALERTS_PER_DELIVERY, strict=False):
            lines = [
                alert_line(
                    a,
                    segment_name=segments.get(a.segment_id, ("Platform sync",))[0],
                    urgent=a.condition == Condition.SYNC_FAILING,
                    zone=desk_zone,
                )
                for a in chunk
            ]
            deliveries.append(
                WebhookDelivery(
                    endpoint=endpoint, payload=webhook_payload(alerts=lines), alert_count=len(chunk)
                )
            )
    return WebhookDelivery.objects.bulk_create(deliveries)


def _uncleared(only: frozenset | None):
    alerts = Alert.objects.filter(cleared_at__isnull=True)
    return alerts if only is None else alerts.filter(condition__in=only)


def _raise(found: Found, now) -> Alert:
    return Alert(
        subject=found.subject,
        segment_id=found.segment_id,
        condition=found.condition,
        detail=found.detail[:500],
        values=found.values,
        raised_at=now,
    )


def alerts_evaluate(*, sync_report=None, now=None, only=None) -> EvaluationReport:
    """Raise, clear and deliver alerts from the mirror as it is now. ``sync_report``
    (the finished sync's) is accepted for the sync's call and not needed otherwise:
    the conditions are read from the mirror itself. ``only`` (a set of conditions)
    limits the evaluation to those, e.g. after a policy run."""
    started = time.perf_counter()
    now = now or timezone.now()
    days = max(
        AlertSubscription.objects.filter(condition=Condition.ENDS_SOON).values_list(
            "days", flat=True
        ),
        default=fanout.DEFAULT_DAYS,
    )
    only = frozenset(only) if only is not None else None
    found = {f.key: f for f in conditions_found(now=now, ends_within_days=days, only=only)}
    report = EvaluationReport(conditions=len(found))
    with transaction.atomic():
        uncleared, stored = {}, {}
        for pk, subject, condition, values in _uncleared(only).values_list(
            "pk", "subject", "condition", "values"
        ):
            uncleared[subject, condition], stored[pk] = pk, values
        gone = [pk for key, pk in uncleared.items() if key not in found]
        for chunk in batched(gone, fanout.CHUNK, strict=False):
            report.cleared += Alert.objects.filter(pk__in=chunk).update(cleared_at=now)
        # A segment still ending soon, but at another date (a policy or an operator
        # extended it within the window): its alert says the new date, raising nothing.
        moved = [
            Alert(pk=pk, detail=f.detail[:500], values=f.values)
            for key, f in found.items()
            if f.condition == Condition.ENDS_SOON
            and (pk := uncleared.get(key)) is not None
            and stored[pk].get("end_date") != f.values.get("end_date")
        ]
        Alert.objects.bulk_update(moved, ["detail", "values"], batch_size=1000)
        new = [_raise(f, now) for key, f in found.items() if key not in uncleared]
        alerts = Alert.objects.bulk_create(new, batch_size=1000)
        segments = fanout.segment_rows([a.segment_id for a in alerts if a.segment_id])
        notifications = _notify(alerts, segments)
        deliveries = _webhook_deliveries(alerts, segments)
        urgent_users = sorted({n.user_id for n in notifications if n.urgent})
        for user_id in urgent_users:
            transaction.on_commit(
                lambda u=user_id: alert_mails_send.enqueue(user_id=u, digest=False), robust=True
            )
        for delivery in deliveries:
            transaction.on_commit(
                lambda d=delivery.pk: webhook_deliver.enqueue(delivery_id=d), robust=True
            )
    report.raised, report.notifications = len(alerts), len(notifications)
    report.deliveries = len(deliveries)
    report.seconds = time.perf_counter() - started
    return report


class Acknowledged(StrEnum):
    """What an acknowledgement did: only the first one, of an alert still open, sets the
    segment's review state (a stale inbox must not overwrite a newer one)."""

    NOW = "now"
    ALREADY = "already"
    CLEARED = "cleared"
    REVIEW_KEPT = "review_kept"  # acknowledged; a review state set since the alert stays


def alert_acknowledge(*, actor: Actor, alert_id: int) -> tuple[Alert, Acknowledged]:
    """Acknowledge an alert: it raises nothing new until it clears; the segment's review
    state is set (audited; not a deleted segment's: nobody works on it), unless someone
    set one after the alert was raised (what they chose knows more than the alert, and
    the inbox may be older than it). The alert is read in the actor's inbox in any
    case."""
    now = timezone.now()
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("acknowledged_by")
            .get(pk=alert_id)
        )
        Notification.objects.filter(alert=alert, user=actor.user, read_at__isnull=True).update(
            read_at=now
        )
        if alert.acknowledged_at is not None:
            return alert, Acknowledged.ALREADY
        if alert.cleared_at is not None:
            return alert, Acknowledged.CLEARED
        alert.acknowledged_at, alert.acknowledged_by = now, actor.user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        live = Segment.objects.filter(segment_id=alert.segment_id, is_deleted=False)
        if alert.segment_id is None or not live.exists():
            return alert, Acknowledged.NOW
        since = Review.objects.filter(segment_id=alert.segment_id, set_at__gt=alert.raised_at)
        if since.exclude(state=Review.State.ACKNOWLEDGED).exists():
            return alert, Acknowledged.REVIEW_KEPT
        review_set(actor=actor, segment_id=alert.segment_id, state=Review.State.ACKNOWLEDGED)
    return alert, Acknowledged.NOW


def notification_mark_read(*, user, notification_id: int) -> int:
    return Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def subscription_create(
    *,
    user,
    condition: str,
    scope: str,
    accounts: list[int],
    audiences: list[int],
    days: int,
    email: bool,
    urgent: bool,
    time_zone: str,
) -> tuple[AlertSubscription, str]:
    """A new subscription, and "created"; the user's current zone becomes the zone
    of their digest.

    The same condition over the same segments again (a second submit, a user who
    forgot) is the subscription they have: its delivery (``email``, ``urgent``)
    becomes the one asked for ("updated", or "same" if it was already). Two at
    once are serialised by the lock ``update_or_create`` takes on the user's
    profile row, held to the end of this transaction."""
    Scope = AlertSubscription.Scope
    wanted = {
        "condition": condition,
        "scope": scope,
        "account_ids": sorted(accounts) if scope == Scope.ACCOUNTS else [],
        "audience_ids": sorted(audiences) if scope == Scope.AUDIENCES else [],
        "days": days,
    }
    with transaction.atomic():
        # A first subscription's digest comes at the next digest hour, not at once.
        AlertProfile.objects.update_or_create(
            user=user,
            defaults={"time_zone": time_zone},
            create_defaults={"time_zone": time_zone, "last_digest_at": timezone.now()},
        )
        mine = AlertSubscription.objects.filter(user=user, condition=condition, scope=scope)
        for existing in mine:
            if not _same_segments_and_condition(existing, wanted):
                continue
            if (existing.email, existing.urgent) == (email, urgent):
                return existing, "same"
            existing.email, existing.urgent = email, urgent
            existing.save(update_fields=["email", "urgent"])
            return existing, "updated"
        created = AlertSubscription.objects.create(user=user, email=email, urgent=urgent, **wanted)
        _open_alerts_to_inbox(created)
        return created, "created"


def _open_alerts_to_inbox(subscription: AlertSubscription) -> None:
    """The alerts already open that a new subscription covers, in its user's inbox: raised
    before it, they had reached nobody new (26 segments ending within 7 days, 4 in the
    inbox). Not mailed: they are the state found, not news; the next ones are mailed."""
    recipient = fanout.recipient(subscription)
    open_alerts = list(Alert.objects.filter(condition=subscription.condition, cleared_at=None))
    segments = fanout.segment_rows([a.segment_id for a in open_alerts if a.segment_id])
    covered = [
        alert
        for alert, _ in fanout.hearers(
            alerts=open_alerts, recipients=[recipient], segments=segments
        )
    ]
    Notification.objects.bulk_create(
        [
            Notification(user_id=subscription.user_id, alert=a, created_at=a.raised_at)
            for a in covered
        ],
        batch_size=1000,
        ignore_conflicts=True,  # one the user has already, through another subscription
    )


def _same_segments_and_condition(subscription: AlertSubscription, wanted: dict) -> bool:
    """Whether ``subscription`` hears of what ``wanted`` would (``days`` matters only
    to "ends soon")."""
    return (
        sorted(subscription.account_ids) == wanted["account_ids"]
        and sorted(subscription.audience_ids) == wanted["audience_ids"]
        and (wanted["condition"] != Condition.ENDS_SOON or subscription.days == wanted["days"])
    )


def subscription_delete(*, user, subscription_id: int) -> int:
    deleted, _ = AlertSubscription.objects.filter(pk=subscription_id, user=user).delete()
    return deleted
