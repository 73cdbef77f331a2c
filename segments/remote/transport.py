"""HTTP plumbing shared by both clients: one pooled session, bounded retries,
and the mapping of every failure onto the error hierarchy.

Retries go through urllib3's ``Retry``: connection failures before the request
was sent are retried for every method; read failures and 429/5xx answers only
for the methods a client declares as reads. A write is never sent twice.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError, MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from segments.remote.errors import (
    AuthError,
    BadResponse,
    Conflict,
    NotFound,
    RateLimited,
    RemoteError,
    Unavailable,
    ValidationError,
)

logger = logging.getLogger("segments.remote")

# Assumed: the vendor documents no request-id header; these are the usual ones.
REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Correlation-Id")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class TransportConfig:
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_attempts: int = 3
    backoff_factor: float = 0.3
    backoff_jitter: float = 0.2
    retry_after_max: float = 30.0

    @classmethod
    def from_settings(cls, remote: dict[str, Any]) -> TransportConfig:
        return cls(
            connect_timeout=remote["CONNECT_TIMEOUT"],
            read_timeout=remote["READ_TIMEOUT"],
            max_attempts=remote["MAX_ATTEMPTS"],
            backoff_factor=remote["BACKOFF_FACTOR"],
            retry_after_max=remote["RETRY_AFTER_MAX"],
        )


def longest_call_seconds(remote: dict[str, Any], *, attempts: int | None = None) -> float:
    """How long one call can take with these ``REMOTE`` settings: every attempt (a
    read's ``MAX_ATTEMPTS``; a write's one) waiting the whole connect and read timeouts."""
    per_attempt = remote["CONNECT_TIMEOUT"] + remote["READ_TIMEOUT"]
    return (remote["MAX_ATTEMPTS"] if attempts is None else attempts) * per_attempt


class BoundedRetry(Retry):
    """``Retry`` that gives up at once when ``Retry-After`` asks for more than
    ``retry_after_max`` seconds (urllib3 alone would shorten the wait and retry)."""

    def increment(self, method=None, url=None, response=None, error=None, **kwargs):
        if response is not None:
            wait = parse_retry_after(response)
            if wait is not None and wait > self.retry_after_max:
                raise MaxRetryError(kwargs.get("_pool"), url, None)
        return super().increment(method, url, response, error, **kwargs)


def build_session(
    config: TransportConfig, *, read_methods: frozenset[str], base_url: str
) -> requests.Session:
    """A session for one API at ``base_url``: retries as configured, and the
    environment's proxy and CA bundle settings read once, here. (requests reads
    them, and looks for a ``.netrc``, on every request: fetching 400 audiences'
    segments took 0.36 CPU-seconds with that, 0.31 without. No ``.netrc``: both
    APIs carry their own credentials.)"""
    retries = config.max_attempts - 1
    retry = BoundedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=0,
        allowed_methods=read_methods,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=config.backoff_factor,
        backoff_jitter=config.backoff_jitter,
        respect_retry_after_header=True,
        retry_after_max=config.retry_after_max,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=8)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.proxies = requests.utils.get_environ_proxies(base_url)
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.trust_env = False
    return session


def request_id_of(response: requests.Response) -> str | None:
    for header in REQUEST_ID_HEADERS:
        if value := response.headers.get(header):
            return value
    return None


def send(
    session: requests.Session,
    config: TransportConfig,
    method: str,
    url: str,
    *,
    operation: str,
    **kwargs: Any,
) -> requests.Response:
    """Send one logical request (urllib3 may retry it); map transport failures."""
    started = time.monotonic()
    with _failures_mapped(config, operation):
        response = session.request(
            method, url, timeout=(config.connect_timeout, config.read_timeout), **kwargs
        )
    _log(response, method, operation, started)
    return response


def read(
    session: requests.Session,
    config: TransportConfig,
    request: requests.PreparedRequest,
    *,
    operation: str,
) -> requests.Response:
    """Send a prepared GET through the session's own transport adapter, with the
    session's retries, timeouts, proxies and CA bundle, and read a 2xx body in
    one piece: the reads a sync makes by the thousand. ``Session.request``
    around the adapter (merging the session's settings and cookies into each
    request, hooks, following redirects: none of which these reads use; a
    redirect is answered as the unexpected status it is) and reading the body
    in 10 KB chunks had cost as much again as the adapter itself (0.52 to
    0.32 ms of CPU a segment list of 50, bench/)."""
    started = time.monotonic()
    with _failures_mapped(config, operation):
        response = session.get_adapter(request.url).send(
            request,
            stream=True,
            timeout=(config.connect_timeout, config.read_timeout),
            verify=session.verify,
            cert=session.cert,
            proxies=session.proxies,
        )
        if 200 <= response.status_code < 300:
            try:  # what requests raises for these, reading the body its own way
                body = response.raw.read(decode_content=True)
            except ReadTimeoutError as exc:
                raise requests.ReadTimeout(exc) from exc
            except HTTPError as exc:
                raise requests.exceptions.ChunkedEncodingError(exc) from exc
            # The response as requests leaves one it has read (its ``content``);
            # urllib3 has put the connection back in the pool.
            response._content, response._content_consumed = body, True
        else:
            response.content  # noqa: B018 - read now, for the error's message
    _log(response, request.method, operation, started)
    return response


@contextlib.contextmanager
def _failures_mapped(config: TransportConfig, operation: str) -> Iterator[None]:
    """A transport failure as the ``Unavailable`` it stands for."""
    try:
        yield
    except requests.ConnectTimeout as exc:
        raise Unavailable(
            f"Could not connect to the remote within {config.connect_timeout:g} s.",
            operation=operation,
        ) from exc
    except requests.Timeout as exc:
        raise Unavailable(
            f"The remote did not answer within {config.read_timeout:g} s.", operation=operation
        ) from exc
    except requests.ConnectionError as exc:
        if _timed_out(exc):
            raise Unavailable(
                f"The remote did not answer within {config.read_timeout:g} s.", operation=operation
            ) from exc
        if _never_connected(exc):
            raise Unavailable(
                "Could not connect to the remote audience platform.", operation=operation
            ) from exc
        raise Unavailable(
            "The connection to the remote audience platform was closed before it answered.",
            operation=operation,
        ) from exc
    except requests.RequestException as exc:
        raise Unavailable(
            f"The request failed: {type(exc).__name__}.", operation=operation
        ) from exc


def _never_connected(exc: BaseException) -> bool:
    """Whether the connection was never made (refused, no route, a name that does not
    resolve): then nothing was sent. Otherwise it broke after the request went out."""
    seen: BaseException | None = exc
    for _ in range(10):  # requests wraps urllib3's errors, which wrap the socket's
        if seen is None:
            return False
        if isinstance(seen, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = getattr(seen, "reason", None) or nested or seen.__cause__ or seen.__context__
    return False


def _log(response: requests.Response, method: str, operation: str, started: float) -> None:
    logger.log(
        logging.DEBUG if response.status_code < 400 else logging.WARNING,
        "%s %s -> %s in %.0f ms [request id %s]",
        method,
        operation,
        response.status_code,
        (time.monotonic() - started) * 1000,
        request_id_of(response) or "-",
    )


def is_utf8(response: requests.Response) -> bool:
    """Whether the body is read as UTF-8 (``requests`` takes a JSON body without
    a charset as UTF-8, and a declared charset as declared)."""
    return (response.encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")


def json_body(response: requests.Response, *, operation: str) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        raise BadResponse(
            "The remote's answer is not valid JSON.",
            status=response.status_code,
            request_id=request_id_of(response),
            operation=operation,
        ) from None


def server_message(response: requests.Response) -> tuple[str | None, dict[str, list[str]]]:
    """The ``message`` and field ``errors`` of an error body, when it is JSON."""
    try:
        body = response.json()
    except ValueError:
        return None, {}
    if not isinstance(body, dict):
        return None, {}
    message = body.get("message") if isinstance(body.get("message"), str) else None
    errors = {}
    if isinstance(body.get("errors"), dict):
        for field, msgs in body["errors"].items():
            if isinstance(msgs, list):
                errors[str(field)] = [str(m) for m in msgs]
            elif isinstance(msgs, str):
                errors[str(field)] = [msgs]
    return message, errors


def parse_retry_after(response) -> float | None:
    """Seconds asked by ``Retry-After`` (a number or an HTTP date), uncapped."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _timed_out(exc: requests.ConnectionError) -> bool:
    """requests reports a read timeout as a ConnectionError: after exhausted retries
    (the timeout is the reason of the error it wraps), or while reading the body."""
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, ReadTimeoutError) or isinstance(
        getattr(cause, "reason", None), ReadTimeoutError
    )


def error_for(response: requests.Response, *, operation: str) -> RemoteError:
    """The error that a non-2xx answer stands for."""
    status = response.status_code
    message, field_errors = server_message(response)
    common = {"status": status, "request_id": request_id_of(response), "operation": operation}
    if status == 400:
        return ValidationError(message, field_errors=field_errors, **common)
    if status in (401, 403):
        return AuthError(message, **common)
    if status in (404, 410):
        return NotFound(message, **common)
    if status == 409:
        return Conflict(message, **common)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(response), **common)
    if status >= 500:
        return Unavailable(message, **common)
    return RemoteError(message or f"Unexpected HTTP {status} from the remote.", **common)
