"""Alert reads: a user's inbox and subscriptions, the team webhooks and their deliveries."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from segments.alerts import recipients as fanout
from segments.alerts.anomalies import LABELS
from segments.models import (
    Account,
    Alert,
    AlertSubscription,
    Condition,
    Notification,
    Review,
    WebhookDelivery,
    WebhookEndpoint,
)

DELIVERY_LOG_SIZE = 100
KIND_LABELS = {"drop": "dropped", "to_zero": "fell to 0", "failed_jump": "jumped"}


def anomaly_flag() -> Exists:
    """An expression for "this segment's count anomaly alert is not cleared"."""
    return Exists(
        Alert.objects.filter(
            segment_id=OuterRef("pk"), condition=Condition.ANOMALY, cleared_at__isnull=True
        )
    )


def segment_anomaly(*, segment_id: int) -> Alert | None:
    """The segment's uncleared count anomaly alert, with the values it compared."""
    return (
        Alert.objects.filter(
            segment_id=segment_id, condition=Condition.ANOMALY, cleared_at__isnull=True
        )
        .order_by("-raised_at")
        .first()
    )


def anomaly_rows(alert: Alert | None) -> list[dict]:
    """The compared values of an anomaly alert, one row per flagged count."""
    if alert is None:
        return []
    return [
        {
            "label": LABELS.get(field, field),
            "kind": KIND_LABELS.get(values.get("kind"), values.get("kind")),
            "current": values.get("current"),
            "previous": values.get("previous"),
            "median": round(values["median"]) if values.get("median") is not None else None,
        }
        for field, values in alert.values.items()
    ]


def notifications_of(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user=user).select_related("alert__segment")
    return rows.filter(read_at__isnull=True) if unread_only else rows


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def subscriptions_of(*, user) -> list[AlertSubscription]:
    """A user's subscriptions, each with ``targets``: the names of its chosen accounts
    (or the ids of its chosen audiences)."""
    rows = list(AlertSubscription.objects.filter(user=user))
    wanted = {i for s in rows for i in s.account_ids}
    names = dict(Account.objects.filter(id__in=wanted).values_list("id", "name"))
    for row in rows:
        if row.scope == AlertSubscription.Scope.ACCOUNTS:
            row.targets = [names.get(i, str(i)) for i in row.account_ids]
        else:
            row.targets = [str(i) for i in row.audience_ids]
    return rows


def default_subscriptions_of(*, user, subscriptions: list[AlertSubscription]) -> list[dict]:
    """What ``user`` hears of without subscribing (an admin: a failing sync; a policy's
    owner: their policy failing), so their page can say so: each default's condition,
    channels, and whether the user's own ``subscriptions`` to it ``chose`` those."""
    subscribed = [fanout.recipient(s) for s in subscriptions]
    own = {r.condition for r in subscribed}
    return [
        {
            "condition": d.condition,
            "email": d.email,
            "urgent": d.urgent,
            "chosen": d.condition in own,
        }
        for d in fanout.default_recipients(subscribed=subscribed, user=user)
    ]


def review_of(*, segment_id: int) -> Review:
    return Review.objects.select_related("set_by").get(segment_id=segment_id)


def webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    """The team webhooks, without their secrets."""
    return WebhookEndpoint.objects.defer("secret")


def webhook_deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("endpoint").defer("endpoint__secret")[
        :DELIVERY_LOG_SIZE
    ]
