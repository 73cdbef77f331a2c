"""The sandbox's List & Segment API (the catalogue)."""

import math

import pytest

from tests.emulator.support import (
    LIST_DATE,
    SEED_EXAMPLE,
    catalogue,
    list_api,
)


def test_the_seed_example_request_is_accepted(srv):
    answer = list_api(srv, SEED_EXAMPLE)
    assert answer.status_code == 200
    body = answer.json()
    assert body == {
        "data": {
            "page_details": {"page_no": 1, "page_max": 1, "page_size": 10},
            "audience_type": "segment",
            "audience_details": [],
        },
        "message": "sucess",
        "statusCode": 200,
    }


def test_list_rows_have_the_documented_keys(srv):
    body = list_api(srv, {"audience_type": "segment"}).json()
    assert set(body) == {"data", "message", "statusCode"}
    rows = body["data"]["audience_details"]
    assert len(rows) == 10
    for row in rows:
        assert set(row) == {
            "audience_id",
            "audience_name",
            "last_updated_time",
            "last_refreshed_time",
        }
        assert LIST_DATE.fullmatch(row["last_updated_time"])
    lists = list_api(srv, {"audience_type": "list"}).json()["data"]["audience_details"]
    assert set(lists[0]) == {"audience_id", "audience_name", "last_updated_time"}


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({}, "audience_type"),
        ({"audience_type": "lists"}, "audience_type"),
        ({"audience_type": "list", "page_details": {"page_no": 0}}, "page_no"),
        ({"audience_type": "list", "page_details": {"page_size": 0}}, "page_size"),
        ({"audience_type": "list", "page_details": {"page_size": "10"}}, "page_size"),
        ({"audience_type": "list", "sorting_criteria": {"sort_by": "name"}}, "sort_by"),
        (
            {"audience_type": "list", "sorting_criteria": {"sort_by": "last_refreshed_date"}},
            "last_refreshed_date",
        ),
        ({"audience_type": "list", "sorting_criteria": {"sort_order": "up"}}, "sort_order"),
        ({"audience_type": "list", "filtering_criteria": {"audience_ids": ["1"]}}, "audience_ids"),
        (
            {
                "audience_type": "list",
                "filtering_criteria": {"last_updated_date_range": {"value": "2025-01-01"}},
            },
            "condition is required",
        ),
        (
            {
                "audience_type": "list",
                "filtering_criteria": {"last_updated_date_range": {"condition": "ge"}},
            },
            "condition",
        ),
        (
            {
                "audience_type": "list",
                "filtering_criteria": {"last_updated_date_range": {"condition": "gt"}},
            },
            "value",
        ),
        (
            {
                "audience_type": "segment",
                "filtering_criteria": {
                    "last_refreshed_date_range": {
                        "condition": "bt",
                        "upper_bound_value": "2025-01-01T00:00:00Z",
                    }
                },
            },
            "lower_bound_value",
        ),
        (
            {
                "audience_type": "segment",
                "filtering_criteria": {
                    "last_updated_date_range": {
                        "condition": "bt",
                        "lower_bound_value": "2025-01-01T00:00:00Z",
                    }
                },
            },
            "upper_bound_value",
        ),
        (
            {
                "audience_type": "list",
                "filtering_criteria": {
                    "last_updated_date_range": {"condition": "lt", "value": "yesterday"}
                },
            },
            "value",
        ),
        (
            {
                "audience_type": "list",
                "filtering_criteria": {
                    "last_refreshed_date_range": {"condition": "gt", "value": "2025-01-01"}
                },
            },
            "last_refreshed_date_range",
        ),
        ("{not json", "JSON"),
    ],
)
def test_list_api_rejects_a_bad_body(srv, body, names):
    answer = list_api(srv, body)
    assert answer.status_code == 400
    error = answer.json()
    assert error["statusCode"] == 400
    assert names in error["message"]


