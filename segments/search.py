"""The segments table's search: keys first, then a name substring through an index.

A query that is a valid id is first a segment id, any query a segment ref id: both key
lookups. When no key matches, the query is a substring of the name, found
through the database's text index: PostgreSQL's ``pg_trgm`` GIN index on
``UPPER(name)`` (the expression ``icontains`` compares), SQLite's FTS5 table
with the trigram tokenizer (migration ``0006_search_indexes``; the ref-id
index is in the model), which gives the matching ids unless they are many
(``FTS_COMMON``). Trigrams need three characters: a shorter query scans the
names.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from segments.fields import as_id

FTS_TABLE = "segments_segment_name_fts"
TRIGRAM = 3
# SQLite: a query matching more names than this is common. Its ids as a set cost
# more than scanning the names in the table's order, which finds a page after a
# few hundred rows (1,000,000 segments, a word in a tenth of the names: first
# page 125 ms through the set, 0.1 ms by the scan; its count 148 / 103 ms).
FTS_COMMON = 2000


def segment_search(queryset: QuerySet, q: str) -> QuerySet:
    """``queryset`` narrowed to the segments ``q`` finds."""
    q = q.strip()
    keys = Q(ref_id_lower=q.lower())
    if (segment_id := as_id(q)) is not None:
        keys |= Q(segment_id=segment_id)
    by_key = queryset.alias(ref_id_lower=Lower("segment_ref_id")).filter(keys)
    if by_key.exists():
        return by_key
    return queryset.filter(name_contains(q))


def name_contains(q: str) -> Q:
    """Names containing ``q``, case-insensitively, through the text index when there is one."""
    if connection.vendor != "sqlite" or len(q) < TRIGRAM:
        return Q(name__icontains=q)
    phrase = '"' + q.replace('"', '""') + '"'
    # The query is a bound parameter; the table name is this module's constant.
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [phrase, FTS_COMMON + 1])
        ids = [segment_id for (segment_id,) in cursor.fetchall()]
    if len(ids) > FTS_COMMON:
        return Q(name__icontains=q)
    return Q(segment_id__in=ids)
