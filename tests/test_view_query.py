"""Saved views store the segments table's query string canonically."""

from __future__ import annotations

from django.http import QueryDict

from segments.view_query import canonical_query, parse_query, visible_columns

KEYS = ("q", "account", "status", "ends", "within_days", "sort", "per_page")
DEFAULTS = {"per_page": "25"}
COLUMNS = ("name", "account", "status", "end_date")


def canonical(query: str) -> str:
    return canonical_query(QueryDict(query), keys=KEYS, defaults=DEFAULTS, columns=COLUMNS)


def test_known_keys_in_a_fixed_order_without_empties_defaults_or_page():
    assert (
        canonical("sort=-end_date&page=3&q=+shoes+&status=&per_page=25&account=12&junk=1")
        == "q=shoes&account=12&sort=-end_date"
    )


def test_the_same_table_gives_the_same_string_however_it_was_reached():
    a = canonical("per_page=50&ends=within&within_days=14&q=x")
    b = canonical("q=x&within_days=14&page=2&ends=within&per_page=50&per_page=50")
    assert a == b == "q=x&ends=within&within_days=14&per_page=50"


def test_columns_in_table_order_unknown_ones_dropped_all_means_default():
    assert canonical("cols=status,name,nope") == "cols=name%2Cstatus"
    assert canonical("cols=status&cols=name") == "cols=name%2Cstatus"
    assert canonical("cols=name,account,status,end_date") == ""
    assert canonical("cols=nope") == ""


def test_visible_columns_default_to_all():
    assert visible_columns(QueryDict(""), columns=COLUMNS) == COLUMNS
    assert visible_columns(QueryDict("cols=end_date,name"), columns=COLUMNS) == (
        "name",
        "end_date",
    )


def test_a_canonical_string_is_its_own_canonical_form():
    query = canonical("q=a%26b&status=Ready&sort=name&per_page=100&cols=name,status")
    assert canonical_query(parse_query(query), keys=KEYS, defaults=DEFAULTS, columns=COLUMNS) == (
        query
    )
    assert parse_query(query)["q"] == ["a&b"]
