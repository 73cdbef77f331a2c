"""The alert pages: the inbox, a user's subscriptions, the team webhooks and their log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from segments.action_views import actor_of
from segments.alerts import selectors, services, webhook_endpoints
from segments.alerts.forms import SubscriptionForm, WebhookForm
from segments.models import Alert
from segments.navigation import next_url
from segments.permissions import MANAGE_WEBHOOKS, OPERATE, VIEW

PER_PAGE = 50


@require_GET
@permission_required(VIEW, raise_exception=True)
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    rows = selectors.notifications_of(user=request.user, unread_only=unread_only)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "alerts/inbox.html", {"page": page, "unread_only": unread_only})


@require_POST
@permission_required(VIEW, raise_exception=True)
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read, and say so (the page starts focus on the message, where the
    button was), back on the same page of the inbox."""
    marked = services.notification_mark_read(user=request.user, notification_id=notification_id)
    messages.success(request, "Marked read." if marked else "It was read already: nothing changed.")
    return redirect(next_url(request, reverse("alert-inbox")))


@require_POST
@permission_required(VIEW, raise_exception=True)
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'' if count == 1 else 's'} read.")
    return redirect("alert-inbox")


@require_POST
@permission_required(OPERATE, raise_exception=True)
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        alert, outcome = services.alert_acknowledge(actor=actor, alert_id=alert_id)
    except Alert.DoesNotExist:
        messages.error(request, "That alert no longer exists.")
        return redirect("alert-inbox")
    if outcome == services.Acknowledged.ALREADY:
        who = alert.acknowledged_by
        by = "you" if who == request.user else (who.get_username() if who else "a former user")
        messages.info(
            request,
            f"Acknowledged already, by {by}: nothing changed, the segment's review state included.",
        )
    elif outcome == services.Acknowledged.REVIEW_KEPT:
        review = selectors.review_of(segment_id=alert.segment_id)
        by = review.set_by.get_username() if review.set_by else "someone"
        messages.success(
            request,
            "Acknowledged: no new alert for this until it clears. The segment's review state"
            f" stays {review.get_state_display()}: {by} set it after this alert was raised.",
        )
    elif outcome == services.Acknowledged.CLEARED:
        messages.info(
            request,
            "This alert has cleared (what raised it no longer holds): "
            "there is nothing to acknowledge, and nothing changed.",
        )
    else:
        messages.success(
            request,
            "Acknowledged: no new alert for this until it clears"
            + ("; the segment's review state is Acknowledged." if alert.segment_id else "."),
        )
    return redirect("alert-inbox")


SUBSCRIBED = {
    "created": "Subscribed.",
    "updated": "You had this subscription already: its delivery is updated.",
    "same": "You have this subscription already: nothing changed.",
}


@require_http_methods(["GET", "POST"])
@permission_required(VIEW, raise_exception=True)
def subscriptions(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        _, outcome = services.subscription_create(
            user=request.user, time_zone=timezone.get_current_timezone_name(), **form.cleaned_data
        )
        messages.success(request, SUBSCRIBED[outcome])
        return redirect("alert-subscriptions")
    mine = selectors.subscriptions_of(user=request.user)
    context = {
        "form": form,
        "subscriptions": mine,
        "defaults": selectors.default_subscriptions_of(user=request.user, subscriptions=mine),
    }
    return render(request, "alerts/subscriptions.html", context, status=400 if form.errors else 200)


@require_POST
@permission_required(VIEW, raise_exception=True)
def subscription_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    if services.subscription_delete(user=request.user, subscription_id=subscription_id):
        messages.success(request, "Unsubscribed.")
    return redirect("alert-subscriptions")


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
def webhooks(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoints.webhook_endpoint_create(actor=actor_of(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("name" if exc.code == "name_taken" else "url", exc)
        else:
            messages.success(request, "Webhook added.")
            return redirect("alert-webhooks")
    context = {
        "form": form,
        "endpoints": selectors.webhook_endpoints(),
        "deliveries": selectors.webhook_deliveries(),
    }
    return render(request, "alerts/webhooks.html", context, status=400 if form.errors else 200)


@require_POST
@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
def webhook_toggle(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    endpoint, changed = webhook_endpoints.webhook_endpoint_set_active(
        actor=actor_of(request), endpoint_id=endpoint_id, active=active
    )
    if endpoint is None:
        messages.info(request, "That webhook was deleted.")
    elif changed and active:
        messages.success(request, f"Webhook “{endpoint.name}” resumed: alerts are posted to it.")
    elif changed:
        messages.success(
            request, f"Webhook “{endpoint.name}” paused: nothing is posted to it until resumed."
        )
    else:
        state = "active" if active else "paused"
        messages.info(request, f"Webhook “{endpoint.name}” was {state} already: nothing changed.")
    return redirect("alert-webhooks")


@require_POST
@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    if webhook_endpoints.webhook_endpoint_delete(actor=actor_of(request), endpoint_id=endpoint_id):
        messages.success(request, "Webhook deleted.")
    else:
        messages.info(request, "That webhook was deleted already.")
    return redirect("alert-webhooks")
