"""Team webhooks as admins configure them: added (one per URL), paused, deleted; each
change audited (a webhook is where alerts go out of the desk). The audit names the
webhook and its host, not its URL: a receiver's URL often holds its token."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from segments.alerts.webhooks import webhook_url_validate
from segments.models import AuditEvent, Condition, WebhookEndpoint
from segments.services.audit import Actor, audit_record

Action, Outcome = AuditEvent.Action, AuditEvent.Outcome


def _named(endpoint: WebhookEndpoint) -> str:
    return f"Team webhook “{endpoint.name}” (to {urlsplit(endpoint.url).hostname})"


def webhook_endpoint_set_active(
    *, actor: Actor, endpoint_id: int, active: bool
) -> tuple[WebhookEndpoint | None, bool]:
    """Pause or resume a team webhook: it, or ``None`` if it is gone, and whether this
    changed it (a stale page's second Pause does not)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None or endpoint.active == active:
            return endpoint, False
        endpoint.active = active
        endpoint.save(update_fields=["active"])
        audit_record(
            actor=actor,
            action=Action.WEBHOOK_ACTIVE,
            outcome=Outcome.DONE,
            message=f"{_named(endpoint)} {'resumed' if active else 'paused'}.",
        )
    return endpoint, True


def webhook_endpoint_delete(*, actor: Actor, endpoint_id: int) -> int:
    """Delete a team webhook with its delivery log; returns how many (0 or 1)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            return 0
        deliveries = endpoint.deliveries.count()
        endpoint.delete()
        audit_record(
            actor=actor,
            action=Action.DELETE_WEBHOOK,
            outcome=Outcome.DONE,
            message=f"{_named(endpoint)} deleted, with its log of {deliveries} "
            f"deliver{'y' if deliveries == 1 else 'ies'}.",
        )
    return 1


def webhook_endpoint_create(
    *, actor: Actor, name: str, url: str, secret: str, conditions: list[str]
) -> WebhookEndpoint:
    """A new team webhook; raises ``ValidationError`` for a URL it must not post to,
    or one a webhook posts to already (each alert would arrive twice), or a name
    another has (the list and its delivery log show only the name and the host)."""
    webhook_url_validate(url)
    if namesake := WebhookEndpoint.objects.filter(name__iexact=name.strip()).first():
        raise ValidationError(
            f"A webhook is named “{namesake.name}” already: give this one a name of its "
            "own, so that the list and its deliveries tell them apart.",
            code="name_taken",
        )
    try:
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.create(
                name=name, url=url, secret=secret, conditions=conditions, created_by=actor.user
            )
            labels = ", ".join(str(Condition(c).label) for c in conditions)
            audit_record(
                actor=actor,
                action=Action.ADD_WEBHOOK,
                outcome=Outcome.DONE,
                message=f"{_named(endpoint)} added: it posts {labels}.",
            )
            return endpoint
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
