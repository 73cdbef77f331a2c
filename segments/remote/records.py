"""Typed records for what the remote sends, and their strict parsers.

Rules (CONTRACT.md, "Dates and numbers"): unknown keys are ignored; a missing
nullable key is ``None``; a missing required key or a value of the wrong type
raises ``BadResponse`` naming the key; datetimes become aware UTC.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from segments.remote.errors import BadResponse

_FRACTION = re.compile(r"(\.\d{6})(\d*)")
_TICKS_LENGTH = len("2026-06-24T12:59:42.1118820Z")


class PlatformInstant(datetime):
    """A datetime that keeps the platform's seventh fractional digit (100 ns, a
    .NET tick), which ``datetime`` cannot hold. Adding or subtracting a
    ``timedelta`` keeps it, so a date moved by N days is sent back exact."""

    hundred_ns: int = 0

    @classmethod
    def of(cls, value: datetime, hundred_ns: int) -> datetime:
        if not hundred_ns:
            return value
        instant = cls.combine(value.date(), value.timetz())
        instant.hundred_ns = hundred_ns
        return instant

    def __add__(self, other):
        result = super().__add__(other)
        if isinstance(other, timedelta):
            return PlatformInstant.of(result, self.hundred_ns)
        return result

    __radd__ = __add__

    def __sub__(self, other):
        result = super().__sub__(other)
        if isinstance(other, timedelta):
            return PlatformInstant.of(result, self.hundred_ns)
        return result

    def astimezone(self, tz=None):
        return PlatformInstant.of(super().astimezone(tz), self.hundred_ns)


def parse_datetime(value: str) -> datetime:
    """ISO 8601 to aware UTC. A seventh fractional digit (.NET ticks) is kept
    apart (``PlatformInstant``); digits beyond it are dropped."""
    if type(value) is str and len(value) == _TICKS_LENGTH and value[-1] == "Z" and value[19] == ".":
        # The platform's own form, 2026-06-24T12:59:42.1118820Z: one C call
        # (fromisoformat drops digits past the sixth, as below). A sync parses
        # four per segment (bench/).
        tick = value[26]
        if tick == "0":
            return datetime.fromisoformat(value)
        if "1" <= tick <= "9":
            instant = PlatformInstant.fromisoformat(value)
            instant.hundred_ns = ord(tick) - 48
            return instant
    if not isinstance(value, str):
        raise ValueError("not a string")
    text = value.strip()
    hundred_ns = 0
    if match := _FRACTION.search(text):
        extra = match.group(2)
        hundred_ns = int(extra[0]) if extra else 0
        text = text[: match.start()] + match.group(1) + text[match.end() :]
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return PlatformInstant.of(parsed.astimezone(UTC), hundred_ns)


def format_datetime(value: datetime) -> str:
    """Aware datetime to the remote's form: UTC, seven fractional digits, ``Z``."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: the remote expects UTC")
    hundred_ns = getattr(value, "hundred_ns", 0)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{hundred_ns}Z"


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected a boolean")
    return value


