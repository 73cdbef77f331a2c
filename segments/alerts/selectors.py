"""Alert reads: a user's inbox and subscriptions, the team webhooks and their deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from segments.models import (
    Account,
    AlertSubscription,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)

DELIVERY_LOG_SIZE = 100


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


def webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    """The team webhooks, without their secrets."""
    return WebhookEndpoint.objects.defer("secret")


def webhook_deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("endpoint").defer("endpoint__secret")[
        :DELIVERY_LOG_SIZE
    ]
