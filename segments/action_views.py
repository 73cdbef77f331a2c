"""Views that change things. Every one needs the operate permission (viewers get
403), every write is a POST with CSRF, and each form is processed once.

A form view serves the full page (no JavaScript) or, for HTMX, the ``#form``
partial shown in the page's dialog. Success closes the dialog and tells the
page to reload its table; failure re-renders the form with what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from segments import selectors
from segments.activity_table import AuditTable
from segments.fields import MultipleIdsField
from segments.forms import (
    ActivateForm,
    BulkConfirmForm,
    CreateAudienceForm,
    DeleteForm,
    ExtendForm,
)
from segments.models import BulkRun
from segments.navigation import after_choice, next_url
from segments.permissions import OPERATE, VIEW
from segments.responses import action_finished, form_page, go_to, messages_only, table_page
from segments.selectors.deletes import bulk_run_deletes_waiting, open_deletes_among
from segments.services import audience_writes, bulk, deletes, platform_writes
from segments.services.audit import Actor
from segments.services.outcomes import Outcome
from segments.services.submissions import AlreadySubmitted, submission_claim


def actor_of(request: HttpRequest) -> Actor:
    return Actor(user=request.user, ip=request.META.get("REMOTE_ADDR"))


def submission_accepted(request, form) -> bool:
    """Claim the form's one-time token; False (with a form error) if it was used."""
    try:
        submission_claim(token=form.cleaned_data["form_token"], user=request.user)
    except AlreadySubmitted:
        form.add_error(None, "This form was already submitted: it was not processed twice.")
        return False
    return True


def _form_again(form_class, request, **kwargs):
    """The same input again with a new token and, after a conflict, the fresh ``updated``."""
    data = request.POST.copy()
    segment = kwargs.get("segment")
    if segment is not None:
        data["expected_updated"] = segment.updated.isoformat()
    form = form_class(data, **kwargs)
    form.renew_token()
    return form


def _segment_action(
    request,
    segment,
    *,
    form_class,
    template: str,
    back: str,
    apply,
    finished=(Outcome.DONE,),
) -> HttpResponse:
    """One dialog-or-page form acting on one segment: validate, claim the form's
    token, call the service; on success close and reload, otherwise show the form
    again with what was typed, a new token and (after a conflict) the fresh values."""
    form = form_class(request.POST or None, segment=segment)
    result = None
    if request.method == "POST" and form.is_valid() and submission_accepted(request, form):
        result = apply(form.cleaned_data)
        if result.outcome in finished:
            return action_finished(request, result, back=back)
        segment = result.segment or segment
        form = _form_again(form_class, request, segment=segment)
    context = {
        "segment": segment,
        "form": form,
        "result": result,
        "next": back,
        "after": after_choice(request),
    }
    return form_page(request, template, context)


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def segment_extend(request: HttpRequest, segment_id: int) -> HttpResponse:
    return _segment_action(
        request,
        selectors.segment_get(segment_id=segment_id, visible=True),
        form_class=ExtendForm,
        template="segments/extend.html",
        back=next_url(request, reverse("segment-detail", args=[segment_id])),
        apply=lambda data: platform_writes.segment_extend(
            actor=actor_of(request),
            segment_id=segment_id,
            new_end_date=data["new_end_date"],
            # A preset counts from the platform's exact end date (100-ns precision).
            days=data["preset"],
            expected_updated=data["expected_updated"],
        ),
    )


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    return _segment_action(
        request,
        selectors.segment_get(segment_id=segment_id, visible=True),
        form_class=DeleteForm,
        template="segments/delete.html",
        back=next_url(request, reverse("segment-list")),
        apply=lambda data: deletes.segment_delete_confirmed(
            actor=actor_of(request),
            segment_id=segment_id,
            expected_updated=data["expected_updated"],
        ),
        # Already gone on the platform: the mirror was reconciled, the dialog is done.
        finished=(Outcome.DONE, Outcome.NOT_FOUND),
    )


# --- bulk ------------------------------------------------------------------------


@require_POST
@permission_required(OPERATE, raise_exception=True)
def bulk_prepare(request: HttpRequest) -> HttpResponse:
    """Step one: fix the exact set of segments (the selection, or the whole filter)."""
    intent = request.POST.get("intent", "")
    action, _, scope = intent.partition("-")
    if action not in BulkRun.Action.values or scope not in ("selected", "filter"):
        return HttpResponse("Unknown bulk action.", status=400)
    if scope == "selected":
        ids = MultipleIdsField().clean(request.POST.getlist("selected"))
        ids = selectors.segment_ids_visible(segment_ids=ids)
    else:
        ids = selectors.segment_ids_matching(
            filters=QueryDict(request.POST.get("query", "")), user=request.user
        )
    if not ids:
        messages.warning(request, "No segments were selected: nothing to do.")
        if request.htmx:
            return messages_only(request)
        return redirect(next_url(request, reverse("segment-list")))
    run = bulk.bulk_run_create(
        actor=actor_of(request),
        action=action,
        segment_ids=ids,
        params={},
        query=request.POST.get("query", ""),
    )
    return form_page(request, "segments/bulk_confirm.html", _bulk_context(run, _bulk_form(run)))


