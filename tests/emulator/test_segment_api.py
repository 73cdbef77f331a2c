"""The sandbox's Segment API: reads and writes."""

import json
import socket
import time
from urllib.parse import urlsplit

from sandbox.data import parse_ticks
from sandbox.store import SEGMENT_FIELDS
from tests.emulator.support import (
    AUDIENCE_FIELDS,
    list_api,
    segment_of,
)


def test_routes_are_case_insensitive_and_the_alias_works(srv, session):
    segment = segment_of(srv, session, 0)
    sid = segment["segmentId"]
    for path in (
        f"/segment/{sid}",
        f"/Segment/{sid}",
        f"/Segment/loadsegmentbyid/{sid}",
        f"/SEGMENT/LoadSegmentById/{sid}/",
    ):
        answer = session.get(srv.segment_api_url + path)
        assert answer.status_code == 200, path
        assert answer.json() == {"data": segment}
    upper = session.get(f"{srv.url}/API/Segment/Audience/{segment['audienceId']}")
    assert upper.status_code == 200


def test_not_found_answers(srv, session):
    base = srv.segment_api_url
    missing = session.get(f"{base}/segment/audience/999999")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Audience 999999 not found"}
    assert session.get(f"{base}/segment/audience/abc").status_code == 404
    assert session.get(f"{base}/segment/999999").status_code == 404
    assert session.get(f"{base}/nothing/here").status_code == 404
    assert session.put(f"{base}/segment/updateenddate").status_code == 405


def test_update_end_date_round_trips_the_seed_example(srv, session):
    sid = segment_of(srv, session, 1)["segmentId"]
    srv.store.touch_segment(sid, startDate="2025-01-01T00:00:00Z")
    before = int(time.time())
    answer = session.post(
        f"{srv.segment_api_url}/segment/updateenddate",
        json={"segmentid": sid, "endDate": "2025-12-16T11:36:10.6878666Z"},
    )
    assert answer.status_code == 200, answer.text
    segment = answer.json()["data"]
    assert segment["endDate"] == "2025-12-16T11:36:10.6878666Z"
    assert parse_ticks(segment["updated"]) >= before * 10**7
    fetched = session.get(f"{srv.segment_api_url}/segment/{sid}").json()["data"]
    assert fetched == segment
    body = {
        "audience_type": "list",
        "filtering_criteria": {"audience_ids": [segment["audienceId"]]},
    }
    rows = list_api(srv, body).json()["data"]["audience_details"]
    rows += list_api(srv, {**body, "audience_type": "segment"}).json()["data"]["audience_details"]
    assert parse_ticks(rows[0]["last_updated_time"]) >= before * 10**7


def test_update_end_date_validation(srv, session):
    segment = segment_of(srv, session, 2)
    url = f"{srv.segment_api_url}/segment/updateenddate"
    sid = segment["segmentId"]
    early = session.post(url, json={"segmentid": sid, "endDate": segment["startDate"]})
    assert early.status_code == 400
    assert "end date must be after the start date" in early.json()["message"]
    assert "endDate" in early.json()["errors"]
    for body, field in (
        ({"segmentid": sid}, "endDate"),
        ({"segmentid": sid, "endDate": "soon"}, "endDate"),
        ({"endDate": "2099-01-01T00:00:00Z"}, "segmentid"),
        ({"segmentid": "x", "endDate": "2099-01-01T00:00:00Z"}, "segmentid"),
    ):
        answer = session.post(url, json=body)
        assert answer.status_code == 400
        assert answer.json()["message"] == "The request is invalid."
        assert field in answer.json()["errors"]
    gone = session.post(url, json={"segmentid": 1, "endDate": "2099-01-01T00:00:00Z"})
    assert gone.status_code == 404
    offset = session.post(url, json={"segmentId": sid, "endDate": "2099-01-01T02:00:00+02:00"})
    assert offset.json()["data"]["endDate"] == "2099-01-01T00:00:00.0000000Z"
    assert session.get(f"{srv.segment_api_url}/segment/{sid}").json()["data"]["endDate"] == (
        "2099-01-01T00:00:00.0000000Z"
    )