def test_list_api_pages_with_a_capped_page_size(srv):
    total = srv.store.health()["audiences"]
    segments = len(catalogue(srv, "segment"))
    first = list_api(srv, {"audience_type": "segment", "page_details": {"page_size": 500}})
    page = first.json()["data"]["page_details"]
    assert page == {"page_no": 1, "page_max": 1, "page_size": 100}
    assert len(first.json()["data"]["audience_details"]) == segments
    body = {"audience_type": "segment", "page_details": {"page_no": 2, "page_size": 7}}
    second = list_api(srv, body).json()["data"]
    assert second["page_details"] == {
        "page_no": 2,
        "page_max": math.ceil(segments / 7),
        "page_size": 7,
    }
    ids = [row["audience_id"] for row in second["audience_details"]]
    assert ids == sorted(ids)
    assert len(ids) == 7
    body["page_details"]["page_no"] = 99
    assert list_api(srv, body).json()["data"]["audience_details"] == []
    rows = catalogue(srv, "segment") + catalogue(srv, "list")
    assert len({row["audience_id"] for row in rows}) == total


def test_list_api_alias_path(srv):
    answer = list_api(srv, {"audience_type": "list"}, url=f"{srv.url}/v4/list")
    assert answer.status_code == 200
    assert answer.json()["data"]["audience_type"] == "list"


def test_list_api_sorts(srv):
    body = {
        "audience_type": "segment",
        "page_details": {"page_size": 100},
        "sorting_criteria": {"sort_by": "updated_date", "sort_order": "desc"},
    }
    rows = list_api(srv, body).json()["data"]["audience_details"]
    stamps = [row["last_updated_time"] for row in rows]
    assert stamps == sorted(stamps, reverse=True)
    body["sorting_criteria"] = {"sort_by": "last_refreshed_date"}
    rows = list_api(srv, body).json()["data"]["audience_details"]
    stamps = [row["last_refreshed_time"] for row in rows]
    assert stamps == sorted(stamps)
    body["sorting_criteria"] = {"sort_by": "ids", "sort_order": "desc"}
    ids = [row["audience_id"] for row in list_api(srv, body).json()["data"]["audience_details"]]
    assert ids == sorted(ids, reverse=True)


def test_list_api_filters(srv):
    rows = catalogue(srv, "segment")
    rows.sort(key=lambda row: row["last_updated_time"])
    pivot = rows[len(rows) // 2]["last_updated_time"]

    def ids(**range_):
        body = {
            "audience_type": "segment",
            "page_details": {"page_size": 100},
            "filtering_criteria": {"last_updated_date_range": range_},
        }
        answer = list_api(srv, body)
        assert answer.status_code == 200, answer.text
        return {row["audience_id"] for row in answer.json()["data"]["audience_details"]}

    def expect(test):
        return {row["audience_id"] for row in rows if test(row["last_updated_time"])}

    assert ids(condition="gt", value=pivot) == expect(lambda t: t > pivot)
    assert ids(condition="lt", value=pivot) == expect(lambda t: t < pivot)
    assert ids(condition="eq", value=pivot[:10] + "T23:59:59Z") == expect(
        lambda t: t[:10] == pivot[:10]
    )
    low, high = rows[3]["last_updated_time"], rows[9]["last_updated_time"]
    between = ids(condition="bt", lower_bound_value=low, upper_bound_value=high)
    assert between == expect(lambda t: low <= t <= high)
    assert {rows[3]["audience_id"], rows[9]["audience_id"]} <= between
    wanted = [rows[0]["audience_id"], rows[1]["audience_id"], rows[1]["audience_id"], 5]
    body = {"audience_type": "segment", "filtering_criteria": {"audience_ids": wanted}}
    found = list_api(srv, body).json()["data"]["audience_details"]
    assert {row["audience_id"] for row in found} == set(wanted[:2])
    refreshed = {
        "audience_type": "segment",
        "filtering_criteria": {
            "last_refreshed_date_range": {"condition": "gt", "value": "2000-01-01T00:00:00+01:00"}
        },
        "page_details": {"page_size": 100},
    }
    assert len(list_api(srv, refreshed).json()["data"]["audience_details"]) == len(rows)
