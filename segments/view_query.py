"""A saved view's query string in one canonical form.

A view stores the segments table's query string: filters, sort, rows per page
and visible columns. Stored canonically (known keys only, in a fixed order, no
empty values, no defaults, no page number) the same table always gives the
same string, so a view can be recognised from the URL that shows it.
Values are not validated here: the table's filter form does that when the
view is opened, as for any URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, urlencode

COLUMNS_KEY = "cols"


def _values(params, key: str) -> list[str]:
    if hasattr(params, "getlist"):
        values = params.getlist(key)
    else:
        value = params.get(key, [])
        values = [value] if isinstance(value, str) else list(value)
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def parse_query(query: str) -> dict[str, list[str]]:
    """A query string as a mapping of key to its values, in order."""
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return params


def visible_columns(params, *, columns: Sequence[str]) -> tuple[str, ...]:
    """The chosen columns in table order; every column when none (or none known) is chosen."""
    chosen = {c for value in _values(params, COLUMNS_KEY) for c in value.split(",")}
    visible = tuple(c for c in columns if c in chosen)
    return visible or tuple(columns)


def canonical_query(
    params, *, keys: Sequence[str], defaults: Mapping[str, str], columns: Sequence[str]
) -> str:
    """``params`` (a QueryDict, or a mapping of key to values) as a canonical query string."""
    pairs: list[tuple[str, str]] = []
    for key in keys:
        seen: list[str] = []
        for value in _values(params, key):
            if value not in seen:
                seen.append(value)
        if seen == [defaults.get(key)]:
            continue
        pairs.extend((key, value) for value in seen)
    visible = visible_columns(params, columns=columns)
    if visible != tuple(columns):
        pairs.append((COLUMNS_KEY, ",".join(visible)))
    return urlencode(pairs)
