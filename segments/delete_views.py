"""Undo of deletes waiting out their window: any operator may undo any of them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, trigger_client_event

from segments.action_views import actor_of
from segments.models import BulkRun, ScheduledDelete
from segments.navigation import next_url
from segments.permissions import OPERATE
from segments.responses import messages_only
from segments.selectors.deletes import bulk_deletes_summary
from segments.services.deletes import bulk_deletes_cancel, scheduled_delete_cancel


def _answer(request: HttpRequest, back: str) -> HttpResponse:
    """HTMX: the messages, and the table reloads itself; else back where it was."""
    if not request.htmx:
        return redirect(back)
    return trigger_client_event(reswap(messages_only(request), "none"), "segments-changed")


@require_POST
@permission_required(OPERATE, raise_exception=True)
def scheduled_delete_undo(request: HttpRequest, scheduled_id: int) -> HttpResponse:
    scheduled = get_object_or_404(ScheduledDelete, pk=scheduled_id)
    if scheduled_delete_cancel(actor=actor_of(request), scheduled=scheduled):
        messages.success(request, f"Delete of “{scheduled.segment_name}” undone: nothing was sent.")
    elif scheduled.state == ScheduledDelete.State.CANCELLED:
        who = scheduled.cancelled_by
        by = "you" if who == request.user else who.get_username() if who else "someone"
        messages.info(
            request,
            f"The delete of “{scheduled.segment_name}” was undone already, by {by}: "
            "nothing was sent.",
        )
    else:
        messages.warning(
            request,
            f"Too late to undo: the delete of “{scheduled.segment_name}” is "
            f"{scheduled.get_state_display().lower()}.",
        )
    return _answer(
        request, next_url(request, reverse("segment-detail", args=[scheduled.segment_id]))
    )


@require_POST
@permission_required(OPERATE, raise_exception=True)
def bulk_deletes_undo(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(BulkRun, pk=run_id, action=BulkRun.Action.DELETE)
    undone = bulk_deletes_cancel(actor=actor_of(request), run=run)
    if undone:
        messages.success(request, f"{undone} delete{'s' if undone != 1 else ''} undone.")
    else:
        messages.warning(request, f"Nothing left to undo: {bulk_deletes_summary(run=run)}.")
    return _answer(request, next_url(request, reverse("bulk-run", args=[run.pk])))
