"""Where a form sends the operator afterwards: ``next`` (a local path) and ``after``
(what an HTMX dialog does on success). One reading of each, for every view."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

AFTER_CHOICES = ("refresh", "redirect")


def next_url(request: HttpRequest, default: str) -> str:
    """The form's or the URL's ``next``, if it is a path on this site; else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or default
    local = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if local else default


def after_choice(request: HttpRequest) -> str:
    """``refresh`` (reload the page), ``redirect`` (go to ``next``), or "" (the page's
    table reloads itself)."""
    after = request.POST.get("after") or request.GET.get("after") or ""
    return after if after in AFTER_CHOICES else ""
