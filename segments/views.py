"""Views that read: validate input, call selectors (and the sync services), render.

Each list view serves the full page and, for an HTMX request, only the
``#table`` partial of the same template.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh
from django_tables2 import RequestConfig

from segments import charts, selectors
from segments.alerts import selectors as alert_selectors
from segments.exports import csv_lines, segment_export_rows
from segments.filter_chips import filter_chips
from segments.forms import ExtendForm, RefreshForm
from segments.navigation import next_url
from segments.permissions import VIEW
from segments.remote import AuthError, RemoteError
from segments.responses import messages_only, table_page
from segments.selectors.deletes import extend_blocked_by, open_delete, open_deletes
from segments.selectors.saved_views import default_view, table_columns
from segments.services import sync, sync_lock
from segments.services.outcomes import refresh_failed
from segments.tables import AccountTable, AudienceTable, SegmentTable
from segments.team_forms import team_forms


@require_GET
@permission_required(VIEW, raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/overview.html", selectors.overview())


@require_GET
@permission_required(VIEW, raise_exception=True)
def segment_list(request: HttpRequest) -> HttpResponse:
    if not request.GET and (default := default_view(user=request.user)) and default.query:
        # The plain page opens with the user's default view (its own URL, so Back works).
        return redirect(f"{request.path}?{default.query}")
    filters = selectors.segment_filter(data=request.GET, user=request.user)
    form = filters.form
    table = SegmentTable.for_user(
        filters.qs, request.user, columns=table_columns(request.GET), deleting=open_deletes()
    )
    chips, clear_url = filter_chips(form=form, params=request.GET)
    return table_page(
        request,
        "segments/segment_list.html",
        table=table,
        per_page=form.page_size,
        context={
            "form": form,
            "query": request.GET.urlencode(),
            "chips": chips,
            "clear_url": clear_url,
            # A chip removed a filter: the filter form comes along, out of band.
            "filters_oob": bool(request.htmx and (request.htmx.trigger or "").startswith("chip-")),
        },
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def column_chooser(request: HttpRequest) -> HttpResponse:
    """The column chooser's boxes, checked as in the table the page now shows."""
    shown = urlsplit(request.htmx.current_url or "").query if request.htmx else ""
    columns = table_columns(QueryDict(shown))
    return render(
        request,
        "segments/_column_choices.html",
        {"column_choices": SegmentTable.column_choices(columns)},
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def segment_export(request: HttpRequest) -> StreamingHttpResponse:
    """The current filtered view as CSV, in the table's order, streamed row by row."""
    queryset = selectors.segment_list(filters=request.GET, user=request.user)
    # The page's table, whose columns decide which sorts apply (one of a hidden column does not).
    table = SegmentTable.for_user(queryset, request.user, columns=table_columns(request.GET))
    RequestConfig(request, paginate=False).configure(table)  # its ``sort``
    # ``bom=1``: a byte order mark first, so Excel reads the file as UTF-8.
    rows = csv_lines(segment_export_rows(table.ordered_data()), bom=request.GET.get("bom") == "1")
    file_time = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segments-{file_time}.csv"'
    return response


@require_GET
@permission_required(VIEW, raise_exception=True)
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(segment_id=segment_id)
    team = selectors.team_context(segment=segment)
    history = selectors.segment_count_history(segment_id=segment_id)
    anomaly = alert_selectors.segment_anomaly(segment_id=segment_id)
    return render(
        request,
        "segments/segment_detail.html",
        {
            **team,
            **team_forms(team["review"]),
            "snapshots": history,
            "last_snapshot": history[-1] if history else None,
            "chart": charts.history_chart(history, anomaly_at=anomaly and anomaly.raised_at)
            if history
            else None,
            "anomaly": anomaly,
            "anomaly_rows": alert_selectors.anomaly_rows(anomaly),
            "extend_form": ExtendForm(segment=segment) if not segment.is_deleted else None,
            **_scheduled_delete(segment_id),
        },
    )


def _scheduled_delete(segment_id: int) -> dict:
    deleting = open_delete(segment_id=segment_id)
    return {
        "scheduled_delete": deleting,
        "extend_blocked": extend_blocked_by(deleting),
        "undo_seconds": settings.DELETE_UNDO_SECONDS,
    }


@require_GET
@permission_required(VIEW, raise_exception=True)
def audience_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.audience_filter(data=request.GET)
    form = filters.form
    table = AudienceTable(filters.qs)
    return table_page(
        request,
        "segments/audience_list.html",
        table=table,
        per_page=form.page_size,
        context={"form": form},
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def audience_detail(request: HttpRequest, audience_id: int) -> HttpResponse:
    audience = selectors.audience_get(audience_id=audience_id)
    # "All matching" from this page means this audience's segments.
    bulk_query = request.GET.copy()
    bulk_query["audience"] = str(audience.id)
    table = SegmentTable.for_user(
        selectors.segment_list(filters={"audience": audience.id}),
        request.user,
        empty_text="This audience is not active on any platform account yet.",
    )
    return table_page(
        request,
        "segments/audience_detail.html",
        table=table,
        per_page=50,
        context={"audience": audience, "bulk_query": bulk_query.urlencode()},
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def account_list(request: HttpRequest) -> HttpResponse:
    table = AccountTable(selectors.account_list())
    return table_page(request, "segments/account_list.html", table=table, per_page=50, context={})


@require_POST
@permission_required(VIEW, raise_exception=True)
def refresh(request: HttpRequest) -> HttpResponse:
    """Refresh the whole platform, one audience or one segment from the remote."""
    form = RefreshForm(request.POST)
    back = next_url(request, reverse("overview"))
    if not form.is_valid():
        # A mistyped scope or id is not a refresh of the whole platform.
        messages.error(request, "Nothing was refreshed: " + form.problem())
        return messages_only(request) if request.htmx else redirect(back)
    scope, target = form.cleaned_data["scope"] or "all", form.cleaned_data["id"]
    try:
        if scope == "segment" and target:
            found = sync.segment_refresh(segment_id=target)
            text = (
                "Segment refreshed from the platform."
                if found
                else ("The platform no longer has this segment: it is now hidden from the tables.")
            )
        elif scope == "audience" and target:
            count = sync.audience_refresh(audience_id=target)
            text = f"Audience refreshed: {count} segments from the platform."
        else:
            requested = sync_lock.sync_request(full=bool(form.cleaned_data.get("full")))
            report = requested.report
            if requested.running:
                text = f"{requested.running} Its progress shows at the top."
            elif requested.queued:
                text = "A refresh of the whole platform was queued: its progress shows at the top."
            elif report.ok:
                text = (
                    f"Platform refreshed: {report.audiences_seen} audiences, "
                    f"{report.segments_written} segments."
                )
            else:
                refused = AuthError if report.credentials_refused else RemoteError
                raise refused("; ".join(report.errors))
    except RemoteError as exc:
        messages.error(request, refresh_failed(exc, data_age=_data_age()))
        return messages_only(request) if request.htmx else redirect(back)
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
