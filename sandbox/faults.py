"""Fault injection (forced answers, broken bodies, latency, random errors) and the request log."""

import json
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from http import HTTPStatus

ENDPOINTS = (
    "login",
    "segments_of_audience",
    "segment",
    "update_end_date",
    "delete_segment",
    "platform_accounts",
    "create_crm_audience",
    "activate_audience",
    "audience_list",
)
LIST_API = frozenset({"audience_list"})
READS = frozenset({"segments_of_audience", "segment", "platform_accounts", "audience_list"})
KINDS = ("json", "html", "empty", "malformed", "bad_shape", "body_status", "disconnect")
_ANSWER_200 = frozenset({"malformed", "bad_shape", "body_status"})
_MESSAGES = {
    400: "The request is invalid.",
    401: "Unauthorized",
    404: "Not found",
    409: "The segment was changed by another operation.",
    429: "Too many requests",
    500: "An error has occurred.",
}
_MALFORMED = {
    False: b'{"data": [{"segmentId": 100001, "segmentRefId": null, "name": "Auto Int',
    True: b'{"data": {"page_details": {"page_no": 1, "page_max": 3, "page_si',
}


@dataclass
class Fault:
    """What to do to the requests of one endpoint.

    It forces an answer when ``status`` is set, ``kind`` is not ``json``, or
    ``error_rate`` is set (then only that fraction of requests is answered so);
    otherwise it only adds latency. ``every`` forces it on every Nth matching
    request only (a fixed pattern, e.g. every third call failing); ``after``
    answers the first N matching requests normally. ``times`` counts the
    matching requests left.
    """

    status: int | None = None
    kind: str = "json"
    retry_after: int | None = None
    latency_ms: float = 0
    error_rate: float | None = None
    times: int | None = None
    apply: bool = False
    every: int | None = None
    after: int = 0
    seen: int = 0

    @property
    def forces_answer(self) -> bool:
        return self.status is not None or self.kind != "json" or self.error_rate is not None

    @property
    def answer_status(self) -> int:
        if self.status is not None:
            return self.status
        return 200 if self.kind in _ANSWER_200 else 500


def _check(endpoint: str, fault: Fault) -> None:
    if endpoint != "*" and endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; use one of {', '.join(ENDPOINTS)} or '*'")
    if fault.kind not in KINDS:
        raise ValueError(f"unknown kind {fault.kind!r}; use one of {', '.join(KINDS)}")
    if fault.kind == "body_status" and endpoint not in LIST_API | {"*"}:
        raise ValueError("kind 'body_status' is for the List API (audience_list) only")
    checks = (
        (fault.status, lambda v: isinstance(v, int) and 100 <= v <= 599, "status"),
        (fault.retry_after, lambda v: isinstance(v, int) and v >= 0, "retry_after"),
        (fault.error_rate, lambda v: isinstance(v, int | float) and 0 <= v <= 1, "error_rate"),
        (fault.times, lambda v: isinstance(v, int) and v >= 1, "times"),
        (fault.every, lambda v: isinstance(v, int) and v >= 1, "every"),
        (fault.after, lambda v: isinstance(v, int) and v >= 0, "after"),
    )
    for value, valid, name in checks:
        if value is not None and (isinstance(value, bool) or not valid(value)):
            raise ValueError(f"invalid {name}: {value!r}")
    if isinstance(fault.latency_ms, bool) or not (
        isinstance(fault.latency_ms, int | float) and fault.latency_ms >= 0
    ):
        raise ValueError(f"invalid latency_ms: {fault.latency_ms!r}")
    if not isinstance(fault.apply, bool):
        raise ValueError(f"invalid apply: {fault.apply!r}")


