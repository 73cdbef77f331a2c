"""The List & Segment API client against the sandbox, over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from segments.remote import (
    AudienceQuery,
    AuthError,
    DateRange,
    InvalidRequest,
    ListApiClient,
)
from tests.conftest import FAST

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def all_rows(client, audience_type):
    return list(client.iter_audiences(AudienceQuery(audience_type=audience_type, page_size=100)))


def test_the_seeds_example_request_is_accepted_verbatim(list_client):
    body = json.loads((FIXTURES / "list_api_example_request.json").read_text())
    page = list_client.audience_page_raw(body)
    assert page.audience_type == "segment"
    assert page.page.page_no == 1
    assert page.page.page_max >= 1


def test_iterates_every_page_without_duplicates(list_client, sandbox):
    rows = all_rows(list_client, "segment")
    ids = [row.audience_id for row in rows]
    assert len(ids) == len(set(ids)) > 10
    assert ids == sorted(ids)
    assert all(row.last_refreshed_time is not None for row in rows)


def test_copes_with_a_smaller_page_size_than_asked(list_client, sandbox):
    expected = {row.audience_id for row in all_rows(list_client, "list")}
    sandbox.requests.clear()
    pages = list(
        list_client.iter_audience_pages(AudienceQuery(audience_type="list", page_size=1000))
    )
    assert pages[0].page.page_size < 1000
    assert {row.audience_id for page in pages for row in page.rows} == expected
    assert sandbox.requests.count("audience_list") == len(pages)


def test_small_pages_follow_page_max(list_client):
    pages = list(list_client.iter_audience_pages(AudienceQuery(audience_type="list", page_size=7)))
    assert len(pages) == pages[0].page.page_max > 1


def test_filters_by_audience_ids(list_client):
    rows = all_rows(list_client, "segment")
    wanted = (rows[0].audience_id, rows[3].audience_id)
    found = list(
        list_client.iter_audiences(AudienceQuery(audience_type="segment", audience_ids=wanted))
    )
    assert {row.audience_id for row in found} == set(wanted)


@pytest.mark.parametrize("condition", ["gt", "lt", "eq", "bt"])
def test_date_range_conditions(list_client, condition):
    rows = all_rows(list_client, "segment")
    times = sorted(row.last_updated_time for row in rows)
    pivot = times[len(times) // 2]
    if condition == "bt":
        lower, upper = times[len(times) // 4], times[3 * len(times) // 4]
        date_range = DateRange("bt", lower=lower, upper=upper)
        expected = {r.audience_id for r in rows if lower <= r.last_updated_time <= upper}
    elif condition == "eq":
        date_range = DateRange("eq", value=pivot)
        expected = {r.audience_id for r in rows if r.last_updated_time.date() == pivot.date()}
    else:
        date_range = DateRange(condition, value=pivot)
        compare = (lambda t: t > pivot) if condition == "gt" else (lambda t: t < pivot)
        expected = {r.audience_id for r in rows if compare(r.last_updated_time)}
    query = AudienceQuery(audience_type="segment", page_size=100, last_updated=date_range)
    assert {row.audience_id for row in list_client.iter_audiences(query)} == expected
    assert expected


def test_last_refreshed_filter_and_sort(list_client):
    since = datetime.now(UTC) - timedelta(days=30)
    query = AudienceQuery(
        audience_type="segment",
        page_size=100,
        sort_by="last_refreshed_date",
        sort_order="desc",
        last_refreshed=DateRange("gt", value=since),
    )
    rows = list(list_client.iter_audiences(query))
    refreshed = [row.last_refreshed_time for row in rows]
    assert refreshed == sorted(refreshed, reverse=True)
    assert all(t > since for t in refreshed)


def test_sort_by_updated_date_for_segments(list_client):
    query = AudienceQuery(audience_type="segment", sort_by="updated_date", sort_order="desc")
    rows = list_client.audience_page(query).rows
    assert [r.last_updated_time for r in rows] == sorted(
        (r.last_updated_time for r in rows), reverse=True
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (AudienceQuery(audience_type="people"), "audience_type"),
        (AudienceQuery(audience_type="list", page_no=0), "page_details.page_no"),
        (
            AudienceQuery(audience_type="list", sort_by="last_refreshed_date"),
            "sorting_criteria.sort_by",
        ),
        (
            AudienceQuery(
                audience_type="list", last_updated=DateRange(None, value=datetime.now(UTC))
            ),
            "filtering_criteria.last_updated_date_range.condition",
        ),
        (
            AudienceQuery(
                audience_type="segment",
                last_refreshed=DateRange("bt", lower=datetime.now(UTC)),
            ),
            "filtering_criteria.last_refreshed_date_range.upper_bound_value",
        ),
        (
            AudienceQuery(
                audience_type="segment",
                last_updated=DateRange(
                    "bt",
                    value=datetime.now(UTC),
                    lower=datetime.now(UTC),
                    upper=datetime.now(UTC),
                ),
            ),
            "filtering_criteria.last_updated_date_range.value",
        ),
        (
            AudienceQuery(audience_type="segment", last_updated=DateRange("gt")),
            "filtering_criteria.last_updated_date_range.value",
        ),
    ],
)
def test_builder_refuses_invalid_requests_before_sending(list_client, sandbox, query, field):
    with pytest.raises(InvalidRequest) as caught:
        list_client.audience_page(query)
    assert caught.value.field == field
    assert sandbox.requests.count("audience_list") == 0


def test_server_side_validation_is_a_validation_error(list_client):
    from segments.remote import ValidationError

    with pytest.raises(ValidationError, match="condition") as caught:
        list_client.audience_page_raw(
            {"audience_type": "segment", "filtering_criteria": {"last_updated_date_range": {}}}
        )
    assert caught.value.status == 400


def test_wrong_api_key_is_an_auth_error(sandbox):
    client = ListApiClient(sandbox.list_api_url, api_key="wrong", config=FAST)
    with pytest.raises(AuthError) as caught:
        client.audience_page(AudienceQuery(audience_type="list"))
    assert caught.value.status == 401
    assert "wrong" not in str(caught.value)
