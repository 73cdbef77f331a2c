"""Team webhooks: which URLs are allowed, the Slack-compatible payload, the signature, one POST.

A delivery is signed so that a receiver can trust it: the
``X-Segment-Desk-Timestamp`` header holds the Unix time of the attempt and
``X-Segment-Desk-Signature`` holds ``sha256=`` followed by the hex HMAC-SHA256,
keyed with the webhook's secret, of ``"<timestamp>." + body``. A receiver
recomputes it over the raw body and compares in constant time (and may refuse
old timestamps). Redirects are not followed: a webhook answers itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from segments.alerts.messages import AlertLine, absolute_url

SIGNATURE_HEADER = "X-Segment-Desk-Signature"
TIMESTAMP_HEADER = "X-Segment-Desk-Timestamp"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
# One URL per webhook is a unique index: PostgreSQL's B-tree entries hold at most
# 2,704 bytes, and a 1,000-character URL of non-Latin letters is three times that.
URL_MAX_BYTES = 2000


def _host_key(url: str) -> tuple[str, int | None]:
    """(host, port) with loopback names folded together and the scheme's default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        if ipaddress.ip_address(host).is_loopback:
            host = "localhost"
    except ValueError:
        if host in _LOOPBACK_NAMES:
            host = "localhost"
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        port = None
    return host, port


def webhook_url_validate(url: str) -> None:
    """Refuse a URL that is not http(s), has no host, points at the dashboard itself
    (``SITE_URL``'s host and port, or one of ``ALLOWED_HOSTS`` on that port), or is
    longer than ``URL_MAX_BYTES`` in UTF-8."""
    if len(url.encode()) > URL_MAX_BYTES:
        raise ValidationError(
            f"This URL is too long: a webhook URL has at most {URL_MAX_BYTES:,} bytes."
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError("A webhook URL must start with http:// or https:// and name a host.")
    host, port = _host_key(url)
    site_host, site_port = _host_key(settings.SITE_URL)
    ours = {site_host} | {
        _host_key(f"http://{name}")[0] for name in settings.ALLOWED_HOSTS if "*" not in name
    }
    if port is None or (host in ours and port == site_port):
        raise ValidationError("A webhook must not point at Segment Desk itself.")


def _slack(text: str) -> str:
    """Slack's escaping of ``&``, ``<`` and ``>`` in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(*, alerts: Sequence[AlertLine]) -> dict:
    """Slack-compatible JSON: ``text`` for any chat, and one attachment with fields per alert."""
    count = len(alerts)
    lines = [
        f"• {_slack(a.condition)}: <{a.url}|{_slack(a.segment_name)}> · {_slack(a.detail)}"
        for a in alerts
    ]
    return {
        "text": f"Segment Desk: {count} alert{'' if count == 1 else 's'}\n" + "\n".join(lines),
        "attachments": [
            {
                "fallback": f"{a.condition}: {a.segment_name} · {a.detail}",
                "color": "danger" if a.urgent else "warning",
                "title": a.segment_name,
                "title_link": a.url,
                "fields": [
                    {"title": "Condition", "value": a.condition, "short": True},
                    {"title": "Segment id", "value": str(a.segment_id or "—"), "short": True},
                    {"title": "Found", "value": a.detail, "short": False},
                ],
            }
            for a in alerts
        ],
        "segment_desk": {
            "overview": absolute_url(reverse("overview")),
            "alerts": [
                {
                    "segment_id": a.segment_id,
                    "segment": a.segment_name,
                    "condition": a.condition,
                    "detail": a.stored_detail or a.detail,  # date-times in UTC, as ever
                    "url": a.url,
                }
                for a in alerts
            ],
        },
    }


def webhook_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


@dataclass(frozen=True)
class Attempt:
    """How one POST ended: ``ok`` on a 2xx; ``status`` is None when no answer came."""

    ok: bool
    status: int | None
    error: str


def webhook_post(*, url: str, secret: str, body: bytes) -> Attempt:
    """POST ``body`` once, signed, with the webhook timeouts; never raises for the network."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SegmentDesk-Webhook/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: webhook_signature(secret=secret, timestamp=timestamp, body=body),
    }
    timeout = (settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT)
    try:
        answer = requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        return Attempt(False, None, f"No answer within {timeout[1]:g} s")
    except requests.RequestException as exc:
        return Attempt(False, None, f"Could not connect: {type(exc).__name__}")
    ok = 200 <= answer.status_code < 300
    # The status's reason, not the body: a receiver's error page can quote the URL
    # it was called at, a token in its query included (the log is shown on a page).
    error = "" if ok else (answer.reason or "refused")[:100]
    return Attempt(ok, answer.status_code, error)
