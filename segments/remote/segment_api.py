"""Client of the Segment API (cookie session). Paths, cookie name and envelope
rules are in this module's constants: the one place to change if the real
service differs from CONTRACT.md's assumed rows."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime
from typing import Any

import requests

from segments.remote.errors import AuthError, BadResponse
from segments.remote.fast_decode import data_list, data_rows
from segments.remote.records import Account, Audience, Segment, format_datetime, record_row
from segments.remote.transport import (
    TransportConfig,
    build_session,
    error_for,
    is_utf8,
    json_body,
    read,
    request_id_of,
    send,
)

COOKIE_NAME = "digitalAudience"
READ_METHODS = frozenset({"GET"})
# Logging in changes no data: its POST is retried like a read.
LOGIN_RETRY_METHODS = frozenset({"POST"})
ENDPOINTS = {
    "login": ("POST", "/account/login"),
    "segments_of_audience": ("GET", "/segment/audience/{audience_id}"),
    "segment": ("GET", "/segment/{segment_id}"),
    "update_end_date": ("POST", "/segment/updateenddate"),
    "delete_segment": ("DELETE", "/segment/{segment_id}"),
    "platform_accounts": ("GET", "/organisation/loadplatformaccounts"),
    "create_crm_audience": ("POST", "/audience/createcrmaudience"),
    "activate_audience": ("POST", "/audience/activate"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """The platform's answer to a call besides its data, for the audit of a write."""

    status: int
    request_id: str | None


