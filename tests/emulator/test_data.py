"""The sandbox's seeded data: deterministic, realistic, consistent."""

from datetime import UTC, datetime

import pytest

from sandbox import SandboxServer
from sandbox.data import DAY, format_ticks, generate, parse_ticks, ticks_from_datetime
from sandbox.store import SEGMENT_FIELDS
from tests.emulator.support import (
    ACCOUNT_FIELDS,
    SEGMENT_DATE,
    list_api,
)


def test_generation_is_deterministic():
    anchor = ticks_from_datetime(datetime(2026, 1, 1, tzinfo=UTC))
    first, again = generate(7, 400, anchor), generate(7, 400, anchor)
    other = generate(8, 400, anchor)
    assert first.segments == again.segments
    assert first.audiences == again.audiences
    assert first.segments != other.segments
    assert [a["name"] for a in first.audiences] != [a["name"] for a in other.audiences]


def test_two_servers_with_one_seed_serve_the_same_data():
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    bodies = []
    for _ in range(2):
        with SandboxServer(seed=3, size=100, anchor=anchor) as server:
            answer = list_api(server, {"audience_type": "list", "page_details": {"page_size": 100}})
            bodies.append(answer.json())
    assert bodies[0] == bodies[1]


def test_segments_are_realistic_and_their_counts_consistent():
    anchor = ticks_from_datetime(datetime(2026, 1, 1, tzinfo=UTC))
    data = generate(7, 400, anchor)
    segments = list(data.segments.values())
    assert len(segments) == 400
    assert len(data.audiences) == 60
    assert data.audiences[0]["id"] == 1001
    assert {a["type"] for a in data.audiences} == {"segment", "list"}
    used = {s["audienceId"] for s in segments}
    assert 0 < len(data.audiences) - len(used) < 10
    statuses = {s["status"] for s in segments}
    assert {"Active", "Paused", "Pending", "Expired"} <= statuses
    assert {s["country"] for s in segments} <= {276, 528, 826, 840, 250, 724}
    expired = sum(s["endDate"] < anchor for s in segments)
    soon = sum(anchor <= s["endDate"] < anchor + 7 * DAY for s in segments)
    assert 20 <= expired <= 60
    assert 20 <= soon <= 60
    assert all(s["startDate"] < anchor and s["startDate"] < s["endDate"] for s in segments)
    nullable = ("totalReadyCount", "totalProcessingCount", "totalFailedCount", "totalNoDataCount")
    with_nulls = sum(any(s[k] is None for k in nullable) for s in segments)
    assert 15 <= with_nulls <= 80
    assert any(s["totalFailedCount"] for s in segments)
    assert any(s["totalNoDataCount"] for s in segments)
    assert max(s["totalLogCount"] for s in segments) > 2**31
    assert any(s["extend"] for s in segments)
    assert any(s["isRecurring"] for s in segments)
    assert any(s["isSystemGenerated"] for s in segments)
    assert any(s["segmentRefId"] is None for s in segments)
    assert any(s["categoryId"] is None for s in segments)
    accounts = {a["id"]: a for a in data.accounts}
    for s in segments:
        parts = ("totalReadyCount", "totalProcessingCount", "totalPendingCount", *nullable[2:])
        assert s["totalSegmentUploadCount"] == sum(s[k] or 0 for k in parts)
        assert 0 <= s["totalUploadCount"] <= (s["totalReadyCount"] or 0)
        assert s["platformId"] == accounts[s["accountId"]]["platformId"]
        assert s["id"] == s["segmentId"]
        assert tuple(s) == SEGMENT_FIELDS


def test_served_segments_carry_every_field(srv, session):
    segments = session.get(f"{srv.segment_api_url}/segment/audience/1001").json()["data"]
    for segment in segments:
        assert tuple(segment) == SEGMENT_FIELDS
        assert segment["audienceId"] == 1001
        for key in ("startDate", "endDate", "created", "updated"):
            assert SEGMENT_DATE.fullmatch(segment[key])


def test_accounts_carry_an_access_token(srv, session):
    accounts = session.get(f"{srv.segment_api_url}/organisation/loadplatformaccounts").json()
    accounts = accounts["data"]
    assert len(accounts) == 6
    assert len({a["agencyId"] for a in accounts}) == 3
    assert all(set(a) == ACCOUNT_FIELDS for a in accounts)
    assert all(a["accessToken"].startswith("sbx-secret-token-") for a in accounts)
    assert any(a["accountTypeId"] is None for a in accounts)


def test_dates_parse_and_round_trip():
    value = "2025-12-16T11:36:10.6878666Z"
    assert format_ticks(parse_ticks(value)) == value
    assert parse_ticks("2025-12-16T13:36:10.6878666+02:00") == parse_ticks(value)
    assert parse_ticks("2025-12-16T11:36:10") == parse_ticks("2025-12-16T11:36:10.0Z")
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_ticks("16/12/2025")
