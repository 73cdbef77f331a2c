import contextlib
import zoneinfo
from urllib.parse import unquote

from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect


class OperatorTimeZoneMiddleware:
    """Show dates in the operator's zone: the browser reports it in the ``tz`` cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        # desk.js writes the zone with encodeURIComponent: "Europe%2FAmsterdam".
        if name := unquote(request.COOKIES.get("tz", ""))[:64]:
            with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                timezone.activate(zoneinfo.ZoneInfo(name))
        return self.get_response(request)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, but an HTMX request whose session has ended (logged out in another
    tab, or expired) sends the whole page to the login, which brings the user back
    to that page. Redirected as usual, htmx would swap the login page into the part
    it updates (a dialog, the review panel)."""

    def handle_no_permission(self, request, view_func):
        htmx = getattr(request, "htmx", None)
        if not htmx:
            return super().handle_no_permission(request, view_func)
        page = htmx.current_url_abs_path or "/"
        login_url = resolve_url(self.get_login_url(view_func))
        login = redirect_to_login(page, login_url, self.get_redirect_field_name(view_func))
        return HttpResponseClientRedirect(login.url)


class NoStoreMiddleware:
    """Every page is the mirror's state at one moment: the browser must not show it
    again from its cache (Back showed a row still ticked and offering Delete for a
    segment being deleted since), nor keep it on disk. Static files, served before
    this (WhiteNoise), keep their own long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
