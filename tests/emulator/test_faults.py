"""The sandbox's fault injection."""

import json
import time

import pytest
import requests

from sandbox.faults import Faults
from tests.emulator.support import (
    REQUEST_ID,
    list_api,
    segment_of,
)


@pytest.mark.parametrize(
    ("kind", "status", "content_type", "body"),
    [
        ("json", 503, "application/json", {"message": "Service Unavailable"}),
        ("html", 502, "text/html", None),
        ("empty", 500, None, None),
        ("malformed", 200, "application/json", None),
    ],
)
def test_fault_kinds_on_the_segment_api(srv, session, kind, status, content_type, body):
    srv.faults.set("segment", status=None if kind == "malformed" else status, kind=kind)
    answer = session.get(f"{srv.segment_api_url}/segment/{segment_of(srv, session, 4)['id']}")
    assert answer.status_code == status
    assert answer.headers.get("Content-Type", "").startswith(content_type or "")
    if content_type is None:
        assert answer.content == b""
    if body is not None:
        assert answer.json() == body
    if kind == "malformed":
        with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
            json.loads(answer.content)
    if kind == "html":
        assert "502 Bad Gateway" in answer.text


def test_json_fault_on_the_list_api_uses_its_error_shape(srv):
    srv.faults.set("audience_list", status=500)
    answer = list_api(srv, {"audience_type": "list"})
    assert answer.status_code == 500
    assert answer.json() == {"message": "An error has occurred.", "statusCode": 500}


def test_body_status_fault(srv):
    srv.faults.set("audience_list", kind="body_status")
    answer = list_api(srv, {"audience_type": "list"})
    assert answer.status_code == 200
    assert answer.json() == {"message": "Internal error", "statusCode": 500}
    with pytest.raises(ValueError, match="List API"):
        srv.faults.set("segment", kind="body_status")


def test_bad_shape_faults(srv, session):
    srv.faults.set("audience_list", kind="bad_shape")
    answer = list_api(srv, {"audience_type": "list"})
    assert answer.status_code == 200
    assert "page_details" not in answer.json()["data"]
    assert answer.json()["data"]["audience_details"]
    srv.faults.set("segments_of_audience", kind="bad_shape")
    segments = session.get(f"{srv.segment_api_url}/segment/audience/1001").json()["data"]
    assert segments
    assert all("segmentId" not in s and "name" in s for s in segments)
    srv.faults.set("update_end_date", kind="bad_shape")
    written = session.post(f"{srv.segment_api_url}/segment/updateenddate", json={})
    assert written.status_code == 200
    assert "segmentId" not in written.json()["data"]


def test_disconnect_fault_sends_nothing(srv, session):
    srv.faults.set("platform_accounts", kind="disconnect")
    with pytest.raises(requests.ConnectionError):
        session.get(f"{srv.segment_api_url}/organisation/loadplatformaccounts")
    assert srv.requests.count("platform_accounts") == 1
    srv.faults.clear()
    assert session.get(f"{srv.segment_api_url}/organisation/loadplatformaccounts").ok


def test_fault_times_then_normal(srv, session):
    srv.faults.set("segments_of_audience", status=503, times=2)
    url = f"{srv.segment_api_url}/segment/audience/1001"
    assert [session.get(url).status_code for _ in range(3)] == [503, 503, 200]
    assert srv.requests.count("segments_of_audience") == 3
    assert srv.faults.active() == {}


def test_apply_fault_performs_the_write_and_loses_the_answer(srv, session):
    segment = segment_of(srv, session, 5)
    srv.faults.set("update_end_date", status=500, kind="html", apply=True)
    answer = session.post(
        f"{srv.segment_api_url}/segment/updateenddate",
        json={"segmentid": segment["segmentId"], "endDate": "2099-05-05T05:05:05Z"},
    )
    assert answer.status_code == 500
    fetched = session.get(f"{srv.segment_api_url}/segment/{segment['segmentId']}").json()["data"]
    assert fetched["endDate"] == "2099-05-05T05:05:05.0000000Z"
    srv.faults.set("delete_segment", status=500)
    unapplied = session.delete(f"{srv.segment_api_url}/segment/{segment['segmentId']}")
    assert unapplied.status_code == 500
    assert session.get(f"{srv.segment_api_url}/segment/{segment['segmentId']}").ok


def test_retry_after_latency_and_error_rate(srv, session):
    srv.faults.set("segments_of_audience", status=429, retry_after=7)
    url = f"{srv.segment_api_url}/segment/audience/1001"
    throttled = session.get(url)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    srv.faults.set("segments_of_audience", latency_ms=150)
    started = time.perf_counter()
    assert session.get(url).status_code == 200
    assert time.perf_counter() - started >= 0.15
    srv.faults.set("*", error_rate=1.0)
    assert session.get(url).status_code == 200  # an endpoint's own fault wins over "*"
    srv.faults.clear()
    srv.faults.set("*", error_rate=1.0)
    assert session.get(url).status_code == 500
    assert list_api(srv, {"audience_type": "list"}).json()["statusCode"] == 500


def test_error_rate_is_seeded():
    def draws(seed):
        faults = Faults(seed, error_rate=0.5)
        return [faults.decide("segment")[1] is not None for _ in range(40)]

    assert draws(1) == draws(1)
    assert 5 < sum(draws(1)) < 35


def test_every_response_carries_a_request_id(srv, session):
    srv.faults.set("segment", status=500, kind="empty")
    answers = [
        session.get(f"{srv.segment_api_url}/segment/audience/1001"),
        session.get(f"{srv.segment_api_url}/segment/1"),
        session.get(f"{srv.segment_api_url}/segment/100001"),
        list_api(srv, {"audience_type": "list"}, key="nope"),
        requests.get(f"{srv.control_url}/health"),
    ]
    ids = [answer.headers["X-Request-Id"] for answer in answers]
    assert all(REQUEST_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)
