"""The sandbox's control API, its reset and its command line."""

import os
import subprocess
import sys

import requests

from sandbox import SandboxServer
from sandbox.data import parse_ticks
from tests.emulator.support import (
    API_KEY,
    LOGIN,
    ROOT,
    SEED_EXAMPLE,
    free_port,
    segment_of,
)


def test_control_api(srv, session):
    control = srv.control_url
    health = requests.get(f"{control}/health").json()
    assert health["ok"] is True
    assert health["audiences"] >= 60
    fault = {"endpoint": "update_end_date", "status": 503, "kind": "html", "retry_after": 5}
    assert requests.post(f"{control}/faults", json=fault).status_code == 200
    assert srv.faults.active()["update_end_date"]["status"] == 503
    answer = session.post(f"{srv.segment_api_url}/segment/updateenddate", json={})
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "5")
    bad = requests.post(f"{control}/faults", json={"endpoint": "nope", "status": 500})
    assert bad.status_code == 400
    assert (
        requests.post(f"{control}/faults", json={"endpoint": "*", "colour": 1}).status_code == 400
    )
    assert requests.delete(f"{control}/faults").status_code == 200
    assert srv.faults.active() == {}
    counts = requests.get(f"{control}/requests").json()
    assert counts == {"counts": {"login": 1, "update_end_date": 1}}
    requests.delete(f"{control}/requests")
    assert requests.get(f"{control}/requests").json() == {"counts": {}}

    segment = segment_of(srv, session, 6)
    touched = requests.post(
        f"{control}/segments/{segment['segmentId']}", json={"status": "Paused", "active": False}
    )
    assert touched.status_code == 200
    assert (touched.json()["status"], touched.json()["statusId"]) == ("Paused", 2)
    assert parse_ticks(touched.json()["updated"]) > parse_ticks(segment["updated"])
    fetched = session.get(f"{srv.segment_api_url}/segment/{segment['segmentId']}").json()
    assert fetched["data"] == touched.json()
    assert requests.post(f"{control}/segments/1", json={"status": "x"}).status_code == 404
    rejected = requests.post(f"{control}/segments/{segment['segmentId']}", json={"segmentId": 1})
    assert rejected.status_code == 400


def test_reset_restores_the_seeded_data():
    with SandboxServer(seed=7, size=100) as server, requests.Session() as http:
        http.post(f"{server.segment_api_url}/account/login", json=LOGIN)
        url = f"{server.segment_api_url}/segment/100001"
        original = http.get(url).json()
        assert http.delete(url).ok
        server.faults.set("segment", status=500)
        assert requests.post(f"{server.control_url}/reset").status_code == 200
        assert http.get(url).json() == original
        assert server.requests.count("segment") == 1


def test_command_line_server_answers_the_seed_example():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "sandbox", "--port", str(port), "--seed", "5"],
        cwd=ROOT,
        env={**os.environ, "SANDBOX_SIZE": "100"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        assert f"http://127.0.0.1:{port}/_sandbox" in lines[2], lines
        url = f"http://127.0.0.1:{port}/v4/audience/list"
        answer = requests.post(url, data=SEED_EXAMPLE, headers={"api-key": API_KEY}, timeout=5)
        assert answer.status_code == 200
        assert answer.json()["message"] == "sucess"
        health = requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=5).json()
        assert health["segments"] == 100
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_large_catalogue_generates_and_answers():
    """100,000 segments generate and are served (their speed is bench/'s to measure:
    a wall-clock bound here failed whenever the machine was loaded)."""
    with SandboxServer(seed=1, size=100_000) as server, requests.Session() as http:
        assert server.store.health()["audiences"] == 2000
        http.post(f"{server.segment_api_url}/account/login", json=LOGIN)
        answer = http.get(f"{server.segment_api_url}/segment/audience/1500")
        assert answer.ok
        assert answer.json()["data"]


def test_every_nth_request_fault(srv, session):
    srv.faults.set("segments_of_audience", status=500, every=3)
    url = f"{srv.segment_api_url}/segment/audience/1001"
    assert [session.get(url).status_code for _ in range(6)] == [200, 200, 500, 200, 200, 500]
