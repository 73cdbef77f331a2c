"""Property-based fuzzing: no input gives a 500.

Every GET URL of the app is requested with random query strings, and every URL
is posted random forms as an operator holding a valid CSRF token. The values
mix arbitrary text with the edges that broke things before: Unicode digits,
integers beyond 64 bits, the first and last representable dates, unsafe
``next`` targets. The remote answers 503 to everything, so whatever reaches
it fails fast and the failure paths are fuzzed as well.

The example count is bounded for CI; ``FUZZ_EXAMPLES=5000`` runs a longer fuzz.
"""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from segments.models import Audience, BulkRun, Note, Segment

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SEGMENT_KEYS = [
    "q", "audience", "account", "platform", "status", "country", "active", "is_recurring",
    "extend", "is_system_generated", "ends", "within_days", "end_from", "end_to", "problems",
    "review", "assigned", "per_page", "sort", "page", "bom",
]  # fmt: skip
AUDIENCE_KEYS = [
    "q", "type", "ids", "updated_condition", "updated_value", "updated_from", "updated_to",
    "refreshed_condition", "refreshed_value", "refreshed_from", "refreshed_to", "per_page",
    "sort", "page",
]  # fmt: skip
ACTIVITY_KEYS = [
    "user", "action", "outcome", "segment", "account", "bulk_run", "date_from", "date_to",
    "per_page", "sort", "page",
]  # fmt: skip
COMMON_KEYS = ["next", "after", "sort", "page", "per_page"]
QUERY_KEYS = {"/segments/": SEGMENT_KEYS, "/audiences/": AUDIENCE_KEYS, "/activity/": ACTIVITY_KEYS}
QUERY_KEYS["/segments/export.csv"] = SEGMENT_KEYS
FORM_KEYS = [
    "form_token", "expected_updated", "preset", "new_end_date", "confirm_name", "days",
    "end_date", "confirm_count", "name", "description", "campaign_id", "account",
    "start_date", "state", "assignee", "text", "intent", "selected", "query", "scope", "id", "full",
    "next", "after", "username", "password",
]  # fmt: skip
EDGES = [
    "",
    " ",
    "²",
    "٣",
    "１２",
    "-1",
    "0",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1" * 40,
    "1e9",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "9999-12-31T23:59:59.9999999Z",
    "2026-02-30",
    "2026-13-01",
    "/\\evil.example/",
    "/\t/evil.example",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "0" * 32,
    "f" * 32,
    "extend-selected",
    "delete-filter",
    "all",
    "segment",
    "audience",
    "refresh",
    "redirect",
    "needs_attention",
    "me",
    "nobody",
    "=cmd|' /C calc'!A0",
    "\x00",
    "<script>alert(1)</script>",
]
VALUES = st.one_of(
    st.sampled_from(EDGES),
    st.sampled_from(EDGES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=24),
)


def query_of(keys):
    return st.dictionaries(st.sampled_from(keys), VALUES, min_size=1, max_size=4)


def app_paths(segment_id: int, audience_id: int, run_id: int, note_id: int) -> list[str]:
    """Every URL of the app with its path arguments filled in."""
    ids = {
        "segment_id": segment_id,
        "audience_id": audience_id,
        "run_id": run_id,
        "note_id": note_id,
    }
    paths = []
    for pattern in get_resolver().url_patterns:
        included = hasattr(pattern, "url_patterns")
        prefix = str(pattern.pattern) if included else ""
        for inner in pattern.url_patterns if included else [pattern]:
            if not isinstance(inner, URLPattern):
                continue
            route = prefix + str(inner.pattern)
            if route.startswith("admin") or "^" in route:
                continue
            # Ids the world has are filled in; any other id (a notification, a
            # policy…) is 1, which exists or answers 404.
            paths.append("/" + re.sub(r"<int:(\w+)>", lambda m: str(ids.get(m.group(1), 1)), route))
    return paths