def test_a_write_whose_body_never_arrives_is_neither_applied_nor_counted(srv, session):
    """A worker killed between sending a write's headers and its body: a real
    server never dispatches a request it did not receive whole."""
    segment = segment_of(srv, session, 3)
    url = urlsplit(f"{srv.segment_api_url}/segment/updateenddate")
    body = json.dumps({"segmentid": segment["segmentId"], "endDate": "2099-01-01T00:00:00Z"})
    cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nCookie: {cookie}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    srv.requests.clear()
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(head.encode() + body[:10].encode())
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1024) == b""  # closed without an answer
    assert srv.requests.count("update_end_date") == 0
    now = session.get(f"{srv.segment_api_url}/segment/{segment['segmentId']}").json()["data"]
    assert now["endDate"] == segment["endDate"]


def test_delete_then_not_found(srv, session):
    segment = segment_of(srv, session, 3)
    url = f"{srv.segment_api_url}/segment/{segment['segmentId']}"
    assert session.delete(url).json() == {"data": True}
    assert session.get(url).status_code == 404
    assert session.delete(url).status_code == 404
    listed = session.get(f"{srv.segment_api_url}/segment/audience/{segment['audienceId']}")
    assert segment["segmentId"] not in {s["segmentId"] for s in listed.json()["data"]}


def test_create_crm_audience_joins_the_catalogue(srv, session):
    url = f"{srv.segment_api_url}/audience/createcrmaudience"
    answer = session.post(url, json={"name": "CRM Winback 2026", "campaignId": 302})
    assert answer.status_code == 200
    audience = answer.json()["data"]
    assert set(audience) == AUDIENCE_FIELDS
    assert (audience["name"], audience["campaignName"]) == ("CRM Winback 2026", "Black Friday 2025")
    body = {"audience_type": "list", "filtering_criteria": {"audience_ids": [audience["id"]]}}
    rows = list_api(srv, body).json()["data"]["audience_details"]
    assert [row["audience_name"] for row in rows] == ["CRM Winback 2026"]
    segments = session.get(f"{srv.segment_api_url}/segment/audience/{audience['id']}")
    assert segments.json() == {"data": []}
    for bad, field in (
        ({"campaignId": 302}, "name"),
        ({"name": "  ", "campaignId": 302}, "name"),
        ({"name": "x"}, "campaignId"),
        ({"name": "x", "campaignId": "302"}, "campaignId"),
    ):
        rejected = session.post(url, json=bad)
        assert rejected.status_code == 400
        assert field in rejected.json()["errors"]


def test_activate_creates_a_pending_segment(srv, session):
    url = f"{srv.segment_api_url}/audience/activate"
    body = {
        "audienceId": 1005,
        "accountId": 204,
        "name": "Activation test",
        "description": "made by a test",
        "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-03-01T00:00:00Z",
    }
    answer = session.post(url, json=body)
    assert answer.status_code == 200, answer.text
    segment = answer.json()["data"]
    assert tuple(segment) == SEGMENT_FIELDS
    assert (segment["status"], segment["platformId"], segment["audienceId"]) == ("Pending", 4, 1005)
    assert segment["totalSegmentUploadCount"] == 0
    listed = session.get(f"{srv.segment_api_url}/segment/audience/1005").json()["data"]
    assert segment in listed
    assert session.post(url, json={**body, "accountId": 999}).status_code == 404
    assert session.post(url, json={**body, "audienceId": 999}).status_code == 404
    for change, field in (({"name": None}, "name"), ({"startDate": None}, "startDate")):
        rejected = session.post(url, json={**body, **change})
        assert rejected.status_code == 400
        assert field in rejected.json()["errors"]
    backwards = session.post(url, json={**body, "endDate": "2025-01-01T00:00:00Z"})
    assert backwards.status_code == 400
    assert "endDate" in backwards.json()["errors"]
