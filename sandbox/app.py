"""The sandbox's application: routing, auth, faults, and the control API under
``/_sandbox``; each request in, one ``Response`` (or none: a dropped connection) out.
The HTTP transport is ``server.py``."""

import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from email.message import Message
from urllib.parse import urlsplit

from .faults import LIST_API, READS, Faults, RequestLog, mangle, render
from .store import Store
from .validation import INVALID, Invalid, NotFound

JSON_TYPE = "application/json; charset=utf-8"
COOKIE = "digitalAudience"
_INT = r"(-?\d{1,18})"
# method, path pattern (matched on the lower-cased path), endpoint name, handler
_ROUTES = [
    (method, re.compile(pattern), endpoint, handler)
    for method, pattern, endpoint, handler in (
        ("POST", "/api/account/login", "login", "_login"),
        ("GET", f"/api/segment/audience/{_INT}", "segments_of_audience", "_segments_of_audience"),
        ("GET", f"/api/segment/loadsegmentbyid/{_INT}", "segment", "_segment"),
        ("GET", f"/api/segment/{_INT}", "segment", "_segment"),
        ("POST", "/api/segment/updateenddate", "update_end_date", "_update_end_date"),
        ("DELETE", f"/api/segment/{_INT}", "delete_segment", "_delete_segment"),
        ("GET", "/api/organisation/loadplatformaccounts", "platform_accounts", "_accounts"),
        ("POST", "/api/audience/createcrmaudience", "create_crm_audience", "_create_crm"),
        ("POST", "/api/audience/activate", "activate_audience", "_activate"),
        ("POST", "/v4/audience/list", "audience_list", "_audience_list"),
        ("POST", "/v4/list", "audience_list", "_audience_list"),
    )
]
_CONTROL_SEGMENT = re.compile(f"/_sandbox/segments/{_INT}")


@dataclass
class Response:
    """One HTTP answer; ``payload`` is the JSON object behind ``body`` when there is one."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: object = None


def json_response(
    status: int, payload: object, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, JSON_TYPE, headers or [], payload)


def _error(api_list: bool, status: int, message: str, errors: dict | None = None) -> Response:
    """An error in the API's own shape."""
    if api_list:
        return json_response(status, {"message": message, "statusCode": status})
    return json_response(status, {"message": message} | ({"errors": errors} if errors else {}))


def _body(raw: bytes) -> object:
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise Invalid(INVALID, {"": ["The request body is not valid JSON."]}) from None


def _cookie(headers: Message) -> str | None:
    for header in headers.get_all("Cookie") or []:
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return value
    return None


