import contextlib
import zoneinfo

from django.utils import timezone


class OperatorTimeZoneMiddleware:
    """Show dates in the operator's zone: the browser reports it in the ``tz`` cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        if name := request.COOKIES.get("tz", "")[:64]:
            with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                timezone.activate(zoneinfo.ZoneInfo(name))
        return self.get_response(request)