def _bulk_form(run: BulkRun, data=None) -> BulkConfirmForm:
    # Segments being deleted already: their delete (or extend) is reported, nothing
    # sent. What the run would send, and a delete's typed number, count without them.
    deleting = open_deletes_among(segment_ids=run.segment_ids)
    return BulkConfirmForm(data, run=run, to_send=run.total - deleting)


def _bulk_context(run: BulkRun, form: BulkConfirmForm) -> dict:
    return {
        "run": run,
        "form": form,
        "sample": selectors.bulk_run_sample(run=run),
        "deleting": run.total - form.to_send,
        "to_send": form.to_send,
    }


@require_POST
@permission_required(OPERATE, raise_exception=True)
def bulk_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    """Step two: the operator who prepared the run confirmed the exact number; queue it."""
    run = selectors.bulk_run_get(run_id=run_id)
    target = reverse("bulk-run", args=[run.pk])
    if run.confirmed_at is not None:
        messages.info(request, _already_confirmed(run))
        return go_to(request, target)
    if run.created_by_id != request.user.pk:
        preparer = run.created_by.username if run.created_by else "another operator"
        messages.error(
            request,
            f"Only {preparer}, who prepared this bulk run, can confirm it: nothing was done. "
            "Prepare your own from the segments table.",
        )
        return go_to(request, target)
    form = _bulk_form(run, request.POST)
    if not (form.is_valid() and submission_accepted(request, form)):
        return form_page(request, "segments/bulk_confirm.html", _bulk_context(run, form))
    claimed = bulk.bulk_run_confirm(
        run=run,
        actor=actor_of(request),
        days=form.cleaned_data.get("days"),
        end_date=form.cleaned_data.get("end_date"),
    )
    if not claimed:  # confirmed meanwhile, from another tab
        messages.info(request, _already_confirmed(selectors.bulk_run_get(run_id=run.pk)))
    return go_to(request, target)


def _already_confirmed(run: BulkRun) -> str:
    who = run.confirmed_by.username if run.confirmed_by else "someone"
    return f"This bulk run was already confirmed by {who}: nothing was changed."


@require_GET
@permission_required(VIEW, raise_exception=True)
def bulk_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.bulk_run_get(run_id=run_id)
    template = "segments/bulk_run.html"
    if request.htmx:
        template += "#status"
    context = {
        "run": run,
        "report": selectors.bulk_run_report(run=run),
        "list_url": selectors.bulk_run_list_url(run=run),
        "waiting": bulk_run_deletes_waiting(run=run),
    }
    return render(request, template, context)


@require_POST
@permission_required(OPERATE, raise_exception=True)
def bulk_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.bulk_run_get(run_id=run_id, started=True)
    if not run.finished:
        return HttpResponse("This bulk run is still running.", status=409)
    retry, created = bulk.bulk_run_retry(run=run, actor=actor_of(request))
    if not created:
        messages.info(
            request,
            f"Run {run.pk} was already retried as run {retry.pk}: nothing was sent again.",
        )
    return go_to(request, reverse("bulk-run", args=[retry.pk]))


# --- create and activate ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def audience_create(request: HttpRequest) -> HttpResponse:
    form = CreateAudienceForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid() and submission_accepted(request, form):
        result = audience_writes.audience_create(
            actor=actor_of(request),
            name=form.cleaned_data["name"],
            campaign_id=form.cleaned_data["campaign_id"],
            description=form.cleaned_data["description"],
        )
        if result.ok:
            messages.success(request, result.message)
            return go_to(request, reverse("audience-detail", args=[result.details["audience_id"]]))
        form = _form_again(CreateAudienceForm, request)
    return form_page(request, "segments/audience_create.html", {"form": form, "result": result})


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def audience_activate(request: HttpRequest, audience_id: int) -> HttpResponse:
    audience = selectors.audience_get(audience_id=audience_id, active=True)
    accounts = selectors.account_choices()
    form = ActivateForm(request.POST or None, accounts=accounts)
    result = None
    if request.method == "POST" and form.is_valid() and submission_accepted(request, form):
        data = form.cleaned_data
        result = audience_writes.audience_activate(
            actor=actor_of(request),
            audience_id=audience_id,
            account_id=data["account"],
            name=data["name"],
            description=data["description"],
            start_date=data["start_date"],
            end_date=data["end_date"],
        )
        if result.ok:
            messages.success(request, result.message)
            return go_to(request, reverse("segment-detail", args=[result.segment.segment_id]))
        form = _form_again(ActivateForm, request, accounts=accounts)
    return form_page(
        request,
        "segments/activate.html",
        {"audience": audience, "form": form, "result": result},
    )


# --- activity ------------------------------------------------------------------


@require_GET
@permission_required(VIEW, raise_exception=True)
def activity(request: HttpRequest) -> HttpResponse:
    filters = selectors.activity_filter(data=request.GET)
    form = filters.form
    table = AuditTable(filters.qs)
    if not any(value for name, value in request.GET.items() if name in form.fields):
        table.empty_text = "No activity yet: every change made from Segment Desk shows here."
    return table_page(
        request,
        "segments/activity.html",
        table=table,
        per_page=form.page_size,
        context={"form": form},
    )
