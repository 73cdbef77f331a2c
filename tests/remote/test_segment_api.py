"""The Segment API client against the sandbox, over HTTP."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from segments.remote import (
    AudienceQuery,
    AuthError,
    NotFound,
    SegmentApiClient,
    ValidationError,
)
from segments.remote.records import parse_datetime
from tests.conftest import FAST


def first_audience_with_segments(client, list_client):
    for row in list_client.iter_audiences(AudienceQuery(audience_type="segment", page_size=100)):
        segments = client.segments_of_audience(audience_id=row.audience_id)
        if segments:
            return row.audience_id, segments
    raise AssertionError("the sandbox has no audience with segments")


def test_login_then_reads_segments_of_an_audience(segment_client, list_client, sandbox):
    audience_id, segments = first_audience_with_segments(segment_client, list_client)
    assert all(s.audience_id == audience_id for s in segments)
    assert sandbox.requests.count("login") == 1


def test_one_segment_by_id(segment_client, list_client):
    _, segments = first_audience_with_segments(segment_client, list_client)
    segment = segment_client.segment(segment_id=segments[0].segment_id)
    assert segment == segments[0]


def test_unknown_segment_is_not_found_with_request_id(segment_client):
    with pytest.raises(NotFound) as caught:
        segment_client.segment(segment_id=999_999_999)
    assert caught.value.status == 404
    assert caught.value.request_id


def test_unknown_audience_is_not_found(segment_client):
    with pytest.raises(NotFound):
        segment_client.segments_of_audience(audience_id=999_999_999)


def test_wrong_password_is_an_auth_error(sandbox):
    client = SegmentApiClient(
        sandbox.segment_api_url, username="sandbox", password="not-it", config=FAST
    )
    with pytest.raises(AuthError) as caught:
        client.platform_accounts()
    assert "not-it" not in str(caught.value) + repr(caught.value) + repr(client)


def test_a_configured_cookie_is_used_without_login(sandbox):
    response = requests.post(
        sandbox.segment_api_url + "/account/login",
        json={"userName": "sandbox", "password": "sandbox-password"},
        timeout=5,
    )
    cookie = response.cookies["digitalAudience"]
    sandbox.requests.clear()
    with SegmentApiClient(sandbox.segment_api_url, cookie=cookie, config=FAST) as client:
        assert client.platform_accounts()
    assert sandbox.requests.count("login") == 0


def test_a_refused_configured_cookie_without_password_is_an_auth_error(sandbox):
    client = SegmentApiClient(sandbox.segment_api_url, cookie="forged", config=FAST)
    with pytest.raises(AuthError):
        client.platform_accounts()


def test_expired_session_logs_in_again_once(segment_client, sandbox):
    segment_client.platform_accounts()
    requests.post(sandbox.control_url + "/sessions/expire", timeout=5)
    accounts = segment_client.platform_accounts()
    assert accounts
    assert sandbox.requests.count("login") == 2
    assert sandbox.requests.count("platform_accounts") == 2 + 1


def test_platform_accounts_never_carry_the_access_token(segment_client):
    accounts = segment_client.platform_accounts()
    assert len(accounts) == 6
    assert len({a.agency_id for a in accounts}) == 3
    assert "accessToken" not in repr(accounts)
    assert "sbx-secret" not in repr(accounts)


def test_update_end_date_round_trips_the_seeds_example(segment_client, list_client, fresh_sandbox):
    _, (target, *_) = first_audience_with_segments(segment_client, list_client)
    fresh_sandbox.store.touch_segment(target.segment_id, startDate="2025-01-01T00:00:00Z")
    seeds_value = parse_datetime("2025-12-16T11:36:10.6878666Z")
    updated = segment_client.update_end_date(segment_id=target.segment_id, end_date=seeds_value)
    written = segment_client.last_answer
    assert updated.end_date == seeds_value
    assert segment_client.segment(segment_id=target.segment_id).end_date == seeds_value
    # Each call's answer is kept for the thread that made it (the audit of a write).
    assert written.status == 200
    assert re.fullmatch(r"sbx-[0-9a-f]{8}", written.request_id)
    assert segment_client.last_answer.request_id != written.request_id
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(segment_client.last_answer))
    thread.start()
    thread.join()
    assert elsewhere == [None]


def test_end_date_before_start_is_refused_naming_the_field(
    segment_client, list_client, fresh_sandbox
):
    _, (target, *_) = first_audience_with_segments(segment_client, list_client)
    with pytest.raises(ValidationError) as caught:
        segment_client.update_end_date(
            segment_id=target.segment_id, end_date=target.start_date - timedelta(days=1)
        )
    assert "endDate" in caught.value.field_errors
    assert segment_client.segment(segment_id=target.segment_id).end_date == target.end_date


def test_delete_then_not_found(segment_client, list_client, fresh_sandbox):
    _, (target, *_) = first_audience_with_segments(segment_client, list_client)
    segment_client.delete_segment(segment_id=target.segment_id)
    with pytest.raises(NotFound):
        segment_client.segment(segment_id=target.segment_id)
    with pytest.raises(NotFound):
        segment_client.delete_segment(segment_id=target.segment_id)


def test_create_crm_audience_joins_the_catalogue(segment_client, list_client, fresh_sandbox):
    audience = segment_client.create_crm_audience(
        name="CRM Lapsed Buyers 90d", description="From the CRM export", campaign_id=77
    )
    assert audience.name == "CRM Lapsed Buyers 90d"
    assert audience.campaign_id == 77
    rows = list_client.iter_audiences(
        AudienceQuery(audience_type="list", audience_ids=(audience.id,))
    )
    assert [row.audience_name for row in rows] == ["CRM Lapsed Buyers 90d"]


def test_activate_audience_creates_a_platform_segment(segment_client, list_client, fresh_sandbox):
    audience_id, _ = first_audience_with_segments(segment_client, list_client)
    account = segment_client.platform_accounts()[0]
    start = datetime.now(UTC).replace(microsecond=0)
    segment = segment_client.activate_audience(
        audience_id=audience_id,
        account_id=account.id,
        name="Auto Intenders – NL",
        description="Activated from Segment Desk",
        start_date=start,
        end_date=start + timedelta(days=30),
    )
    assert segment.audience_id == audience_id
    assert segment.account_id == account.id
    assert segment.platform_id == account.platform_id
    listed = segment_client.segments_of_audience(audience_id=audience_id)
    assert segment.segment_id in {s.segment_id for s in listed}


@pytest.mark.django_db
def test_one_client_and_one_login_per_process_reused_by_every_action(remote_settings, sandbox):
    from segments import remote

    sandbox.requests.clear()
    with remote.segment_api() as first:
        first.platform_accounts()
    with remote.segment_api() as second:
        second.platform_accounts()
    assert first is second
    assert sandbox.requests.count("login") == 1
    sandbox.store.expire_sessions()  # the platform forgets the session: log in again, once
    with remote.segment_api() as third:
        third.platform_accounts()
    assert sandbox.requests.count("login") == 2
