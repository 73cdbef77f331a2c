"""The shapes of a response the views share: a page or its HTMX partial, a form in
the page's dialog, the end of an action."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    reswap,
    trigger_client_event,
)
from django_tables2 import RequestConfig, Table

from segments.navigation import after_choice
from segments.services.outcomes import ActionResult


def page_or_table(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The full page, or for HTMX only its ``#table`` partial."""
    # htmx restoring a history entry (Back after hx-push-url) swaps in the whole body.
    if request.htmx and not request.htmx.history_restore_request:
        template = f"{template}#table"
    response = render(request, template, context)
    # One URL, two bodies: caches, the browser's Back included, must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


def table_page(
    request: HttpRequest, template: str, *, table: Table, per_page: int, context: dict
) -> HttpResponse:
    """A page around a table (or for HTMX the table alone), sorted and paged as the
    request asks; ``per_page`` is already validated."""
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    if _below_the_first_page(request, table):
        # django-tables2 takes page 0 or -1 for one past the end, and shows the last.
        table.page = table.paginator.page(1)
    return page_or_table(request, template, {**context, "table": table})


def _below_the_first_page(request: HttpRequest, table: Table) -> bool:
    try:
        return int(request.GET.get(table.prefixed_page_field, "")) < 1
    except ValueError:
        return False


def form_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The form as a page, or for HTMX as the dialog's content (opening the dialog)."""
    if not request.htmx:
        return render(request, template, context)
    response = render(request, f"{template}#form", context)
    return trigger_client_event(response, "open-dialog", after="swap")


def go_to(request: HttpRequest, target: str) -> HttpResponse:
    """Send the browser to ``target``, for HTMX too."""
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


def messages_only(request: HttpRequest) -> HttpResponse:
    """For HTMX: only the messages, swapped into the page's message area."""
    return render(request, "segments/_messages.html", {"retarget": True})


def action_finished(request: HttpRequest, result: ActionResult, *, back: str) -> HttpResponse:
    """The action took effect: say so, then close the dialog and reload what shows it.

    ``after`` in the form: ``refresh`` reloads the page (detail page), ``redirect``
    goes to ``back``; otherwise the page's table reloads itself.
    """
    (messages.success if result.ok else messages.warning)(request, result.message)
    if not request.htmx:
        return redirect(back)
    after = after_choice(request)
    if after == "refresh":
        return HttpResponseClientRefresh()
    if after == "redirect":
        return HttpResponseClientRedirect(back)
    response = reswap(messages_only(request), "none")
    trigger_client_event(response, "close-dialog")
    return trigger_client_event(response, "segments-changed")


# What a missing address under each prefix was for, as the 404 page says it.
NOT_FOUND = (
    ("/segments/", "No segment has this address"),
    ("/audiences/", "No audience has this address"),
    (
        "/views/",
        "No saved view you can open has this address: it was deleted, "
        "or it is someone else's personal view",
    ),
    ("/bulk/", "No bulk run or page of one has this address"),
    ("/alerts/", "Nothing in the alerts has this address: it may have been deleted"),
)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """The 404 page, worded for the kind of thing the address was for."""
    found = [(prefix, text) for prefix, text in NOT_FOUND if request.path.startswith(prefix)]
    prefix, missing = found[0] if found else ("", "Segment Desk has no page at this address")
    context = {"missing": missing, "segment": prefix == "/segments/"}
    return render(request, "404.html", context, status=404)
