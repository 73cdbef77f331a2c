"""The fast decoder of segment lists against the general path (json + Record.parse).

Where the fast decoder vouches for a body it must give exactly the records the
general path gives (values, the datetime subclass and its seventh digit);
where the general path refuses a body, the fast one must not vouch for it, so
the client falls back and words the error as before.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from segments.remote import BadResponse, Segment
from segments.remote.fast_decode import data_list
from tests.remote.test_records import segment_payload

KEYS = list(segment_payload())
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


def payload_with(changes: dict) -> dict:
    payload = segment_payload()
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
        [
            (value, type(value), getattr(value, "hundred_ns", None))
            for value in (getattr(record, f.name) for f in dataclasses.fields(record))
        ]
        for record in records
    ]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(CHANGES, min_size=0, max_size=3))
@example(changes=[{}])
@example(changes=[{"userId": 42, "segmentRefId": "x-1"}, {"userId": True}])
@example(changes=[{"totalLogCount": 2**65}])
@example(changes=[{"created": "2026-06-24T12:59:42.11188279999Z"}])
def test_fast_decode_gives_the_general_paths_records_or_stands_aside(changes):
    body = json.dumps({"data": [payload_with(c) for c in changes], "other": 1}).encode()
    expected = general(body)
    fast = data_list(Segment, body)
    if fast is None:
        return
    assert not isinstance(expected, str), f"the general path refused it: {expected}"
    assert exact(fast) == exact(expected)


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
