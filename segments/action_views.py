"""Views that change things. Every one needs the operate permission (viewers get
403), every write is a POST with CSRF, and each form is processed once.

A form view serves the full page (no JavaScript) or, for HTMX, the ``#form``
partial shown in the page's dialog. Success closes the dialog and tells the
page to reload its table; failure re-renders the form with what was typed.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from segments import selectors
from segments.forms import (
    ActivateForm,
    ActivityFilterForm,
    BulkConfirmForm,
    CreateAudienceForm,
    DeleteForm,
    ExtendForm,
    NoteForm,
    ReviewForm,
    SegmentFilterForm,
)
from segments.models import Account, Audience, BulkRun, Segment
from segments.services import actions, bulk
from segments.tables import AuditTable, configure

OPERATE = "segments.operate_segment"
VIEW = "segments.view_segment"


def actor_of(request: HttpRequest) -> actions.Actor:
    return actions.Actor(user=request.user, ip=request.META.get("REMOTE_ADDR"))


def _form_page(request, template: str, context: dict) -> HttpResponse:
    """The form as a page, or for HTMX as the dialog's content (opening the dialog)."""
    if not request.htmx:
        return render(request, template, context)
    response = render(request, f"{template}#form", context)
    response["HX-Trigger-After-Swap"] = "open-dialog"
    return response


def _done(request, result: actions.ActionResult, *, back: str) -> HttpResponse:
    """The action took effect: say so, then close the dialog and reload what shows it.

    ``after`` in the form: ``refresh`` reloads the page (detail page), ``redirect``
    goes to ``next``; otherwise the page's table reloads itself.
    """
    if result.ok:
        messages.success(request, result.message)
    else:
        messages.warning(request, result.message)
    after = request.POST.get("after")
    if not request.htmx:
        return redirect(back)
    if after == "refresh":
        return HttpResponseClientRefresh()
    if after == "redirect":
        return HttpResponseClientRedirect(back)
    response = render(request, "segments/_messages.html", {"retarget": True})
    response["HX-Reswap"] = "none"
    response["HX-Trigger"] = json.dumps({"close-dialog": True, "segments-changed": True})
    return response


def _claimed(request, form) -> bool:
    """Claim the form's one-time token; False (with a message) if it was used."""
    try:
        actions.submission_claim(token=form.cleaned_data["form_token"], user=request.user)
    except actions.AlreadySubmitted:
        form.add_error(None, "This form was already submitted: it was not processed twice.")
        return False
    return True


def _after(request) -> str:
    after = request.POST.get("after") or request.GET.get("after") or ""
    return after if after in ("refresh", "redirect") else ""


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    return target if target.startswith("/") and not target.startswith("//") else default


def _segment_action(
    request,
    segment,
    *,
    form_class,
    template: str,
    back: str,
    apply,
    finished=(actions.Outcome.DONE,),
) -> HttpResponse:
    """One dialog-or-page form acting on one segment: validate, claim the form's
    token, call the service; on success close and reload, otherwise show the form
    again with what was typed, a new token and (after a conflict) the fresh values."""
    form = form_class(request.POST or None, segment=segment)
    result = None
    if request.method == "POST" and form.is_valid() and _claimed(request, form):
        result = apply(form.cleaned_data)
        if result.outcome in finished:
            return _done(request, result, back=back)
        segment = result.segment or segment
        form = _rebound(form_class, request, segment=segment)
    context = {
        "segment": segment,
        "form": form,
        "result": result,
        "next": back,
        "after": _after(request),
    }
    return _form_page(request, template, context)


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def segment_extend(request: HttpRequest, segment_id: int) -> HttpResponse:
    return _segment_action(
        request,
        get_object_or_404(Segment.objects.visible(), segment_id=segment_id),
        form_class=ExtendForm,
        template="segments/extend.html",
        back=_back(request, reverse("segment-detail", args=[segment_id])),
        apply=lambda data: actions.segment_extend(
            actor=actor_of(request),
            segment_id=segment_id,
            new_end_date=data["new_end_date"],
            expected_updated=data["expected_updated"],
        ),
    )