def _as_ident(value: Any) -> str:
    """An identifier the vendor documents without a type: accept text or a number."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError("expected an identifier (text or number)")
    return str(value)


def _as_datetime(value: Any) -> datetime:
    try:
        return parse_datetime(value)
    except (TypeError, ValueError) as exc:
        raise TypeError("expected an ISO 8601 date-time") from exc


def _as_any(value: Any) -> Any:
    return value


_CONVERTERS = {
    "int": _as_int,
    "str": _as_str,
    "bool": _as_bool,
    "ident": _as_ident,
    "datetime": _as_datetime,
    "any": _as_any,
}


def remote(key: str, kind: str, *, nullable: bool = False):
    """Declare a record field: its JSON key, its kind, and whether null is allowed."""
    return dataclasses.field(metadata={"key": key, "kind": kind, "nullable": nullable})


class Record:
    """Base for records parsed from a JSON object with ``Record.parse``."""

    @classmethod
    def _spec(cls) -> list[tuple[str, str, bool, Any]]:
        """(attribute, JSON key, nullable, converter) per field, worked out once per class."""
        spec = cls.__dict__.get("_parse_spec")
        if spec is None:
            spec = [
                (f.name, f.metadata["key"], f.metadata["nullable"], _CONVERTERS[f.metadata["kind"]])
                for f in dataclasses.fields(cls)
            ]
            setattr(cls, "_parse_spec", spec)  # noqa: B010 - slots classes: set on the class
        return spec

    @classmethod
    def parse(cls, payload: Any, *, where: str = "") -> Self:
        """The record, or ``BadResponse`` naming the field that is wrong.

        A well-formed payload takes a parser compiled once per class (a sync
        parses every segment: the loop below was its largest cost, bench/); any
        doubt falls back to the checked loop, which also words the error."""
        fast = cls.__dict__.get("_fast_parse") or _compile_fast_parse(cls)
        if type(payload) is dict:
            try:
                return fast(payload)
            except _Mismatch:
                pass
        return cls._parse_checked(payload, where=where)

    @classmethod
    def _parse_checked(cls, payload: Any, *, where: str = "") -> Self:
        where = where or cls.__name__
        if not isinstance(payload, dict):
            raise BadResponse(f"{where}: expected a JSON object, got {type(payload).__name__}")
        values = {}
        for name, key, nullable, convert in cls._spec():
            raw = payload.get(key)
            if raw is None:
                if key not in payload and not nullable:
                    raise BadResponse(f"{where}: required field {key!r} is missing")
                if not nullable:
                    raise BadResponse(f"{where}: field {key!r} must not be null")
                values[name] = None
                continue
            try:
                values[name] = convert(raw)
            except TypeError as exc:
                raise BadResponse(f"{where}: field {key!r}: {exc}, got {raw!r:.40}") from None
        return cls(**values)

    @classmethod
    def parse_list(cls, payload: Any, *, where: str = "") -> list[Self]:
        where = where or cls.__name__
        if not isinstance(payload, list):
            raise BadResponse(f"{where}: expected a JSON array, got {type(payload).__name__}")
        return [cls.parse(item, where=f"{where}[{i}]") for i, item in enumerate(payload)]


def record_row(record: Record) -> tuple:
    """A record's values in its field order: a row, as ``fast_decode.data_rows``
    makes them without a record."""
    values = type(record).__dict__.get("_row_values")
    if values is None:
        names = [f.name for f in dataclasses.fields(record)]
        get = operator.attrgetter(*names)
        values = get if len(names) > 1 else lambda one: (get(one),)  # a tuple even of one
        setattr(type(record), "_row_values", values)  # noqa: B010 - slots classes: set on the class
    return values(record)


class _Mismatch(Exception):
    """A payload the compiled parser does not vouch for: the checked loop decides."""


# Per kind, the compiled parser's statements for a value ``v``: accept it as is,
# convert it, or raise ``_Mismatch``. ``type(v) is int`` also refuses a bool.
_FAST_CHECKS = {
    "int": ["if type(v) is not int: raise _Mismatch"],
    "str": ["if type(v) is not str: raise _Mismatch"],
    "bool": ["if v is not True and v is not False: raise _Mismatch"],
    "ident": ["if type(v) is int: v = str(v)", "elif type(v) is not str: raise _Mismatch"],
    "datetime": ["if type(v) is not str: raise _Mismatch", "v = _datetime_or_mismatch(v)"],
    "any": [],
}


def _datetime_or_mismatch(value: str) -> datetime:
    try:
        return parse_datetime(value)
    except ValueError:
        raise _Mismatch from None


def _compile_fast_parse(cls):
    """Build ``cls``'s parser for well-formed payloads (dicts) and keep it on the class."""
    fast = compile_filler(
        cls,
        arg="payload",
        prologue=["get = payload.get"],
        read=lambda f: f"get({f.metadata['key']!r})",
    )
    setattr(cls, "_fast_parse", staticmethod(fast))  # noqa: B010 - slots classes: set on the class
    return fast


def compile_filler(cls, *, arg: str, read, prologue=()):
    """One function of ``arg`` that makes a ``cls`` record: each field's value read
    by the expression ``read(field)``, checked inline (``_Mismatch`` if doubtful)
    and set straight into the record's slot (a frozen dataclass's ``__init__``
    costs an ``object.__setattr__`` call per field: half of a segment's parse,
    bench/)."""
    fields = dataclasses.fields(cls)
    namespace = {"new": object.__new__, "cls": cls, "_Mismatch": _Mismatch}
    namespace["_datetime_or_mismatch"] = _datetime_or_mismatch
    lines = [f"def fill({arg}):", *(f"    {line}" for line in prologue), "    record = new(cls)"]
    for i, f in enumerate(fields):
        namespace[f"set{i}"] = cls.__dict__[f.name].__set__
        lines.append(f"    v = {read(f)}")
        checks = _FAST_CHECKS[f.metadata["kind"]]
        if checks and f.metadata["nullable"]:
            lines += ["    if v is not None:", *(f"        {c}" for c in checks)]
        else:
            lines += [f"    {c}" for c in checks]
        lines.append(f"    set{i}(record, v)")
    lines.append("    return record")
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from our own field specs
    return namespace["fill"]


