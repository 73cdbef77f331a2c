"""Thin views: validate input, call selectors and services, render.

Each list view serves the full page and, for an HTMX request, only the
``#table`` partial of the same template.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from segments import presentation, selectors
from segments.exports import segment_export_rows
from segments.forms import AudienceFilterForm, ExtendForm, SegmentFilterForm
from segments.models import Audience, Segment, SegmentCountSnapshot
from segments.remote import RemoteError
from segments.services import sync
from segments.tables import AccountTable, AudienceTable, SegmentTable, configure

VIEW = "segments.view_segment"


def _page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    # htmx restoring a history entry (Back after hx-push-url) swaps in the whole body.
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        template = f"{template}#table"
    response = render(request, template, context)
    # One URL, two bodies: caches, the browser's Back included, must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response


@require_GET
@permission_required(VIEW, raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    figures = selectors.overview_figures()
    return render(
        request,
        "segments/overview.html",
        {
            **figures,
            "queue": selectors.attention_queue()[:15],
            "queue_count": selectors.attention_queue().count(),
            "expiring": selectors.expiring_segments()[:10],
            "problems": selectors.problem_segments().order_by("-total_failed_count")[:10],
            "sync_states": selectors.sync_states(),
            "expiring_days": selectors.EXPIRING_DAYS,
        },
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def segment_list(request: HttpRequest) -> HttpResponse:
    form = SegmentFilterForm(request.GET, choices=selectors.segment_filter_choices())
    table = SegmentTable.for_user(selectors.segment_list(filters=form.filters()), request.user)
    configure(table, request, per_page=form.per_page)
    return _page(
        request,
        "segments/segment_list.html",
        {"form": form, "table": table, "query": request.GET.urlencode()},
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def segment_export(request: HttpRequest) -> StreamingHttpResponse:
    """The current filtered view as CSV, streamed row by row."""
    form = SegmentFilterForm(request.GET, choices=selectors.segment_filter_choices())
    queryset = selectors.segment_list(filters=form.filters())

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    rows = (writer.writerow(row) for row in segment_export_rows(queryset))
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segments-{stamp}.csv"'
    return response


@require_GET
@permission_required(VIEW, raise_exception=True)
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_or_404(
        Segment.objects.select_related("audience", "account"), segment_id=segment_id
    )
    history = list(
        SegmentCountSnapshot.objects.filter(segment_id=segment_id).order_by("-taken_at")[:60]
    )[::-1]
    return render(
        request,
        "segments/segment_detail.html",
        {
            **selectors.team_context(segment=segment),
            "snapshots": history,
            "last_snapshot": history[-1] if history else None,
            "chart": presentation.history_chart(history),
            "extend_form": ExtendForm(segment=segment) if not segment.is_deleted else None,
        },
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def audience_list(request: HttpRequest) -> HttpResponse:
    form = AudienceFilterForm(request.GET)
    table = AudienceTable(selectors.audience_list(filters=form.filters()))
    configure(table, request, per_page=form.per_page)
    return _page(request, "segments/audience_list.html", {"form": form, "table": table})


@require_GET
@permission_required(VIEW, raise_exception=True)
def audience_detail(request: HttpRequest, audience_id: int) -> HttpResponse:
    audience = get_object_or_404(Audience, id=audience_id)
    table = SegmentTable.for_user(
        selectors.segment_list(filters={"audience": audience.id}),
        request.user,
        empty_text="This audience is not active on any platform account yet.",
    )
    configure(table, request, per_page=50)
    return _page(request, "segments/audience_detail.html", {"audience": audience, "table": table})


@require_GET
@permission_required(VIEW, raise_exception=True)
def account_list(request: HttpRequest) -> HttpResponse:
    table = AccountTable(selectors.account_list())
    configure(table, request, per_page=50)
    return _page(request, "segments/account_list.html", {"table": table})


@require_POST
@permission_required(VIEW, raise_exception=True)
def refresh(request: HttpRequest) -> HttpResponse:
    """Refresh the whole platform, one audience or one segment from the remote."""
    scope = request.POST.get("scope", "all")
    target = request.POST.get("id", "")
    back = request.POST.get("next") or reverse("overview")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("overview")
    try:
        if scope == "segment" and target.isdigit():
            found = sync.segment_refresh(segment_id=int(target))
            text = (
                "Segment refreshed from the platform."
                if found
                else ("The platform no longer has this segment: it is now hidden from the tables.")
            )
        elif scope == "audience" and target.isdigit():
            count = sync.audience_refresh(audience_id=int(target))
            text = f"Audience refreshed: {count} segments from the platform."
        else:
            report = sync.sync_start(full=request.POST.get("full") == "1")
            if report is None:
                text = "A refresh of the whole platform is running: its progress shows at the top."
            elif report.ok:
                text = (
                    f"Platform refreshed: {report.audiences_seen} audiences, "
                    f"{report.segments_written} segments."
                )
            else:
                raise RemoteError("; ".join(report.errors))
    except RemoteError as exc:
        messages.error(
            request,
            f"The refresh failed: {exc}. What you see is the last synced copy "
            f"({_data_age()}). Try again in a minute; if it keeps failing, check the "
            "platform's status page.",
        )
        if request.htmx:
            return render(request, "segments/_messages.html", {"retarget": True})
        return redirect(back)
    messages.success(request, text)
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect(back)


def _data_age() -> str:
    synced_at = selectors.sync_banner()["synced_at"]
    if synced_at is None:
        return "never synced"
    return f"last successful sync {timesince(synced_at)} ago"


@require_GET
@permission_required(VIEW, raise_exception=True)
def sync_banner(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/_sync_banner.html", {"sync_banner": selectors.sync_banner()})


@require_GET
@permission_required(VIEW, raise_exception=True)
def sync_status(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/_sync_status.html", {"sync_states": selectors.sync_states()})