class Faults:
    """Faults per endpoint name (or ``"*"``), plus a base latency and random error rate."""

    def __init__(self, seed: int, latency_ms: float = 0, error_rate: float = 0.0):
        self._seed = seed
        self._base = (latency_ms, error_rate)
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self.latency_ms, self.error_rate = self._base
        self._rng = random.Random(seed)

    def set(
        self,
        endpoint: str,
        status: int | None = None,
        kind: str = "json",
        retry_after: int | None = None,
        latency_ms: float = 0,
        error_rate: float | None = None,
        times: int | None = None,
        apply: bool = False,
        every: int | None = None,
        after: int = 0,
    ) -> Fault:
        """Install (or replace) the fault of ``endpoint``; raises ``ValueError`` if invalid."""
        fault = Fault(status, kind, retry_after, latency_ms, error_rate, times, apply, every, after)
        _check(endpoint, fault)
        with self._lock:
            self._faults[endpoint] = fault
        return fault

    def clear(self) -> None:
        """Remove every fault and restore the constructor's latency and error rate."""
        with self._lock:
            self._faults.clear()
            self.latency_ms, self.error_rate = self._base

    def reset(self) -> None:
        """``clear()`` and reseed the random error generator."""
        self.clear()
        with self._lock:
            self._rng = random.Random(self._seed)

    def active(self) -> dict[str, dict]:
        with self._lock:
            return {name: asdict(fault) for name, fault in self._faults.items()}

    def decide(self, endpoint: str) -> tuple[float, Fault | None]:
        """Seconds to wait, and the fault to answer with (``None``: answer normally)."""
        with self._lock:
            delay, forced = self.latency_ms, None
            if self.error_rate and self._rng.random() < self.error_rate:
                forced = Fault(status=500)
            key = endpoint if endpoint in self._faults else "*"
            fault = self._faults.get(key)
            if fault is not None:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[key]
                delay += fault.latency_ms
                fault.seen += 1
                if (
                    fault.forces_answer
                    and fault.seen > fault.after
                    and (fault.every is None or fault.seen % fault.every == 0)
                    and (fault.error_rate is None or self._rng.random() < fault.error_rate)
                ):
                    forced = fault
        return delay / 1000, forced


def render(fault: Fault, endpoint: str) -> tuple[int, str | None, bytes]:
    """Status, content type and body of a forced answer (any kind but bad_shape/disconnect)."""
    status, list_api = fault.answer_status, endpoint in LIST_API
    if fault.kind == "html":
        phrase = _phrase(status)
        page = (
            f"<html><head><title>{status} {phrase}</title></head><body>"
            f"<center><h1>{status} {phrase}</h1></center><hr><center>nginx</center>"
            "</body></html>"
        )
        return status, "text/html; charset=utf-8", page.encode()
    if fault.kind == "empty":
        return status, None, b""
    if fault.kind == "malformed":
        return status, "application/json; charset=utf-8", _MALFORMED[list_api]
    if fault.kind == "body_status":
        payload = {"message": "Internal error", "statusCode": 500}
    else:
        payload = {"message": _MESSAGES.get(status, _phrase(status))}
        if list_api:
            payload["statusCode"] = status
    return status, "application/json; charset=utf-8", json.dumps(payload).encode()


def mangle(endpoint: str, payload: dict) -> dict:
    """A success payload with a required field removed (the ``bad_shape`` kind)."""
    if endpoint in LIST_API:
        data = {k: v for k, v in (payload.get("data") or {}).items() if k != "page_details"}
        return {**payload, "data": data}
    key = "id" if endpoint in ("platform_accounts", "create_crm_audience") else "segmentId"
    data = payload.get("data")
    if isinstance(data, dict):
        return {"data": {k: v for k, v in data.items() if k != key}}
    if isinstance(data, list) and data:
        return {"data": [{k: v for k, v in item.items() if k != key} for item in data]}
    return {"message": "OK"}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class RequestLog:
    """How many requests each endpoint received (every attempt, faulted ones included)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, endpoint: str) -> None:
        with self._lock:
            self._counts[endpoint] += 1

    def count(self, endpoint: str) -> int:
        with self._lock:
            return self._counts[endpoint]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
