"""The segments table's search (``segments.search``) on the synced mirror: keys
first, then name substrings through the database's text index."""

from __future__ import annotations

import pytest

from segments.models import Segment
from segments.selectors import segment_list
from segments.services.sync import sync_run

pytestmark = pytest.mark.django_db


def found(q: str) -> set[int]:
    return set(segment_list(filters={"q": q}).values_list("segment_id", flat=True))


def by_name(fragment: str) -> set[int]:
    """What a plain case-insensitive substring scan finds (ASCII names)."""
    return {s.segment_id for s in Segment.objects.visible() if fragment.lower() in s.name.lower()}


def test_segment_id_is_a_key_lookup(synced):
    segment = Segment.objects.visible().order_by("segment_id")[10]
    assert found(str(segment.segment_id)) == {segment.segment_id}


def test_ref_id_matches_whole_and_in_any_case(synced):
    segment = Segment.objects.visible().exclude(segment_ref_id=None).first()
    assert found(segment.segment_ref_id.upper()) == {segment.segment_id}
    assert found(segment.segment_ref_id[:-1]) == by_name(segment.segment_ref_id[:-1])


def test_name_fragments_match_like_a_substring_scan(synced):
    name = Segment.objects.visible().order_by("segment_id")[5].name
    word = max(name.split(), key=len)
    for q in (word, word.upper(), word[1:4], name, "xyzzy-no-such-name"):
        assert found(q) == by_name(q), q
    assert found(word)


def test_short_and_quoted_queries_do_not_fail(synced):
    assert found("a") == by_name("a")
    assert found('"') == by_name('"')
    assert found('re"ad') == set()


def test_digits_that_are_no_id_search_the_names(synced):
    assert found("999999999") == set()
    named = Segment.objects.visible().first()
    Segment.objects.filter(pk=named.pk).update(name="Campaign 2031 retargeting")
    assert found("2031") == {named.segment_id}


def test_the_index_follows_renames_by_a_sync(synced):
    segment = Segment.objects.visible().order_by("segment_id").first()
    synced.store.touch_segment(segment.segment_id, name="Quokka lookalikes")
    assert sync_run().ok
    assert found("quokka") == {segment.segment_id}
    assert segment.segment_id not in found(segment.name)


def test_a_common_word_finds_the_same_as_a_rare_one_would(synced, monkeypatch):
    """Past ``FTS_COMMON`` matches SQLite scans the names instead of the id set."""
    from segments import search

    name = Segment.objects.visible().order_by("segment_id")[7].name
    word = max(name.split(), key=len)
    expected = by_name(word)
    assert len(expected) > 2
    monkeypatch.setattr(search, "FTS_COMMON", 2)
    assert found(word) == expected
    monkeypatch.setattr(search, "FTS_COMMON", len(expected))
    assert found(word) == expected
