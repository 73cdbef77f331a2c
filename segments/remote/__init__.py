"""Clients of the remote audience platform: one per API, typed records out,
one error hierarchy. ``segment_api()`` and ``list_api()`` hand out this
process's client of each API (one pooled session, one login, shared by the
request threads and the tasks); everything else in the project goes through them."""

import os
import threading
from contextlib import AbstractContextManager, nullcontext

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
from segments.remote.records import Account, Audience, AudienceRow, Segment, record_row
from segments.remote.segment_api import Answer, SegmentApiClient
from segments.remote.transport import TransportConfig

__all__ = [
    "Account",
    "Answer",
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
    "clients_reset",
    "list_api",
    "record_row",
    "segment_api",
]


_clients: dict[str, tuple[tuple, object]] = {}
_clients_lock = threading.Lock()


def _shared(kind: str, build):
    """This process's client of ``kind``, built again only when the settings change
    (tests point them elsewhere) or in a forked child, which must not share its
    parent's connections; the replaced client's session is closed (a parent's is
    left to the parent)."""
    pid = os.getpid()
    key = (pid, tuple(sorted(settings.REMOTE.items())))
    with _clients_lock:
        current = _clients.get(kind)
        if current is not None and current[0] == key:
            return current[1]
        client = build(settings.REMOTE)
        _clients[kind] = (key, client)
    if current is not None and current[0][0] == pid:
        current[1].close()
    return client


def _build_segment_api(remote: dict) -> SegmentApiClient:
    return SegmentApiClient(
        remote["SEGMENT_API_URL"],
        username=remote["SEGMENT_API_USERNAME"],
        password=remote["SEGMENT_API_PASSWORD"],
        cookie=remote["SEGMENT_API_COOKIE"],
        config=TransportConfig.from_settings(remote),
    )


def _build_list_api(remote: dict) -> ListApiClient:
    return ListApiClient(
        remote["LIST_API_URL"],
        api_key=remote["LIST_API_KEY"],
        config=TransportConfig.from_settings(remote),
    )


def segment_api() -> AbstractContextManager[SegmentApiClient]:
    """``with segment_api() as client``: the process's Segment API client (left open)."""
    return nullcontext(_shared("segment_api", _build_segment_api))


def list_api() -> AbstractContextManager[ListApiClient]:
    """``with list_api() as client``: the process's List API client (left open)."""
    return nullcontext(_shared("list_api", _build_list_api))


def clients_reset() -> None:
    """Close this process's clients; the next use builds (and logs in) afresh."""
    with _clients_lock:
        dropped = [client for _, client in _clients.values()]
        _clients.clear()
    for client in dropped:
        client.close()