@pytest.fixture
def fuzz_world(synced, operator):
    """A synced mirror, a prepared bulk run, the operator's note, and a remote that fails
    everything."""
    segment = Segment.objects.visible().order_by("segment_id").first()
    audience = Audience.objects.filter(is_deleted=False).order_by("id").first()
    run = BulkRun.objects.create(action="extend", segment_ids=[segment.segment_id], total=1)
    note = Note.objects.create(segment=segment, author=operator, text="A note to fuzz")
    synced.faults.set("*", status=503)
    paths = app_paths(segment.segment_id, audience.id, run.pk, note.pk)
    assert "/segments/export.csv" in paths
    assert f"/segments/{segment.segment_id}/extend/" in paths
    assert f"/segments/{segment.segment_id}/notes/{note.pk}/edit/" in paths
    return paths


@pytest.fixture
def operator_client(operator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    client.get("/")
    assert client.cookies["csrftoken"].value
    return client


def test_no_query_string_gives_a_500(fuzz_world, operator_client):
    lists = list(QUERY_KEYS)
    requests = st.one_of(
        st.sampled_from(lists).flatmap(lambda p: st.tuples(st.just(p), query_of(QUERY_KEYS[p]))),
        st.tuples(st.sampled_from(fuzz_world), query_of(COMMON_KEYS)),
    )

    @FUZZ
    @given(request=requests)
    @example(("/segments/", {"q": "²"}))
    @example(("/audiences/", {"ids": "²"}))
    @example(("/segments/", {"audience": "9223372036854775808"}))
    @example(("/segments/export.csv", {"audience": "9223372036854775808"}))
    @example(("/audiences/", {"ids": "9223372036854775808"}))
    @example(("/activity/", {"date_to": "9999-12-31"}))
    @example(("/activity/", {"date_from": "0001-01-01"}))
    @example(("/segments/", {"ends": "between", "end_to": "9999-12-31"}))
    @example(("/segments/", {"ends": "between", "end_from": "0001-01-01"}))
    @example(("/audiences/", {"updated_condition": "eq", "updated_value": "9999-12-31T23:59"}))
    @example(("/audiences/", {"updated_condition": "gt", "updated_value": "0001-01-01T00:00"}))
    def check(request):
        path, query = request
        response = operator_client.get(path, query)
        assert response.status_code < 500, (path, query, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)

    check()


def test_no_posted_form_gives_a_500(fuzz_world, operator_client):
    token = operator_client.cookies["csrftoken"].value

    @FUZZ
    @given(
        path=st.sampled_from(fuzz_world),
        form=query_of(FORM_KEYS),
        selected=st.lists(VALUES, max_size=3),
        htmx=st.booleans(),
    )
    @example("/refresh/", {"scope": "segment", "id": "²"}, [], False)
    @example("/refresh/", {"scope": "audience", "id": "9223372036854775808"}, [], True)
    @example("/segments/bulk/", {"intent": "extend-selected"}, ["²"], True)
    @example("/segments/bulk/", {"intent": "delete-selected"}, ["9223372036854775808"], False)
    def check(path, form, selected, htmx):
        data = {**form, "csrfmiddlewaretoken": token}
        if selected:
            data["selected"] = selected
        headers = {"HX-Request": "true"} if htmx else {}
        response = operator_client.post(path, data, headers=headers)
        assert response.status_code < 500, (path, form, response.status_code)

    check()


def test_the_admin_date_drill_down_gives_no_500(synced, admin_client):
    @FUZZ
    @given(
        year=st.one_of(st.integers(-5, 10**20).map(str), st.sampled_from(EDGES)),
        month=st.one_of(st.none(), st.integers(-1, 14).map(str), st.sampled_from(EDGES)),
        day=st.one_of(st.none(), st.integers(-1, 40).map(str)),
    )
    def check(year, month, day):
        query = {"end_date__year": year, "end_date__month": month, "end_date__day": day}
        query = {k: v for k, v in query.items() if v is not None}
        response = admin_client.get("/admin/segments/segment/", query)
        assert response.status_code < 500, (query, response.status_code)

    check()
