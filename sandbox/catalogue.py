"""The List API's query: a catalogue request read and checked, and its page.

Assumed where the vendor is silent: ``eq`` matches the same UTC calendar day as
``value``; ``bt`` is inclusive at both ends; an empty ``audience_ids`` does not
filter; ``page_size`` is capped at 100 and the capped size is answered.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .data import DAY, parse_ticks
from .data import format_seconds as _fmt_s
from .validation import Invalid, is_int

MAX_PAGE_SIZE = 100
SORT_KEYS = {"ids": "id", "updated_date": "updated", "last_refreshed_date": "refreshed"}
CONDITIONS = ("gt", "lt", "eq", "bt")
# An audience's date fields a filter tests, by the filter's name.
RANGES = (("updated", "last_updated_date_range"), ("refreshed", "last_refreshed_date_range"))


@dataclass(frozen=True)
class Query:
    kind: str
    page_no: int
    page_size: int
    sort_by: str
    order: str
    wanted: frozenset[int] | None
    tests: tuple[tuple[str, Callable[[int], bool]], ...]

    def select(self, audiences: Iterable[dict]) -> list[dict]:
        """A copy of each audience this query matches."""
        kind, wanted, tests = self.kind, self.wanted, self.tests  # locals: 20,000 a page
        return [
            dict(a)
            for a in audiences
            if a["type"] == kind
            and (wanted is None or a["id"] in wanted)
            and all(a[key] is not None and test(a[key]) for key, test in tests)
        ]

    def answer(self, audiences: list[dict]) -> dict:
        """The ``data`` of the answer, from every audience that matches."""
        rows = sorted(audiences, key=lambda a: a["id"])
        if self.sort_by != "ids" or self.order == "desc":
            key = SORT_KEYS[self.sort_by]
            rows.sort(key=lambda a: a[key] or 0, reverse=self.order == "desc")
        page = rows[(self.page_no - 1) * self.page_size : self.page_no * self.page_size]
        return {
            "page_details": {
                "page_no": self.page_no,
                "page_max": max(1, math.ceil(len(rows) / self.page_size)),
                "page_size": self.page_size,
            },
            "audience_type": self.kind,
            "audience_details": [_row(a) for a in page],
        }


def parse(body: object) -> Query:
    """The query of a List API body; raises ``Invalid`` naming the bad field."""
    if not isinstance(body, dict):
        raise Invalid("Request body must be a JSON object")
    kind = body.get("audience_type")
    if kind is None:
        raise Invalid("audience_type is required")
    if kind not in ("segment", "list"):
        raise Invalid(f"audience_type must be 'segment' or 'list', got {kind!r}")
    paging = _object(body, "page_details")
    page_no = _positive(paging, "page_no", 1)
    page_size = min(_positive(paging, "page_size", 10), MAX_PAGE_SIZE)
    sorting = _object(body, "sorting_criteria")
    sort_by = sorting.get("sort_by") or "ids"
    if sort_by not in SORT_KEYS:
        raise Invalid(
            f"sorting_criteria.sort_by must be one of {', '.join(SORT_KEYS)}, got {sort_by!r}"
        )
    if sort_by == "last_refreshed_date" and kind == "list":
        raise Invalid("sorting_criteria.sort_by 'last_refreshed_date' applies only to segments")
    order = sorting.get("sort_order") or "asc"
    if order not in ("asc", "desc"):
        raise Invalid(f"sorting_criteria.sort_order must be 'asc' or 'desc', got {order!r}")
    filters = _object(body, "filtering_criteria")
    ids = filters.get("audience_ids")
    if ids is not None and not (isinstance(ids, list) and all(is_int(i) for i in ids)):
        raise Invalid("filtering_criteria.audience_ids must be an array of integers")
    if filters.get("last_refreshed_date_range") is not None and kind == "list":
        raise Invalid("filtering_criteria.last_refreshed_date_range applies only to segments")
    tests = tuple(
        (key, _range_test(filters, name)) for key, name in RANGES if filters.get(name) is not None
    )
    wanted = frozenset(ids) if ids else None
    return Query(kind, page_no, page_size, sort_by, order, wanted, tests)


def _row(audience: dict) -> dict:
    row = {
        "audience_id": audience["id"],
        "audience_name": audience["name"],
        "last_updated_time": _fmt_s(audience["updated"]),
    }
    if audience["type"] == "segment":
        row["last_refreshed_time"] = _fmt_s(audience["refreshed"])
    return row


def _object(body: dict, name: str) -> dict:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"{name} must be an object")
    return value


def _positive(paging: dict, name: str, default: int) -> int:
    value = paging.get(name)
    if value is None:
        return default
    if not is_int(value) or value < 1:
        raise Invalid(f"page_details.{name} must be an integer >= 1, got {value!r}")
    return value


def _range_test(filters: dict, name: str) -> Callable[[int], bool]:
    """A predicate on ticks for one ``*_date_range`` filter."""
    spec = filters[name]
    where = f"filtering_criteria.{name}"
    if not isinstance(spec, dict):
        raise Invalid(f"{where} must be an object")
    condition = spec.get("condition")
    if condition is None:
        raise Invalid(f"{where}.condition is required")
    if condition not in CONDITIONS:
        raise Invalid(f"{where}.condition must be one of gt, lt, eq, bt, got {condition!r}")
    if condition == "bt":
        low, high = (_date(spec, where, key) for key in ("lower_bound_value", "upper_bound_value"))
        return lambda t: low <= t <= high
    value = _date(spec, where, "value", condition)
    if condition == "gt":
        return lambda t: t > value
    if condition == "lt":
        return lambda t: t < value
    day = value // DAY
    return lambda t: t // DAY == day


def _date(spec: dict, where: str, key: str, condition: str = "bt") -> int:
    value = spec.get(key)
    if value is None:
        raise Invalid(f"{where}.{key} is required for condition '{condition}'")
    try:
        return parse_ticks(value)
    except ValueError:
        raise Invalid(f"{where}.{key} is not a valid ISO 8601 date: {value!r}") from None
