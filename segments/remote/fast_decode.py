"""Faster ways from the sync's largest answers to values: JSON bytes straight in.

A full sync reads every segment. ``json.loads`` and ``Record.parse`` took about
as long as a segment's HTTP (34 against 38 µs, docs/performance.md). Here
msgspec decodes the body, in C, into a struct typed from the record's own field
specs (``remote(key, kind, nullable=...)``), and then:

- ``data_list`` fills records from it by the same compiled checks as
  ``Record.parse``. Date-times are decoded as text and read by
  ``parse_datetime``: msgspec rounds to the microsecond, the platform's own
  parser truncates and keeps the seventh digit.
- ``data_rows`` makes a plain tuple of each (``SegmentRow``s, what a sync
  stores): no record and no ``datetime`` per segment. It vouches only for
  date-times in the platform's own form (``PLATFORM_INSTANT``), which it keeps
  as that text (with a real calendar day); the mirror cuts it to what its
  columns hold.

Each vouches only for a well-formed answer. Whatever it refuses (a missing or
mistyped key, malformed JSON, a body not in UTF-8, another date-time form)
gives ``None``, and the caller takes the general path, which decides and words
the error. Where both accept an answer they hold equal values
(tests/remote/test_fast_decode.py).
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import date
from typing import Annotated, Any

import msgspec

from segments.remote.records import Record, _Mismatch, compile_filler

# The platform's own form of an instant: UTC, seven fractional digits (.NET ticks).
# ASCII digits only (``\d`` would take any script's), and nothing after the Z.
PLATFORM_INSTANT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{7}Z\Z"
)

# The wire type msgspec checks for each kind of field; ``compile_filler``'s
# checks then convert (an identifier to text, a date-time from text).
_WIRE_TYPES = {
    "int": int,
    "str": str,
    "bool": bool,
    "ident": str | int,
    "datetime": str,
    "any": Any,
}
# For rows: a date-time must be the platform's own form (the day is checked after).
_ROW_WIRE_TYPES = {
    **_WIRE_TYPES,
    "datetime": Annotated[str, msgspec.Meta(pattern=PLATFORM_INSTANT)],
}


def _wire_struct(cls: type[Record], wire_types: dict) -> type[msgspec.Struct]:
    fields = []
    for f in dataclasses.fields(cls):
        wire_type = wire_types[f.metadata["kind"]]
        if f.metadata["nullable"]:
            # A missing nullable key is None, as in Record.parse.
            fields.append(
                (f.name, wire_type | None, msgspec.field(name=f.metadata["key"], default=None))
            )
        else:
            fields.append((f.name, wire_type, msgspec.field(name=f.metadata["key"])))
    # gc=False: decoded values cannot form reference cycles.
    return msgspec.defstruct(f"Wire{cls.__name__}", fields, kw_only=True, frozen=True, gc=False)


def _envelope_decoder(cls: type[Record], wire_types: dict) -> msgspec.json.Decoder:
    """The decoder of ``{"data": [<cls>, ...]}``."""
    envelope = msgspec.defstruct(
        f"Wire{cls.__name__}List",
        [("data", list[_wire_struct(cls, wire_types)])],
        kw_only=True,
        gc=False,
    )
    return msgspec.json.Decoder(envelope)


@functools.cache
def _list_decoder(cls: type[Record]):
    """The decoder of a list of ``cls`` and the filler of one record."""
    fill = compile_filler(cls, arg="wire", read=lambda f: f"wire.{f.name}")
    return _envelope_decoder(cls, _WIRE_TYPES), fill


def data_list(cls: type[Record], body: bytes) -> list | None:
    """The ``cls`` records of an answer whose ``data`` is a JSON array of them, or
    ``None`` if this decoder does not vouch for the body (the caller then parses
    it the general way, which raises the right ``BadResponse``)."""
    decoder, fill = _list_decoder(cls)
    try:
        return [fill(wire) for wire in decoder.decode(body).data]
    except (msgspec.DecodeError, _Mismatch):  # ValidationError is a DecodeError
        return None


# Calendar days already found real (the pattern lets 2026-02-30 through). Days
# repeat across a platform's segments; the set is dropped if an answer floods it.
_real_days: set[str] = set()
_REAL_DAYS_MAX = 100_000


def _real_day(instant: str) -> None:
    day = instant[:10]
    try:
        date.fromisoformat(day)
    except ValueError:
        raise _Mismatch from None
    if len(_real_days) >= _REAL_DAYS_MAX:
        _real_days.clear()
    _real_days.add(day)


@functools.cache
def _row_decoder(cls: type[Record]):
    """The decoder of a list of ``cls`` for rows, and the function making one row
    of a decoded struct: each value as the record holds it, but a date-time as
    its text; an identifier sent as a number made text, as ``Record.parse``
    does; a day checked once (``_real_days``)."""
    fields = dataclasses.fields(cls)
    lines = ["def row(wire):"]
    for i, f in enumerate(fields):
        lines.append(f"    v{i} = wire.{f.name}")
        kind, nullable = f.metadata["kind"], f.metadata["nullable"]
        if kind == "ident":
            lines.append(f"    if type(v{i}) is int: v{i} = str(v{i})")
        elif kind == "datetime":
            guard = f"v{i} is not None and " if nullable else ""
            lines.append(f"    if {guard}v{i}[:10] not in real_days: real_day(v{i})")
    lines.append(f"    return ({', '.join(f'v{i}' for i in range(len(fields)))},)")
    namespace = {"real_days": _real_days, "real_day": _real_day}
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from our own field specs
    return _envelope_decoder(cls, _ROW_WIRE_TYPES), namespace["row"]


def data_rows(cls: type[Record], body: bytes) -> list[tuple] | None:
    """The ``cls`` values of an answer whose ``data`` is a JSON array of them, one
    tuple each in the record's field order, a date-time kept as the platform's
    own text; or ``None`` if this decoder does not vouch for the body (another
    date-time form included: the caller then parses records)."""
    decoder, row = _row_decoder(cls)
    try:
        return [row(wire) for wire in decoder.decode(body).data]
    except (msgspec.DecodeError, _Mismatch):
        return None
