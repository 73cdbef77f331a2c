"""Parsing edge cases of the typed records, straight from JSON payloads."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from segments.remote import Account, BadResponse, Segment, record_row
from segments.remote.list_api import _parse_page
from segments.remote.records import PageDetails, Record, format_datetime, parse_datetime, remote

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def segment_payload(**overrides):
    payload = {
        "segmentId": 11,
        "segmentRefId": None,
        "categoryId": None,
        "description": "Auto intenders",
        "extend": False,
        "active": True,
        "accountId": 3,
        "audienceId": 1001,
        "platformId": 2,
        "isRecurring": True,
        "isSystemGenerated": False,
        "country": 276,
        "startDate": "2025-01-01T00:00:00Z",
        "endDate": "2025-12-16T11:36:10.6878666Z",
        "status": "Active",
        "statusId": 1,
        "userName": "ops@example.com",
        "userId": 42,
        "totalLogCount": 4_200_000_000,
        "totalReadyCount": None,
        "totalProcessingCount": None,
        "totalPendingCount": 5,
        "totalUploadCount": 10,
        "totalFailedCount": None,
        "totalNoDataCount": None,
        "totalSegmentUploadCount": 15,
        "id": 11,
        "name": "Auto intenders DE",
        "created": "2025-01-01T00:00:00.1234567Z",
        "updated": "2025-02-01T10:00:00+02:00",
    }
    payload.update(overrides)
    return payload


def test_segment_parses_all_thirty_fields():
    segment = Segment.parse(segment_payload())
    assert segment.segment_id == 11
    assert segment.total_log_count == 4_200_000_000
    assert segment.total_ready_count is None
    assert segment.end_date == datetime(2025, 12, 16, 11, 36, 10, 687866, tzinfo=UTC)
    assert len(Segment.__dataclass_fields__) == 30


def test_offsets_become_utc_and_naive_values_are_taken_as_utc():
    segment = Segment.parse(segment_payload(startDate="2025-01-01T00:00:00"))
    assert segment.updated == datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    assert segment.start_date == datetime(2025, 1, 1, tzinfo=UTC)
    assert segment.updated.tzinfo is UTC


def test_seven_fractional_digits_are_accepted_and_written_back():
    value = parse_datetime("2025-12-16T11:36:10.6878666Z")
    assert value.microsecond == 687866
    assert format_datetime(value) == "2025-12-16T11:36:10.6878666Z"


def test_unknown_fields_are_ignored_and_missing_nullable_fields_are_none():
    payload = segment_payload(brandNewField={"x": 1})
    del payload["totalFailedCount"]
    segment = Segment.parse(payload)
    assert segment.total_failed_count is None


def test_missing_required_field_names_the_field():
    payload = segment_payload()
    del payload["endDate"], payload["segmentId"]
    with pytest.raises(BadResponse, match="'segmentId'"):
        Segment.parse(payload)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("segmentId", "11"),
        ("totalLogCount", True),
        ("active", 1),
        ("startDate", "yesterday"),
        ("name", None),
    ],
)
def test_wrong_types_name_the_field(key, value):
    with pytest.raises(BadResponse, match=repr(key)):
        Segment.parse(segment_payload(**{key: value}))


def test_account_drops_access_token():
    account = Account.parse(
        {
            "id": 1,
            "name": "Acme DE",
            "platformId": 2,
            "platformName": "dv360",
            "platformDisplayName": "Display & Video 360",
            "agencyId": 9,
            "accountTypeId": None,
            "advertiserId": 123456,
            "clientId": "c-77",
            "agencyName": "Northwind Media",
            "accountTypeName": None,
            "defaultSegmentPricingCategoryId": None,
            "created": "2024-01-01T00:00:00Z",
            "updated": "2024-06-01T00:00:00Z",
            "accessToken": "very-secret-token",
        }
    )
    assert account.advertiser_id == "123456"
    assert not hasattr(account, "access_token")
    assert "very-secret-token" not in repr(account)


def test_the_seeds_documented_list_response_parses():
    payload = json.loads((FIXTURES / "list_api_example_response.json").read_text())
    page = _parse_page(payload, asked_type="list")
    assert page.page.page_max == 19
    assert page.page.page_size == 5
    assert [row.audience_id for row in page.rows] == [1, 2, 5, 6, 7, 8, 9]
    assert page.rows[0].last_updated_time == datetime(2023, 11, 8, 11, 8, 52, tzinfo=UTC)


def test_list_page_without_page_details_is_a_bad_response():
    with pytest.raises(BadResponse, match="page_details"):
        _parse_page({"data": {"audience_details": []}}, asked_type="list")


def test_the_seventh_fractional_digit_survives_adding_days():
    """The platform counts in 100-ns ticks; a date moved by N days is sent back exact."""
    from datetime import timedelta

    end = parse_datetime("2026-11-29T10:20:54.1683919Z")
    assert format_datetime(end) == "2026-11-29T10:20:54.1683919Z"
    assert format_datetime(end + timedelta(days=7)) == "2026-12-06T10:20:54.1683919Z"
    assert format_datetime(end - timedelta(days=1)) == "2026-11-28T10:20:54.1683919Z"
    assert end == parse_datetime("2026-11-29T10:20:54.168391Z")
    assert format_datetime(parse_datetime("2026-11-29T10:20:54.16839199Z")).endswith("19Z")


def test_a_records_row_is_a_tuple_of_its_values_in_field_order_even_of_one_field():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Single(Record):
        page_no: int = remote("page_no", "int")

    assert record_row(Single(page_no=3)) == (3,)
    page = PageDetails(page_no=2, page_max=9, page_size=50)
    assert record_row(page) == (2, 9, 50)