class SegmentApiClient:
    """One client, one pooled session. Logs in lazily and once more on a 401.
    ``last_answer``: the status and request id of this thread's last call (the
    client is shared by a process's threads), as stripe-python's ``last_response``."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str = "",
        password: str = "",
        cookie: str = "",
        config: TransportConfig | None = None,
    ) -> None:
        if not cookie and not (username and password):
            raise ValueError("configure either a session cookie or a user name and password")
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._cookie = cookie
        self._config = config or TransportConfig()
        self._session = build_session(
            self._config, read_methods=READ_METHODS, base_url=self.base_url
        )
        self._login_session = build_session(
            self._config, read_methods=LOGIN_RETRY_METHODS, base_url=self.base_url
        )
        self._login_lock = threading.Lock()
        self._read_prepared: tuple[str, requests.PreparedRequest] | None = None
        self._answers = threading.local()

    def __repr__(self) -> str:
        return f"<SegmentApiClient {self.base_url}>"

    @property
    def last_answer(self) -> Answer | None:
        return getattr(self._answers, "last", None)

    def close(self) -> None:
        self._session.close()
        self._login_session.close()

    def __enter__(self) -> SegmentApiClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- authentication -------------------------------------------------

    def login(self) -> None:
        """Exchange user name and password for a session cookie."""
        if not (self._username and self._password):
            raise AuthError(
                "The configured session cookie was refused and no user name and password "
                "are configured to log in again.",
                operation="login",
            )
        method, path = ENDPOINTS["login"]
        response = send(
            self._login_session,
            self._config,
            method,
            self.base_url + path,
            operation="login",
            json={"userName": self._username, "password": self._password},
        )
        if response.status_code != 200:
            raise error_for(response, operation="login")
        body = json_body(response, operation="login")
        cookie = response.cookies.get(COOKIE_NAME)
        if not isinstance(body, dict) or body.get("data") is not True or not cookie:
            # Answered 200 with data false: no HTTP error to quote, only the request id.
            raise AuthError(
                "The remote refused the user name or password.",
                request_id=request_id_of(response),
                operation="login",
            )
        self._cookie = cookie
        self._login_session.cookies.clear()

    def _call(self, name: str, *, json: Any = None, **path_args: Any) -> Any:
        """Call an endpoint and return its ``data``; log in first, and again once on 401."""
        return self._data(self._send(name, json=json, **path_args), name=name)

    def _send(
        self, name: str, *, json: Any = None, bulk: bool = False, **path_args: Any
    ) -> requests.Response:
        """Call an endpoint; its answer if 2xx, else the error for it. ``bulk``: a
        read a sync makes by the thousand, sent by ``transport.read``."""
        method, template = ENDPOINTS[name]
        url = self.base_url + template.format(**path_args)
        for attempt in (1, 2):
            if not self._cookie:
                with self._login_lock:
                    if not self._cookie:
                        self.login()
            cookie = self._cookie
            if bulk:
                response = read(
                    self._session, self._config, self._read_request(url, cookie), operation=name
                )
            else:
                response = send(
                    self._session,
                    self._config,
                    method,
                    url,
                    operation=name,
                    json=json,
                    headers={"Cookie": f"{COOKIE_NAME}={cookie}"},
                )
            self._session.cookies.clear()
            if response.status_code == 401 and attempt == 1 and self._username:
                with self._login_lock:
                    if self._cookie == cookie:
                        self._cookie = ""
                continue
            break
        if not 200 <= response.status_code < 300:
            raise error_for(response, operation=name)
        self._answers.last = Answer(response.status_code, request_id_of(response))
        return response

    def _read_request(self, url: str, cookie: str) -> requests.PreparedRequest:
        """A GET of ``url`` as the session prepares it, copied from one prepared
        for this cookie (preparing each anew cost a tenth of a bulk read)."""
        prepared = self._read_prepared
        if prepared is None or prepared[0] != cookie:
            request = requests.Request(
                "GET", self.base_url, headers={"Cookie": f"{COOKIE_NAME}={cookie}"}
            )
            prepared = self._read_prepared = (cookie, self._session.prepare_request(request))
        read_request = prepared[1].copy()
        read_request.prepare_url(url, None)
        return read_request

    @staticmethod
    def _data(response: requests.Response, *, name: str) -> Any:
        """The answer's ``data`` envelope, or ``BadResponse``."""
        body = json_body(response, operation=name)
        if not isinstance(body, dict) or "data" not in body:
            raise BadResponse(
                "The answer has no 'data' envelope.",
                status=response.status_code,
                request_id=request_id_of(response),
                operation=name,
            )
        return body["data"]

    @staticmethod
    def _parse(parse, data: Any, *, name: str):
        try:
            return parse(data)
        except BadResponse as exc:
            exc.operation = name
            raise

    # --- operations -------------------------------------------------------

    def segments_of_audience(self, *, audience_id: int) -> list[Segment]:
        name = "segments_of_audience"
        response = self._send(name, audience_id=int(audience_id))
        # A sync reads every segment through here: the fast decoder first.
        if is_utf8(response) and (records := data_list(Segment, response.content)) is not None:
            return records
        return self._parse(Segment.parse_list, self._data(response, name=name), name=name)

    def segment_rows_of_audience(self, *, audience_id: int) -> list[tuple]:
        """The same segments as rows, what a full sync stores: a tuple of each
        one's values in ``Segment``'s field order, with a date-time as the
        platform's own text (``fast_decode.PLATFORM_INSTANT``) or, where the
        platform sent another form, an aware ``datetime``. No record is made per
        segment (``fast_decode.data_rows``), unless the answer needs the checked
        parse, which also words its error."""
        name = "segments_of_audience"
        response = self._send(name, bulk=True, audience_id=int(audience_id))
        if is_utf8(response) and (rows := data_rows(Segment, response.content)) is not None:
            return rows
        records = self._parse(Segment.parse_list, self._data(response, name=name), name=name)
        return [record_row(record) for record in records]

    def segment(self, *, segment_id: int) -> Segment:
        data = self._call("segment", segment_id=int(segment_id))
        return self._parse(Segment.parse, data, name="segment")

    def update_end_date(self, *, segment_id: int, end_date: datetime) -> Segment:
        data = self._call(
            "update_end_date",
            json={"segmentid": int(segment_id), "endDate": format_datetime(end_date)},
        )
        return self._parse(Segment.parse, data, name="update_end_date")

    def delete_segment(self, *, segment_id: int) -> None:
        data = self._call("delete_segment", segment_id=int(segment_id))
        if data is not True:
            raise BadResponse(
                f"delete_segment: expected data true, got {data!r:.40}", operation="delete_segment"
            )

    def platform_accounts(self) -> list[Account]:
        data = self._call("platform_accounts")
        return self._parse(Account.parse_list, data, name="platform_accounts")

    def create_crm_audience(
        self, *, name: str, campaign_id: int, description: str = ""
    ) -> Audience:
        body: dict[str, Any] = {"name": name, "campaignId": int(campaign_id)}
        if description:
            body["description"] = description
        data = self._call("create_crm_audience", json=body)
        return self._parse(Audience.parse, data, name="create_crm_audience")

    def activate_audience(
        self,
        *,
        audience_id: int,
        account_id: int,
        name: str,
        description: str,
        start_date: datetime,
        end_date: datetime | None = None,
    ) -> Segment:
        body: dict[str, Any] = {
            "audienceId": int(audience_id),
            "accountId": int(account_id),
            "name": name,
            "description": description,
            "startDate": format_datetime(start_date),
        }
        if end_date is not None:
            body["endDate"] = format_datetime(end_date)
        data = self._call("activate_audience", json=body)
        return self._parse(Segment.parse, data, name="activate_audience")
