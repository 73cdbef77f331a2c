"""Expiry policy pages: operators create, edit, pause and resume; viewers read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from segments.action_views import actor_of
from segments.models import ExpiryPolicy
from segments.permissions import OPERATE, VIEW
from segments.policy_forms import PolicyForm
from segments.selectors.policies import (
    policy_covers_any,
    policy_exclusions,
    policy_extension_count,
    policy_find,
    policy_flagged,
    policy_list,
    policy_recent_items,
    policy_scope_names,
    policy_scope_problems,
)
from segments.services import policies as policy_services


@require_GET
@permission_required(VIEW, raise_exception=True)
def policies(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/policy_list.html", {"policies": policy_list()})


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_form(request, ExpiryPolicy())


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = policy_find(policy_id=policy_id)
    return _gone(request, policy_id) if policy is None else _policy_form(request, policy)


def _policy_form(request: HttpRequest, policy: ExpiryPolicy) -> HttpResponse:
    """The form; "Dry run" shows what the policy as typed would change now, "Save" saves.
    A save over a change made since the form was loaded is refused: the form is shown
    again as the policy now is, with what changed."""
    form = PolicyForm(request.POST or None, instance=policy)
    dry_run = changed = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("intent") != "save":
            dry_run = _dry_run_context(form.instance)
        else:
            try:
                saved = policy_services.policy_save(
                    policy=form.instance, user=request.user, loaded=form.cleaned_data["loaded"]
                )
            except ExpiryPolicy.DoesNotExist:
                return _gone(request, policy.pk)
            except policy_services.PolicyNameTaken:
                form.add_error(
                    "name", "A policy of this name was saved meanwhile: choose another name."
                )
            except policy_services.PolicyChanged as conflict:
                changed, policy = conflict, conflict.policy  # the heading: as it is now
                form = PolicyForm(instance=policy)
            else:
                messages.success(request, f"Policy “{saved.name}” saved.")
                return redirect("policy-detail", policy_id=saved.pk)
    return render(
        request,
        "segments/policy_form.html",
        {"form": form, "policy": policy, "dry_run": dry_run, "changed": changed},
    )


def _gone(request: HttpRequest, policy_id: int) -> HttpResponse:
    """A policy that is not there (deleted, by this tab's time): said on the policy list,
    a 404 for a page, a redirect after an action."""
    messages.error(
        request,
        f"No expiry policy has the id {policy_id}: it was deleted (the activity says by "
        "whom), or never existed.",
    )
    if request.method == "GET":
        return render(request, "segments/policy_list.html", {"policies": policy_list()}, status=404)
    return redirect("policy-list")


def _dry_run_context(policy: ExpiryPolicy) -> dict:
    return {
        "changes": policy_services.policy_dry_run(policies=[policy]),
        "problems": policy_scope_problems(policy=policy),
        "covers_any": policy_covers_any(policy=policy),
    }


@require_GET
@permission_required(VIEW, raise_exception=True)
def policy_detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = policy_find(policy_id=policy_id)
    if policy is None:
        return _gone(request, policy_id)
    policy_scope_names(policies=[policy])
    return render(
        request,
        "segments/policy_detail.html",
        {
            "policy": policy,
            "exclusions": policy_exclusions(policy=policy),
            "edits": policy.edits.all()[:50],
            "items": policy_recent_items(policy=policy),
            "flagged": policy_flagged(policy=policy),
            "dry_run": _dry_run_context(policy),
        },
    )


@require_POST
@permission_required(OPERATE, raise_exception=True)
def policy_pause(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = policy_find(policy_id=policy_id)
    if policy is None:
        return _gone(request, policy_id)
    paused = request.POST.get("paused") == "1"
    try:
        changed = policy_services.policy_set_paused(policy=policy, user=request.user, paused=paused)
    except ExpiryPolicy.DoesNotExist:  # deleted since
        return _gone(request, policy_id)
    if changed:
        messages.success(request, f"Policy “{policy.name}” {'paused' if paused else 'resumed'}.")
    else:
        state = "paused" if paused else "active"
        messages.info(request, f"Policy “{policy.name}” was {state} already: nothing changed.")
    return redirect("policy-detail", policy_id=policy.pk)


@require_http_methods(["GET", "POST"])
@permission_required(OPERATE, raise_exception=True)
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    """Asks first (GET), deletes on the confirmation (POST)."""
    policy = policy_find(policy_id=policy_id)
    if policy is None:
        return _gone(request, policy_id)
    if request.method == "GET":
        return render(
            request,
            "segments/policy_delete.html",
            {"policy": policy, "extensions": policy_extension_count(policy=policy)},
        )
    if policy_services.policy_delete(policy=policy, actor=actor_of(request)):
        messages.success(request, f"Policy “{policy.name}” deleted.")
    else:
        messages.info(request, f"Policy “{policy.name}” was deleted already.")
    return redirect("policy-list")
