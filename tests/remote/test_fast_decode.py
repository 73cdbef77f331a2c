"""The fast decoders of segment lists against the general path (json + Record.parse).

Where a fast decoder vouches for a body it must give exactly what the general
path gives: the same records (values, the datetime subclass and its seventh
digit), or rows of the same values with each date-time as text that reads as
the same instant; where the general path refuses a body, no fast decoder may
vouch for it, so the client falls back and words the error as before.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from segments.remote import BadResponse, Segment, record_row
from segments.remote.fast_decode import data_list, data_rows
from segments.remote.records import parse_datetime
from tests.remote.test_records import segment_payload

KEYS = list(segment_payload())
# The date-time keys: in the platform's own form, rows keep them as text.
PLATFORM_FORM = ("created", "endDate", "startDate", "updated")
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(
        [
            "2026-06-24T12:59:42.1118820Z",
            "2026-06-24T12:59:42.1118827Z",
            "2026-06-24T12:59:42Z",
            "2026-06-24T12:59:42.123+02:00",
            "2026-06-24 12:59:42",
            "2026-06-24T12:59:42.11188279999Z",
            "2026-02-30T12:59:42.1118827Z",
            "2026-06-24T12:59:42.111882xZ",
            "",
            "42",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
# A payload: the well-formed one with a few keys changed to odd values or removed.
CHANGES = st.dictionaries(
    st.sampled_from(KEYS), st.one_of(st.just("<missing>"), ODD_VALUES), max_size=3
)


def payload_with(changes: dict, *, platform_dates: bool = False) -> dict:
    """``segment_payload`` changed; ``platform_dates``: with every date-time in the
    platform's own form (the one the row decoder keeps), before the changes."""
    payload = segment_payload()
    if platform_dates:
        payload.update(dict.fromkeys(PLATFORM_FORM, "2025-02-01T10:00:00.0000000Z"))
    for key, value in changes.items():
        if value == "<missing>":
            del payload[key]
        else:
            payload[key] = value
    return payload


def general(body: bytes):
    """What the client's general path makes of a body: records, or the error
    (``requests`` decodes a UTF-8 body to text first, keeping a BOM)."""
    try:
        envelope = json.loads(body.decode("utf-8"))
    except ValueError:
        return "not JSON"
    if not isinstance(envelope, dict) or "data" not in envelope:
        return "no envelope"
    try:
        return Segment.parse_list(envelope["data"])
    except BadResponse as exc:
        return str(exc)


def exact(records) -> list:
    """The records' values, with each value's type and a datetime's seventh digit
    (read as they are: ``dataclasses.astuple`` copies, and a copied
    ``PlatformInstant`` loses its digit)."""
    return [
        [exact_value(getattr(record, f.name)) for f in dataclasses.fields(record)]
        for record in records
    ]


def exact_rows(rows) -> list:
    """Rows as ``exact`` shows records: a date-time's text read as the parser reads it."""
    return [
        [
            exact_value(
                parse_datetime(value) if type(value) is str and kind == "datetime" else value
            )
            for value, kind in zip(row, KINDS, strict=True)
        ]
        for row in rows
    ]


def exact_value(value) -> tuple:
    return (value, type(value), getattr(value, "hundred_ns", None))


KINDS = [f.metadata["kind"] for f in dataclasses.fields(Segment)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(CHANGES, min_size=0, max_size=3), platform_dates=st.booleans())
@example(changes=[{}], platform_dates=False)
@example(changes=[{"userId": 42, "segmentRefId": "x-1"}, {"userId": True}], platform_dates=True)
@example(changes=[{"userId": 42, "segmentRefId": 7}], platform_dates=True)
@example(changes=[{"totalLogCount": 2**65}], platform_dates=True)
@example(changes=[{"created": "2026-06-24T12:59:42.11188279999Z"}], platform_dates=True)
@example(changes=[{"created": "2026-02-30T12:59:42.1118827Z"}], platform_dates=True)
@example(changes=[{"created": "0000-06-24T12:59:42.1118827Z"}], platform_dates=True)
@example(changes=[{"created": "2026-06-24T24:00:00.0000000Z"}], platform_dates=True)
@example(changes=[{"endDate": "2026-06-24T23:59:60.0000000Z"}], platform_dates=True)
@example(changes=[{"updated": "2026-06-24T1\u0662:59:42.1118820Z"}], platform_dates=True)
@example(changes=[{"updated": "2026-06-24T12:59:42.111882\u0669Z"}], platform_dates=True)
@example(changes=[{"startDate": "2026-06-24T12:59:42.1118820Z\n"}], platform_dates=True)
def test_fast_decode_gives_the_general_paths_records_or_stands_aside(changes, platform_dates):
    payloads = [payload_with(c, platform_dates=platform_dates) for c in changes]
    body = json.dumps({"data": payloads, "other": 1}).encode()
    expected = general(body)
    fast = data_list(Segment, body)
    if fast is not None:
        assert not isinstance(expected, str), f"the general path refused it: {expected}"
        assert exact(fast) == exact(expected)
    rows = data_rows(Segment, body)
    if rows is not None:
        assert not isinstance(expected, str), f"the general path refused it: {expected}"
        assert exact_rows(rows) == exact_rows([record_row(r) for r in expected])


@settings(max_examples=200, deadline=None)
@given(
    instants=st.lists(
        st.datetimes(
            min_value=datetime(1, 1, 1),
            max_value=datetime(9999, 12, 31, 23, 59, 59),
        ),
        min_size=1,
        max_size=3,
    ),
    ticks=st.integers(0, 9),
)
def test_rows_keep_every_date_time_of_the_platforms_own_form_as_its_text(instants, ticks):
    texts = [f"{i.year:04d}-{i:%m-%dT%H:%M:%S}.{i.microsecond:06d}{ticks}Z" for i in instants]
    payloads = [payload_with(dict.fromkeys(PLATFORM_FORM, t)) for t in texts]
    body = json.dumps({"data": payloads}).encode()
    rows = data_rows(Segment, body)
    assert rows is not None
    assert [row[KINDS.index("datetime")] for row in rows] == texts
    assert exact_rows(rows) == exact_rows([record_row(r) for r in general(body)])


def test_rows_leave_other_date_time_forms_to_the_records():
    """``segment_payload`` has a date-time without a fraction and one with an offset."""
    body = json.dumps({"data": [segment_payload()]}).encode()
    assert data_list(Segment, body) is not None
    assert data_rows(Segment, body) is None


def test_a_well_formed_list_takes_the_fast_path():
    body = json.dumps({"data": [segment_payload(), segment_payload(segmentId=12)]}).encode()
    fast = data_list(Segment, body)
    assert fast is not None
    assert [s.segment_id for s in fast] == [11, 12]
    assert exact(fast) == exact(general(body))
    assert fast[0].created.hundred_ns == 7  # "…00.1234567Z"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>Service Unavailable</html>",
        b'{"data": [',
        b'{"message": "OK"}',
        b'{"data": {"segmentId": 1}}',
        b'{"data": [1, 2]}',
        b'{"data": [{"segmentId": NaN}]}',
        json.dumps({"data": [segment_payload(segmentId=None)]}).encode(),
        json.dumps({"data": [segment_payload(endDate="soon")]}).encode(),
        "\ufeff".encode() + json.dumps({"data": [segment_payload()]}).encode(),
    ],
)
def test_what_the_general_path_refuses_the_fast_path_does_not_vouch_for(body):
    assert isinstance(general(body), str)
    assert data_list(Segment, body) is None
    assert data_rows(Segment, body) is None
