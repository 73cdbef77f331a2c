"""The sandbox these tests talk to, over real HTTP."""

import pytest
import requests

from sandbox import SandboxServer
from tests.emulator.support import LOGIN


@pytest.fixture(scope="module")
def srv():
    """One sandbox for this module (seed 7, 400 segments) on a free port."""
    with SandboxServer(seed=7, size=400) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_faults(srv):
    srv.faults.clear()
    srv.requests.clear()
    yield
    srv.faults.clear()


@pytest.fixture
def session(srv):
    """A requests session logged in to the Segment API."""
    with requests.Session() as http:
        answer = http.post(f"{srv.segment_api_url}/account/login", json=LOGIN)
        assert answer.json() == {"data": True}
        yield http
