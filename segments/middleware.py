import contextlib
import zoneinfo
from urllib.parse import unquote

from django.utils import timezone


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