def _rebound(form_class, request, **kwargs):
    """The same input again with a new token and, after a conflict, the fresh ``updated``."""
    data = request.POST.copy()
    segment = kwargs.get("segment")
    if segment is not None:
        data["expected_updated"] = segment.updated.isoformat()
    form = form_class(data, **kwargs)
    form.renew_token()
    return form


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_or_404(
        Segment.objects.visible().select_related("audience", "account"), segment_id=segment_id
    )
    return _segment_action(
        request,
        segment,
        form_class=DeleteForm,
        template="segments/delete.html",
        back=_back(request, reverse("segment-list")),
        apply=lambda data: actions.segment_delete(
            actor=actor_of(request),
            segment_id=segment_id,
            expected_updated=data["expected_updated"],
        ),
        # Already gone on the platform: the mirror was reconciled, the dialog is done.
        finished=(actions.Outcome.DONE, actions.Outcome.NOT_FOUND),
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
        ids = [int(i) for i in request.POST.getlist("selected") if i.isdigit()]
        ids = list(
            Segment.objects.visible()
            .filter(segment_id__in=ids)
            .values_list("segment_id", flat=True)
        )
    else:
        query = QueryDict(request.POST.get("query", ""))
        form = SegmentFilterForm(query, choices=selectors.segment_filter_choices())
        ids = list(
            selectors.segment_list(filters=form.filters())
            .order_by("end_date", "segment_id")
            .values_list("segment_id", flat=True)
        )
    if not ids:
        messages.warning(request, "No segments were selected: nothing to do.")
        if request.htmx:
            return render(request, "segments/_messages.html", {"retarget": True})
        return redirect(_back(request, reverse("segment-list")))
    run = bulk.bulk_run_create(actor=actor_of(request), action=action, segment_ids=ids, params={})
    form = BulkConfirmForm(run=run)
    return _form_page(request, "segments/bulk_confirm.html", _bulk_context(run, form))


def _bulk_context(run: BulkRun, form) -> dict:
    sample = Segment.objects.filter(segment_id__in=run.segment_ids[:10]).select_related("account")
    return {"run": run, "form": form, "sample": sample}


@require_POST
@permission_required(OPERATE, raise_exception=True)
def bulk_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    """Step two: the operator confirmed the exact number; start the run."""
    run = get_object_or_404(BulkRun, pk=run_id, started_at__isnull=True)
    form = BulkConfirmForm(request.POST, run=run)
    if not (form.is_valid() and _claimed(request, form)):
        return _form_page(request, "segments/bulk_confirm.html", _bulk_context(run, form))
    if run.action == BulkRun.Action.EXTEND:
        end_date = form.cleaned_data.get("end_date")
        run.params = {
            **run.params,
            "days": form.cleaned_data.get("days"),
            "end_date": end_date.isoformat() if end_date else None,
        }
        run.save(update_fields=["params"])
    bulk.bulk_run_start(run=run, actor=actor_of(request))
    target = reverse("bulk-run", args=[run.pk])
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@require_GET
@permission_required(VIEW, raise_exception=True)
def bulk_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(BulkRun.objects.select_related("created_by"), pk=run_id)
    template = "segments/bulk_run.html"
    if request.htmx:
        template += "#status"
    return render(request, template, {"run": run, "report": bulk.bulk_run_report(run=run)})


@require_POST
@permission_required(OPERATE, raise_exception=True)
def bulk_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(BulkRun, pk=run_id, started_at__isnull=False)
    if not (run.finished or run.interrupted):
        return HttpResponse("This bulk run is still running.", status=409)
    retry = bulk.bulk_run_retry(run=run, actor=actor_of(request))
    target = reverse("bulk-run", args=[retry.pk])
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


# --- create and activate ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def audience_create(request: HttpRequest) -> HttpResponse:
    form = CreateAudienceForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid() and _claimed(request, form):
        result = actions.audience_create(
            actor=actor_of(request),
            name=form.cleaned_data["name"],
            campaign_id=form.cleaned_data["campaign_id"],
            description=form.cleaned_data["description"],
        )
        if result.ok:
            messages.success(request, result.message)
            target = reverse("audience-detail", args=[result.details["audience_id"]])
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
        form = _rebound(CreateAudienceForm, request)
    return _form_page(request, "segments/audience_create.html", {"form": form, "result": result})


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def audience_activate(request: HttpRequest, audience_id: int) -> HttpResponse:
    audience = get_object_or_404(Audience, id=audience_id, is_deleted=False)
    accounts = [(a.id, str(a)) for a in Account.objects.all()]
    form = ActivateForm(request.POST or None, accounts=accounts)
    result = None
    if request.method == "POST" and form.is_valid() and _claimed(request, form):
        data = form.cleaned_data
        result = actions.audience_activate(
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
            target = reverse("segment-detail", args=[result.segment.segment_id])
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
        form = _rebound(ActivateForm, request, accounts=accounts)
    return _form_page(
        request,
        "segments/activate.html",
        {"audience": audience, "form": form, "result": result},
    )


# --- team review ----------------------------------------------------------------


@require_POST
@permission_required(OPERATE, raise_exception=True)
def segment_review(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_or_404(Segment, segment_id=segment_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        review = actions.review_set(
            actor=actor_of(request), segment_id=segment_id, state=form.cleaned_data["state"]
        )
        return _team_response(
            request, segment, f"Review state set to {review.get_state_display()}."
        )
    return _team_response(request, segment, "Choose a review state.", error=True)


@require_POST
@permission_required(OPERATE, raise_exception=True)
def segment_note(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_or_404(Segment, segment_id=segment_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        actions.note_add(
            actor=actor_of(request), segment_id=segment_id, text=form.cleaned_data["text"]
        )
        return _team_response(request, segment, "Note added.")
    return _team_response(request, segment, "Write a note of at most 4,000 characters.", error=True)


def _team_response(request, segment: Segment, text: str, *, error: bool = False) -> HttpResponse:
    """HTMX: the refreshed review and notes panel (itself the feedback); else back to the page."""
    if request.htmx:
        context = {**selectors.team_context(segment=segment), "team_error": text if error else ""}
        return render(request, "segments/segment_detail.html#team", context)
    (messages.error if error else messages.success)(request, text)
    return redirect("segment-detail", segment_id=segment.segment_id)


# --- activity ------------------------------------------------------------------


@require_GET
@permission_required(VIEW, raise_exception=True)
def activity(request: HttpRequest) -> HttpResponse:
    form = ActivityFilterForm(request.GET)
    table = AuditTable(selectors.activity_list(filters=form.filters()))
    configure(table, request, per_page=form.per_page)
    template = "segments/activity.html"
    if request.htmx and not request.htmx.boosted:
        template += "#table"
    return render(request, template, {"form": form, "table": table})
