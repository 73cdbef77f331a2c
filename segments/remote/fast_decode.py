"""A faster way from the sync's largest answers to records: JSON bytes straight in.

A full sync reads every segment. ``json.loads`` and ``Record.parse`` took about
as long as a segment's HTTP (34 against 38 µs, docs/performance.md); this
takes half. Here msgspec decodes the body, in C, into a struct typed
from the record's own field specs (``remote(key, kind, nullable=...)``), and the
record is filled from it by the same compiled checks as ``Record.parse``.
Date-times are decoded as text and read by ``parse_datetime``: msgspec rounds
to the microsecond, the platform's own parser truncates and keeps the seventh
digit.

It vouches only for a well-formed answer. Whatever it refuses (a missing or
mistyped key, malformed JSON, a body not in UTF-8) gives ``None``, and the
caller takes the general path, which decides and words the error. Where both
accept an answer they make equal records (tests/remote/test_fast_decode.py).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import msgspec

from segments.remote.records import Record, _Mismatch, compile_filler

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


def _wire_struct(cls: type[Record]) -> type[msgspec.Struct]:
    fields = []
    for f in dataclasses.fields(cls):
        wire_type = _WIRE_TYPES[f.metadata["kind"]]
        if f.metadata["nullable"]:
            # A missing nullable key is None, as in Record.parse.
            fields.append(
                (f.name, wire_type | None, msgspec.field(name=f.metadata["key"], default=None))
            )
        else:
            fields.append((f.name, wire_type, msgspec.field(name=f.metadata["key"])))
    # gc=False: decoded values cannot form reference cycles.
    return msgspec.defstruct(f"Wire{cls.__name__}", fields, kw_only=True, frozen=True, gc=False)


@functools.cache
def _list_decoder(cls: type[Record]):
    """The decoder of ``{"data": [<cls>, ...]}`` and the filler of one record."""
    envelope = msgspec.defstruct(
        f"Wire{cls.__name__}List", [("data", list[_wire_struct(cls)])], kw_only=True, gc=False
    )
    fill = compile_filler(cls, arg="wire", read=lambda f: f"wire.{f.name}")
    return msgspec.json.Decoder(envelope), fill


def data_list(cls: type[Record], body: bytes) -> list | None:
    """The ``cls`` records of an answer whose ``data`` is a JSON array of them, or
    ``None`` if this decoder does not vouch for the body (the caller then parses
    it the general way, which raises the right ``BadResponse``)."""
    decoder, fill = _list_decoder(cls)
    try:
        return [fill(wire) for wire in decoder.decode(body).data]
    except (msgspec.DecodeError, _Mismatch):  # ValidationError is a DecodeError
        return None