@dataclasses.dataclass(frozen=True, slots=True)
class Segment(Record):
    """A platform segment: an audience activated on one platform account."""

    segment_id: int = remote("segmentId", "int")
    segment_ref_id: str | None = remote("segmentRefId", "ident", nullable=True)
    category_id: int | None = remote("categoryId", "int", nullable=True)
    description: str | None = remote("description", "str", nullable=True)
    auto_extend: bool = remote("extend", "bool")
    active: bool = remote("active", "bool")
    account_id: int = remote("accountId", "int")
    audience_id: int = remote("audienceId", "int")
    platform_id: int = remote("platformId", "int")
    is_recurring: bool = remote("isRecurring", "bool")
    is_system_generated: bool = remote("isSystemGenerated", "bool")
    country: int = remote("country", "int")
    start_date: datetime = remote("startDate", "datetime")
    end_date: datetime | None = remote("endDate", "datetime", nullable=True)
    status: str = remote("status", "str")
    status_id: int = remote("statusId", "int")
    user_name: str | None = remote("userName", "str", nullable=True)
    user_id: str | None = remote("userId", "ident", nullable=True)
    total_log_count: int = remote("totalLogCount", "int")
    total_ready_count: int | None = remote("totalReadyCount", "int", nullable=True)
    total_processing_count: int | None = remote("totalProcessingCount", "int", nullable=True)
    total_pending_count: int = remote("totalPendingCount", "int")
    total_upload_count: int = remote("totalUploadCount", "int")
    total_failed_count: int | None = remote("totalFailedCount", "int", nullable=True)
    total_no_data_count: int | None = remote("totalNoDataCount", "int", nullable=True)
    total_segment_upload_count: int = remote("totalSegmentUploadCount", "int")
    id: int = remote("id", "int")
    name: str = remote("name", "str")
    created: datetime = remote("created", "datetime")
    updated: datetime = remote("updated", "datetime")


@dataclasses.dataclass(frozen=True, slots=True)
class Account(Record):
    """A platform account. The remote's ``accessToken`` is never read into it."""

    id: int = remote("id", "int")
    name: str = remote("name", "str")
    platform_id: int = remote("platformId", "int")
    platform_name: str = remote("platformName", "str")
    platform_display_name: str = remote("platformDisplayName", "str")
    agency_id: int = remote("agencyId", "int")
    account_type_id: int | None = remote("accountTypeId", "int", nullable=True)
    advertiser_id: str | None = remote("advertiserId", "ident", nullable=True)
    client_id: str = remote("clientId", "ident")
    agency_name: str = remote("agencyName", "str")
    account_type_name: str | None = remote("accountTypeName", "str", nullable=True)
    default_segment_pricing_category_id: int | None = remote(
        "defaultSegmentPricingCategoryId", "int", nullable=True
    )
    created: datetime = remote("created", "datetime")
    updated: datetime = remote("updated", "datetime")


@dataclasses.dataclass(frozen=True, slots=True)
class Audience(Record):
    """An audience as the Segment API's audience calls return it (types partly assumed)."""

    id: int = remote("id", "int")
    name: str = remote("name", "str")
    user_id: str | None = remote("userId", "ident", nullable=True)
    description: str | None = remote("description", "str", nullable=True)
    campaign_id: int | None = remote("campaignId", "int", nullable=True)
    campaign_name: str | None = remote("campaignName", "str", nullable=True)
    created: datetime | None = remote("created", "datetime", nullable=True)
    updated: datetime | None = remote("updated", "datetime", nullable=True)
    start_date: datetime | None = remote("startDate", "datetime", nullable=True)
    end_date: datetime | None = remote("endDate", "datetime", nullable=True)
    data_updated: datetime | None = remote("dataUpdated", "datetime", nullable=True)
    activation_status: str | None = remote("activationStatus", "str", nullable=True)
    activation_status_id: int | None = remote("activationStatusId", "int", nullable=True)
    lifetime_status: str | None = remote("lifetimeStatus", "str", nullable=True)
    lifetime_status_id: int | None = remote("lifetimeStatusId", "int", nullable=True)
    audience_state: str | None = remote("audienceState", "str", nullable=True)
    audience_state_id: int | None = remote("audienceStateId", "int", nullable=True)
    type: str | None = remote("type", "str", nullable=True)
    type_id: int | None = remote("typeId", "int", nullable=True)
    source_audience_id: int | None = remote("sourceAudienceId", "int", nullable=True)
    source_audience_type_id: int | None = remote("sourceAudienceTypeId", "int", nullable=True)
    can_create_lookalike: bool | None = remote("canCreateLookalike", "bool", nullable=True)
    has_segments: bool | None = remote("hasSegments", "bool", nullable=True)
    tag_collection: Any = remote("tagCollection", "any", nullable=True)
    crm_data: Any = remote("crmData", "any", nullable=True)


@dataclasses.dataclass(frozen=True, slots=True)
class AudienceRow(Record):
    """One row of the List & Segment API's ``audience_details``."""

    audience_id: int = remote("audience_id", "int")
    audience_name: str = remote("audience_name", "str")
    last_updated_time: datetime | None = remote("last_updated_time", "datetime", nullable=True)
    last_refreshed_time: datetime | None = remote("last_refreshed_time", "datetime", nullable=True)


@dataclasses.dataclass(frozen=True, slots=True)
class PageDetails(Record):
    page_no: int = remote("page_no", "int")
    page_max: int = remote("page_max", "int")
    page_size: int = remote("page_size", "int")


@dataclasses.dataclass(frozen=True, slots=True)
class AudiencePage:
    """One page of the audience catalogue."""

    audience_type: str
    page: PageDetails
    rows: list[AudienceRow]
