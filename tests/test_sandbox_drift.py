"""The sandbox's days: ``POST /_sandbox/advance`` moves counts and dates, deterministically."""

import pytest
import requests

from sandbox import SandboxServer
from sandbox.data import DAY, parse_ticks

LOGIN = {"userName": "sandbox", "password": "sandbox-password"}
PARTS = (
    "totalReadyCount",
    "totalProcessingCount",
    "totalPendingCount",
    "totalFailedCount",
    "totalNoDataCount",
)


@pytest.fixture
def srv():
    with SandboxServer(seed=11, size=600) as server:
        yield server


def _segments(server: SandboxServer) -> dict[int, dict]:
    with requests.Session() as http:
        assert http.post(f"{server.segment_api_url}/account/login", json=LOGIN).json()["data"]
        audiences = []
        for kind in ("list", "segment"):
            body = {"audience_type": kind, "page_details": {"page_no": 1, "page_size": 100}}
            answer = http.post(
                server.list_api_url, json=body, headers={"api-key": "sandbox-api-key"}
            ).json()
            audiences += [row["audience_id"] for row in answer["data"]["audience_details"]]
        segments = {}
        for audience_id in audiences:
            for segment in http.get(
                f"{server.segment_api_url}/segment/audience/{audience_id}"
            ).json()["data"]:
                segments[segment["segmentId"]] = segment
    return segments


def _advance(server: SandboxServer, **body) -> requests.Response:
    return requests.post(f"{server.control_url}/advance", json=body, timeout=10)


def test_a_day_moves_counts_and_dates_and_keeps_the_invariants(srv):
    before = _segments(srv)
    answer = _advance(srv)
    assert answer.status_code == 200
    day = answer.json()
    assert day["day"] == 1
    assert day["segments"] == len(before)
    after = _segments(srv)
    assert after.keys() == before.keys()
    for sid, segment in after.items():
        assert parse_ticks(segment["endDate"]) == parse_ticks(before[sid]["endDate"]) - DAY
        total = sum(segment[key] or 0 for key in PARTS)
        assert segment["totalSegmentUploadCount"] == total
        assert segment["totalLogCount"] >= total
        for key in PARTS:
            assert (segment[key] is None) == (before[sid][key] is None), (sid, key)
    assert day["dropped"]
    assert day["failed_rose"]
    assert day["no_data_rose"]
    for sid in day["dropped"]:
        old, new = before[sid]["totalLogCount"], after[sid]["totalLogCount"]
        assert new <= old * 0.31 or new == after[sid]["totalSegmentUploadCount"], sid
    for sid in day["failed_rose"]:
        assert after[sid]["totalFailedCount"] > before[sid]["totalFailedCount"]
    for sid in day["no_data_rose"]:
        assert after[sid]["totalNoDataCount"] > before[sid]["totalNoDataCount"]
    quiet = set(after) - set(day["dropped"]) - set(day["failed_rose"]) - set(day["no_data_rose"])
    changed = [sid for sid in quiet if after[sid]["totalLogCount"] != before[sid]["totalLogCount"]]
    assert len(changed) > len(quiet) // 2  # most segments drift a little
    health = requests.get(f"{srv.control_url}/health", timeout=5).json()
    assert health["day"] == 1


def test_days_are_deterministic_from_the_seed_and_reset_restores_day_zero(srv):
    first = _advance(srv, days=3).json()
    assert first["day"] == 3
    counts = {sid: s["totalLogCount"] for sid, s in _segments(srv).items()}
    assert requests.post(f"{srv.control_url}/reset", timeout=5).status_code == 200
    assert requests.get(f"{srv.control_url}/health", timeout=5).json()["day"] == 0
    again = [_advance(srv).json() for _ in range(3)]
    assert again[-1]["day"] == 3
    assert sorted(sid for d in again for sid in d["dropped"]) == sorted(first["dropped"])
    assert {sid: s["totalLogCount"] for sid, s in _segments(srv).items()} == counts
    with SandboxServer(seed=12, size=600) as other:
        assert _advance(other, days=3).json()["dropped"] != first["dropped"]


def test_segments_whose_end_passes_expire(srv):
    before = _segments(srv)
    day = _advance(srv, days=2).json()
    after = _segments(srv)
    assert day["expired"]
    for sid in day["expired"]:
        assert before[sid]["status"] not in ("Expired", "Archived")
        assert (after[sid]["status"], after[sid]["statusId"], after[sid]["active"]) == (
            "Expired",
            6,
            False,
        )


@pytest.mark.parametrize("body", [{"days": 0}, {"days": 366}, {"days": "1"}, {"days": True}, []])
def test_bad_advance_requests_are_refused(srv, body):
    answer = (
        _advance(srv, **body)
        if isinstance(body, dict)
        else requests.post(f"{srv.control_url}/advance", json=body, timeout=5)
    )
    assert answer.status_code == 400
    assert "days" in answer.json()["message"]
    assert requests.get(f"{srv.control_url}/health", timeout=5).json()["day"] == 0
