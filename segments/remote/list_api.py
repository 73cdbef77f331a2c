"""Client of the List & Segment API (api-key) and its typed request builder.

The builder refuses, before anything is sent, a request the API would reject:
it names the field. Body keys and envelope rules live in this module only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from segments.remote.errors import BadResponse, InvalidRequest
from segments.remote.records import AudiencePage, AudienceRow, PageDetails
from segments.remote.transport import (
    TransportConfig,
    build_session,
    error_for,
    json_body,
    request_id_of,
    send,
)

# Every List API call is a read (POST with a query body), so it may be retried.
READ_METHODS = frozenset({"POST"})
AUDIENCE_TYPES = ("segment", "list")
SORT_ORDERS = ("asc", "desc")
# The vendor's text calls updated_date list-only but its example sorts segments
# by it: both types accept it; last_refreshed_date is for segments only.
SORTS_BY_TYPE = {
    "segment": ("ids", "updated_date", "last_refreshed_date"),
    "list": ("ids", "updated_date"),
}
CONDITIONS = ("gt", "lt", "eq", "bt")
MAX_PAGES = 100_000


def _utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise InvalidRequest("date", "must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class DateRange:
    """A ``*_date_range`` filter: ``gt``/``lt``/``eq`` take ``value``, ``bt`` both bounds."""

    condition: str | None
    value: datetime | None = None
    lower: datetime | None = None
    upper: datetime | None = None

    def validate(self, name: str) -> None:
        if not self.condition:
            raise InvalidRequest(f"{name}.condition", "is required when the range is given")
        if self.condition not in CONDITIONS:
            raise InvalidRequest(f"{name}.condition", f"must be one of {', '.join(CONDITIONS)}")
        if self.condition == "bt":
            if self.value is not None:
                raise InvalidRequest(f"{name}.value", "is not used with 'bt'; give both bounds")
            if self.lower is None:
                raise InvalidRequest(f"{name}.lower_bound_value", "is required with 'bt'")
            if self.upper is None:
                raise InvalidRequest(f"{name}.upper_bound_value", "is required with 'bt'")
            if self.lower > self.upper:
                raise InvalidRequest(
                    f"{name}.lower_bound_value", "must not be after upper_bound_value"
                )
        else:
            if self.value is None:
                raise InvalidRequest(f"{name}.value", f"is required with '{self.condition}'")
            if self.lower is not None or self.upper is not None:
                raise InvalidRequest(f"{name}.condition", "bounds are only used with 'bt'")

    def to_body(self) -> dict[str, str]:
        if self.condition == "bt":
            return {
                "condition": "bt",
                "lower_bound_value": _utc_text(self.lower),
                "upper_bound_value": _utc_text(self.upper),
            }
        return {"condition": self.condition, "value": _utc_text(self.value)}


@dataclass(frozen=True, slots=True)
class AudienceQuery:
    """One request of the audience list call, with every option of the seed."""

    audience_type: str
    page_no: int = 1
    page_size: int = 10
    sort_by: str | None = None
    sort_order: str = "asc"
    audience_ids: tuple[int, ...] = field(default_factory=tuple)
    last_updated: DateRange | None = None
    last_refreshed: DateRange | None = None

    def validate(self) -> None:
        if self.audience_type not in AUDIENCE_TYPES:
            raise InvalidRequest("audience_type", "must be 'segment' or 'list'")
        if not isinstance(self.page_no, int) or self.page_no < 1:
            raise InvalidRequest("page_details.page_no", "must be a whole number of 1 or more")
        if not isinstance(self.page_size, int) or self.page_size < 1:
            raise InvalidRequest("page_details.page_size", "must be a whole number of 1 or more")
        if self.sort_by is not None and self.sort_by not in SORTS_BY_TYPE[self.audience_type]:
            raise InvalidRequest(
                "sorting_criteria.sort_by",
                f"must be one of {', '.join(SORTS_BY_TYPE[self.audience_type])} "
                f"for audience type '{self.audience_type}'",
            )
        if self.sort_order not in SORT_ORDERS:
            raise InvalidRequest("sorting_criteria.sort_order", "must be 'asc' or 'desc'")
        for audience_id in self.audience_ids:
            if isinstance(audience_id, bool) or not isinstance(audience_id, int):
                raise InvalidRequest("filtering_criteria.audience_ids", "must be integers")
        if self.last_updated is not None:
            self.last_updated.validate("filtering_criteria.last_updated_date_range")
        if self.last_refreshed is not None:
            if self.audience_type != "segment":
                raise InvalidRequest(
                    "filtering_criteria.last_refreshed_date_range", "applies to segments only"
                )
            self.last_refreshed.validate("filtering_criteria.last_refreshed_date_range")

    def to_body(self) -> dict[str, Any]:
        """The JSON body; raises ``InvalidRequest`` naming the field if invalid."""
        self.validate()
        body: dict[str, Any] = {
            "audience_type": self.audience_type,
            "page_details": {"page_no": self.page_no, "page_size": self.page_size},
        }
        if self.sort_by is not None:
            body["sorting_criteria"] = {"sort_by": self.sort_by, "sort_order": self.sort_order}
        filters: dict[str, Any] = {}
        if self.audience_ids:
            filters["audience_ids"] = list(self.audience_ids)
        if self.last_updated is not None:
            filters["last_updated_date_range"] = self.last_updated.to_body()
        if self.last_refreshed is not None:
            filters["last_refreshed_date_range"] = self.last_refreshed.to_body()
        if filters:
            body["filtering_criteria"] = filters
        return body


class ListApiClient:
    """One client, one pooled session, the api-key on every request."""

    def __init__(self, url: str, *, api_key: str, config: TransportConfig | None = None) -> None:
        if not api_key:
            raise ValueError("configure the List API's api-key")
        self.url = url
        self._config = config or TransportConfig()
        self._session = build_session(self._config, read_methods=READ_METHODS, base_url=url)
        self._session.headers.update(
            {"api-key": api_key, "Accept": "application/json", "Content-Type": "application/json"}
        )

    def __repr__(self) -> str:
        return f"<ListApiClient {self.url}>"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ListApiClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def audience_page(self, query: AudienceQuery) -> AudiencePage:
        """Fetch one page; the body's ``statusCode`` counts even under HTTP 200."""
        return self.audience_page_raw(query.to_body())

    def audience_page_raw(self, body: dict[str, Any]) -> AudiencePage:
        operation = "audience_list"
        response = send(
            self._session, self._config, "POST", self.url, operation=operation, json=body
        )
        if not 200 <= response.status_code < 300:
            raise error_for(response, operation=operation)
        payload = json_body(response, operation=operation)
        body_status = payload.get("statusCode", 200) if isinstance(payload, dict) else 200
        if body_status != 200:
            response.status_code = body_status if isinstance(body_status, int) else 500
            raise error_for(response, operation=operation)
        try:
            return _parse_page(payload, asked_type=body.get("audience_type"))
        except BadResponse as exc:
            exc.operation = operation
            exc.status = response.status_code
            exc.request_id = request_id_of(response)
            raise

    def iter_audience_pages(self, query: AudienceQuery) -> Iterator[AudiencePage]:
        """Every page from ``query.page_no`` on, following ``page_max``.

        If the server answers a smaller ``page_size`` than asked, later pages
        are asked at the size it answered so that page numbers stay aligned.
        """
        query.validate()
        page_no, page_size = query.page_no, query.page_size
        for _ in range(MAX_PAGES):
            page = self.audience_page(replace(query, page_no=page_no, page_size=page_size))
            yield page
            if not page.rows or page_no >= page.page.page_max:
                return
            if page_no == query.page_no and 0 < page.page.page_size < page_size:
                page_size = page.page.page_size
            page_no += 1

    def iter_audiences(self, query: AudienceQuery) -> Iterator[AudienceRow]:
        for page in self.iter_audience_pages(query):
            yield from page.rows


def _parse_page(payload: Any, *, asked_type: str | None) -> AudiencePage:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise BadResponse("required object 'data' is missing")
    data = payload["data"]
    if "page_details" not in data:
        raise BadResponse("data: required field 'page_details' is missing")
    return AudiencePage(
        audience_type=data.get("audience_type", asked_type),
        page=PageDetails.parse(data["page_details"], where="page_details"),
        rows=AudienceRow.parse_list(data.get("audience_details"), where="audience_details"),
    )