class App:
    """Turns (method, path, headers, body) into a ``Response``, or ``None`` to disconnect."""

    def __init__(self, store: Store, faults: Faults, requests: RequestLog, api_key: str):
        self.store, self.faults, self.requests, self.api_key = store, faults, requests, api_key
        self._ids = 0
        self._ids_lock = threading.Lock()

    def next_request_id(self) -> str:
        with self._ids_lock:
            self._ids += 1
            return f"sbx-{self._ids:08x}"

    def reset(self) -> None:
        self.store.reset()
        self.faults.reset()
        self.requests.clear()

    def handle(self, method: str, target: str, headers: Message, raw: bytes) -> Response | None:
        path = urlsplit(target).path.rstrip("/").lower() or "/"
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            return self._control(method, path, raw)
        matches = [(route, route[1].fullmatch(path)) for route in _ROUTES]
        matches = [(route, m) for route, m in matches if m]
        if not matches:
            return _error(
                path.startswith("/v4/"),
                404,
                f"No HTTP resource was found that matches the request URI '{target}'.",
            )
        found = [(route, m) for route, m in matches if route[0] == method]
        if not found:
            allowed = ", ".join(sorted({route[0] for route, _ in matches}))
            response = _error(
                matches[0][0][2] in LIST_API,
                405,
                f"The requested resource does not support http method '{method}'.",
            )
            response.headers.append(("Allow", allowed))
            return response
        (_, _, endpoint, handler), match = found[0]
        self.requests.record(endpoint)
        delay, fault = self.faults.decide(endpoint)
        if delay:
            time.sleep(delay)

        def run() -> Response:
            return self._run(endpoint, getattr(self, handler), match.groups(), headers, raw)

        if fault is None:
            return run()
        real = run() if fault.apply or (fault.kind == "bad_shape" and endpoint in READS) else None
        if fault.kind == "disconnect":
            return None
        if fault.kind == "bad_shape":
            ok = real is not None and real.status == 200 and isinstance(real.payload, dict)
            source = real.payload if ok else self._canned(endpoint)
            response = json_response(200, mangle(endpoint, source), real.headers if ok else None)
        else:
            status, content_type, body = render(fault, endpoint)
            response = Response(status, body, content_type)
        if fault.retry_after is not None:
            response.headers.append(("Retry-After", str(fault.retry_after)))
        return response

    def _run(self, endpoint: str, handler, args, headers: Message, raw: bytes) -> Response:
        list_api = endpoint in LIST_API
        if list_api and headers.get("api-key") != self.api_key:
            return _error(True, 401, "Invalid api key")
        if not list_api and endpoint != "login" and not self.store.has_session(_cookie(headers)):
            return _error(False, 401, "Unauthorized")
        try:
            return handler(*[int(a) for a in args], raw)
        except Invalid as exc:
            return _error(list_api, 400, exc.message, exc.errors)
        except NotFound as exc:
            return _error(list_api, 404, str(exc))

    def _canned(self, endpoint: str) -> dict:
        """A success payload to break when the real operation did not run or failed."""
        segment = self.store.any_segment()
        if endpoint == "audience_list":
            return {"data": {"audience_type": "segment", "audience_details": []}}
        if endpoint == "segments_of_audience":
            return {"data": [segment] if segment else []}
        if endpoint in ("segment", "update_end_date", "activate_audience"):
            return {"data": segment}
        return {}

    # Segment API

    def _login(self, raw: bytes) -> Response:
        token = self.store.login(_body(raw))
        if token is None:
            return json_response(200, {"data": False})
        return json_response(
            200, {"data": True}, [("Set-Cookie", f"{COOKIE}={token}; Path=/; HttpOnly")]
        )

    def _segments_of_audience(self, audience_id: int, _raw: bytes) -> Response:
        return json_response(200, {"data": self.store.segments_of_audience(audience_id)})

    def _segment(self, segment_id: int, _raw: bytes) -> Response:
        return json_response(200, {"data": self.store.get_segment(segment_id)})

    def _update_end_date(self, raw: bytes) -> Response:
        return json_response(200, {"data": self.store.update_end_date(_body(raw))})

    def _delete_segment(self, segment_id: int, _raw: bytes) -> Response:
        self.store.delete_segment(segment_id)
        return json_response(200, {"data": True})

    def _accounts(self, _raw: bytes) -> Response:
        return json_response(200, {"data": self.store.platform_accounts()})

    def _create_crm(self, raw: bytes) -> Response:
        return json_response(200, {"data": self.store.create_crm_audience(_body(raw))})

    def _activate(self, raw: bytes) -> Response:
        return json_response(200, {"data": self.store.activate(_body(raw))})

    # List & Segment API

    def _audience_list(self, raw: bytes) -> Response:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise Invalid("Request body must be valid JSON") from None
        data = self.store.list_audiences(body)
        return json_response(200, {"data": data, "message": "sucess", "statusCode": 200})

    # Control API

    def _control(self, method: str, path: str, raw: bytes) -> Response:
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return json_response(400, {"message": "The body is not valid JSON."})
        match = _CONTROL_SEGMENT.fullmatch(path)
        try:
            if match and method == "POST":
                if not isinstance(body, dict):
                    raise Invalid("Send a JSON object of Segment fields")
                return json_response(200, self.store.touch_segment(int(match.group(1)), **body))
            action = {
                ("GET", "/_sandbox/health"): self.store.health,
                ("GET", "/_sandbox/faults"): lambda: {"faults": self.faults.active()},
                ("POST", "/_sandbox/faults"): lambda: self._set_fault(body),
                ("DELETE", "/_sandbox/faults"): self.faults.clear,
                ("GET", "/_sandbox/requests"): lambda: {"counts": self.requests.counts()},
                ("DELETE", "/_sandbox/requests"): self.requests.clear,
                ("POST", "/_sandbox/reset"): self.reset,
                ("POST", "/_sandbox/advance"): lambda: self.store.advance(body),
                ("POST", "/_sandbox/sessions/expire"): self.store.expire_sessions,
            }.get((method, path))
            if action is None:
                return json_response(404, {"message": f"No control resource {method} {path}"})
            result = action()
            return json_response(200, result if result is not None else {"ok": True})
        except Invalid as exc:
            return json_response(400, {"message": exc.message})
        except NotFound as exc:
            return json_response(404, {"message": str(exc)})

    def _set_fault(self, body: object) -> dict:
        if not isinstance(body, dict) or "endpoint" not in body:
            raise Invalid("Send a JSON object with at least 'endpoint'")
        try:
            fault = self.faults.set(**body)
        except (TypeError, ValueError) as exc:
            raise Invalid(str(exc)) from None
        return {"ok": True, "endpoint": body["endpoint"], "fault": asdict(fault)}
