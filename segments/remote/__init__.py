"""Clients of the remote audience platform: one per API, typed records out,
one error hierarchy. ``segment_api()`` and ``list_api()`` build them from
settings; everything else in the project goes through them."""

from django.conf import settings

from segments.remote.errors import (
    AuthError,
    BadResponse,
    Conflict,
    InvalidRequest,
    NotFound,
    RateLimited,
    RemoteError,
    Unavailable,
    ValidationError,
)
from segments.remote.list_api import AudienceQuery, DateRange, ListApiClient
from segments.remote.records import Account, Audience, AudienceRow, Segment
from segments.remote.segment_api import SegmentApiClient
from segments.remote.transport import TransportConfig

__all__ = [
    "Account",
    "Audience",
    "AudienceQuery",
    "AudienceRow",
    "AuthError",
    "BadResponse",
    "Conflict",
    "DateRange",
    "InvalidRequest",
    "ListApiClient",
    "NotFound",
    "RateLimited",
    "RemoteError",
    "Segment",
    "SegmentApiClient",
    "TransportConfig",
    "Unavailable",
    "ValidationError",
    "list_api",
    "segment_api",
]


def segment_api() -> SegmentApiClient:
    remote = settings.REMOTE
    return SegmentApiClient(
        remote["SEGMENT_API_URL"],
        username=remote["SEGMENT_API_USERNAME"],
        password=remote["SEGMENT_API_PASSWORD"],
        cookie=remote["SEGMENT_API_COOKIE"],
        config=TransportConfig.from_settings(remote),
    )


def list_api() -> ListApiClient:
    remote = settings.REMOTE
    return ListApiClient(
        remote["LIST_API_URL"],
        api_key=remote["LIST_API_KEY"],
        config=TransportConfig.from_settings(remote),
    )
