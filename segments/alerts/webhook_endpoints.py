"""Team webhooks as admins configure them: added (one per URL), paused, deleted."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from segments.alerts.webhooks import webhook_url_validate
from segments.models import WebhookEndpoint


def webhook_endpoint_set_active(*, endpoint_id: int, active: bool) -> int:
    return WebhookEndpoint.objects.filter(pk=endpoint_id).update(active=active)


def webhook_endpoint_delete(*, endpoint_id: int) -> int:
    """Delete a team webhook with its delivery log; returns how many (0 or 1)."""
    _, by_model = WebhookEndpoint.objects.filter(pk=endpoint_id).delete()
    return by_model.get(WebhookEndpoint._meta.label, 0)


def webhook_endpoint_create(*, user, name: str, url: str, secret: str, conditions: list[str]):
    """A new team webhook; raises ``ValidationError`` for a URL it must not post to,
    or one a webhook posts to already (each alert would arrive twice)."""
    webhook_url_validate(url)
    try:
        with transaction.atomic():
            return WebhookEndpoint.objects.create(
                name=name, url=url, secret=secret, conditions=conditions, created_by=user
            )
    except IntegrityError:  # the one-per-URL constraint: an admin's, or a simultaneous one
        existing = WebhookEndpoint.objects.filter(url=url).first()
        if existing is None:  # made and deleted again meanwhile
            raise ValidationError(
                "Another webhook to this URL was being saved at the same moment: try again."
            ) from None
        state = "posts" if existing.active else "(paused) posts"
        raise ValidationError(
            f"The webhook “{existing.name}” {state} to this URL already: delete it first to"
            " change what it sends."
        ) from None
