"""Saved views of the segments table: list, save, open, share, default, delete."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from segments.filter_chips import filters_in_words
from segments.permissions import VIEW
from segments.responses import go_to
from segments.saved_view_forms import SavedViewForm
from segments.selectors.saved_views import (
    canonical_table_query,
    default_view,
    saved_view_defaulted_by,
    saved_view_filter,
    saved_view_list,
    saved_view_names,
    saved_views_coverage,
)
from segments.selectors.segments import segment_filter_choices
from segments.services.saved_views import (
    ScopeChangedMeanwhile,
    ScopeWouldWiden,
    SharingNotAllowed,
    ViewInUse,
    default_view_set,
    may_share,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)
from segments.tables import SegmentTable


def _open_url(query: str) -> str:
    return reverse("segment-list") + (f"?{query}" if query else "")


def _context(request: HttpRequest, form: SavedViewForm | None = None) -> dict:
    table = request.GET.get("table", "") or request.POST.get("table", "")
    current = canonical_table_query(QueryDict(table.lstrip("?")))
    views = list(saved_view_list(user=request.user))
    choices = segment_filter_choices()  # once for every view's filters
    for view in views:  # from what the list prefetched
        view.defaulted_by = saved_view_defaulted_by(view=view, other_than=request.user)
        view.in_words = _in_words(view, choices)
    return {
        **saved_views_coverage(views=views, table=current if table else None, user=request.user),
        "views": views,
        "current": current,
        "table": table,
        # Back to the table the views were opened from (or saved from), filters kept.
        "back": _open_url(current or "view=all"),
        "default": default_view(user=request.user),
        "form": form or SavedViewForm(initial={"table": table}),
        # A viewer saves personal views: no share box, no Share button.
        "can_share": may_share(request.user),
    }


def _in_words(view, choices: dict) -> str:
    """What the view shows, in words rather than its query string."""
    sort = SegmentTable.sort_in_words(QueryDict(view.query).get("sort", ""))
    filters = filters_in_words(form=saved_view_filter(view=view, choices=choices).form)
    return "; ".join(part for part in (filters or "All segments", sort) if part)


def _refused(request: HttpRequest, refused: PermissionDenied) -> HttpResponse:
    return render(request, "403.html", {"reason": str(refused)}, status=403)


@require_GET
@permission_required(VIEW, raise_exception=True)
def saved_views(request: HttpRequest) -> HttpResponse:
    """The page (no JavaScript) or, for HTMX, the bar above the segments table."""
    template = "segments/saved_views.html"
    if request.htmx:
        template += "#bar"
    return render(request, template, _context(request))


@require_POST
@permission_required(VIEW, raise_exception=True)
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the table as a view. A refused name comes back in the open form, beside the
    field that takes the focus, with the table's query kept for the next try: for HTMX
    the bar in place, else the page (400)."""
    form = SavedViewForm(request.POST, taken=saved_view_names(user=request.user))
    if form.is_valid():
        try:
            view = saved_view_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                params=form.params,
                shared=form.cleaned_data["shared"],
            )
        except SharingNotAllowed as refused:
            return _refused(request, refused)
        except IntegrityError:
            form.add_error("name", "You already have a view with this name.")
        else:
            messages.success(
                request,
                f"View “{view.name}” saved{' and shared with the team' if view.shared else ''}.",
            )
            return go_to(request, _open_url(view.query))
    if request.htmx:
        # htmx swaps only a 2xx response: the bar again, with the form's errors.
        return render(request, "segments/saved_views.html#bar", _context(request, form))
    return render(request, "segments/saved_views.html", _context(request, form), status=400)


@require_GET
@permission_required(VIEW, raise_exception=True)
def saved_view_open(request: HttpRequest, view_id: int) -> HttpResponse:
    """A view's own URL: the segments table with the view's query string."""
    view = get_object_or_404(saved_view_list(user=request.user), pk=view_id)
    return redirect(_open_url(view.query))


@require_POST
@permission_required(VIEW, raise_exception=True)
def saved_view_share(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_or_404(saved_view_list(user=request.user), pk=view_id)
    shared = request.POST.get("shared") == "1"
    others = saved_view_defaulted_by(view=view, other_than=request.user) if not shared else []
    try:
        saved_view_update(view=view, user=request.user, name=view.name, shared=shared)
    except SharingNotAllowed as refused:
        return _refused(request, refused)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ViewInUse as exc:
        messages.error(request, f"“{view.name}” stays shared. {exc}")
    else:
        state = "shared with the team" if shared else "now personal"
        messages.success(request, f"View “{view.name}” is {state}.{_no_longer_default(others)}")
    return redirect("saved-views")


@require_POST
@permission_required(VIEW, raise_exception=True)
def saved_view_edit(request: HttpRequest, view_id: int) -> HttpResponse:
    """Rename a view, or (with ``table``) store the table it was opened from in it."""
    view = get_object_or_404(saved_view_list(user=request.user), pk=view_id)
    data = {"name": view.name, **request.POST.dict()}
    form = SavedViewForm(data, taken=saved_view_names(user=request.user) - {view.name})
    table = request.POST.get("table", "")  # the table to store in the view
    came_from = table or request.POST.get("back", "")  # where the views page came from
    back = (
        f"{reverse('saved-views')}?{urlencode({'table': came_from})}"
        if came_from
        else reverse("saved-views")
    )
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    was = view.name
    try:
        saved_view_update(
            view=view,
            user=request.user,
            name=form.cleaned_data["name"],
            shared=view.shared,
            params=form.params if table else None,
            policies_seen=form.cleaned_data["policies_seen"] if table else None,
        )
    except (PermissionDenied, ScopeWouldWiden, ScopeChangedMeanwhile) as exc:
        messages.error(request, str(exc))
    except IntegrityError:
        messages.error(request, "You already have a view with this name.")
    else:
        changes = [f"is now “{view.name}”"] if view.name != was else []
        if table:
            changes.append("shows the table you came from")
        messages.success(request, f"View “{was}” {' and '.join(changes) or 'is unchanged'}.")
    return redirect(back)


@require_POST
@permission_required(VIEW, raise_exception=True)
def saved_view_remove(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_or_404(saved_view_list(user=request.user), pk=view_id)
    others = saved_view_defaulted_by(view=view, other_than=request.user)
    try:
        saved_view_delete(view=view, user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ViewInUse as exc:
        messages.error(request, f"“{view.name}” was not deleted. {exc}")
    else:
        messages.success(request, f"View “{view.name}” deleted.{_no_longer_default(others)}")
    return redirect("saved-views")


def _no_longer_default(others: list[str]) -> str:
    """What a view's owner is told when others opened the segments page with it."""
    if not others:
        return ""
    return f" It was the default view of {', '.join(others)}: they now open the plain table."


@require_POST
@permission_required(VIEW, raise_exception=True)
def saved_view_default(request: HttpRequest) -> HttpResponse:
    """Choose the view the segments page opens with (empty: the plain table)."""
    chosen = request.POST.get("view", "")
    view = None
    if chosen:
        if not (chosen.isascii() and chosen.isdigit() and len(chosen) < 19):
            return HttpResponse("Unknown view.", status=400)
        view = get_object_or_404(saved_view_list(user=request.user), pk=int(chosen))
    default_view_set(user=request.user, view=view)
    messages.success(
        request,
        f"The segments page now opens with “{view.name}”." if view else "Default view cleared.",
    )
    return redirect("saved-views")
