"""A sync's segment lists (``segment_rows_of_audience``) go through ``transport.read``,
the session's own adapter with the body read whole: the same retries, timeouts,
re-login, errors and wording as every other read, which these tests hold it to
side by side with ``segments_of_audience``. (A body that stalls half-way was
reported by both as "Could not connect"; it now says the remote did not answer.)"""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from segments.remote import (
    AudienceQuery,
    BadResponse,
    SegmentApiClient,
    TransportConfig,
    Unavailable,
    record_row,
)
from tests.conftest import FAST

READS = {
    "records": lambda client, audience_id: client.segments_of_audience(audience_id=audience_id),
    "rows": lambda client, audience_id: client.segment_rows_of_audience(audience_id=audience_id),
}
pytestmark = pytest.mark.parametrize("read", list(READS), indirect=True)


@pytest.fixture
def read(request):
    return READS[request.param]


@pytest.fixture
def audience_id(segment_client, list_client):
    for row in list_client.iter_audiences(AudienceQuery(audience_type="segment", page_size=100)):
        if segment_client.segments_of_audience(audience_id=row.audience_id):
            return row.audience_id
    raise AssertionError("no audience with segments in the sandbox")


@pytest.fixture
def logged_in(segment_client, audience_id, sandbox):
    """The client after its login and first read, with the request log cleared."""
    segment_client.segments_of_audience(audience_id=audience_id)
    sandbox.requests.clear()
    return segment_client


def test_a_list_reads_the_same_segments_either_way(read, logged_in, audience_id):
    expected = [record_row(s) for s in logged_in.segments_of_audience(audience_id=audience_id)]
    got = read(logged_in, audience_id)
    rows = [record_row(s) for s in got] if got and not isinstance(got[0], tuple) else got
    assert [row[0] for row in rows] == [row[0] for row in expected]
    assert len(rows) == len(expected) > 0


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_list_is_read_three_times_then_unavailable(
    read, logged_in, sandbox, audience_id, status
):
    sandbox.faults.set("segments_of_audience", status=status, kind="html")
    with pytest.raises(Unavailable) as caught:
        read(logged_in, audience_id)
    assert caught.value.status == status
    assert caught.value.operation == "segments_of_audience"
    assert "<" not in caught.value.message
    assert sandbox.requests.count("segments_of_audience") == 3


def test_a_list_read_recovers_after_one_failure(read, logged_in, sandbox, audience_id):
    sandbox.faults.set("segments_of_audience", status=503, times=1)
    assert read(logged_in, audience_id)
    assert sandbox.requests.count("segments_of_audience") == 2


def test_a_list_read_is_retried_when_the_connection_drops(read, logged_in, sandbox, audience_id):
    sandbox.faults.set("segments_of_audience", kind="disconnect", times=2)
    assert read(logged_in, audience_id)
    assert sandbox.requests.count("segments_of_audience") == 3


def test_a_slow_list_is_read_three_times_then_unavailable(read, sandbox, audience_id):
    config = TransportConfig(
        connect_timeout=1, read_timeout=0.3, max_attempts=3, backoff_factor=0, backoff_jitter=0
    )
    with SegmentApiClient(
        sandbox.segment_api_url, username="sandbox", password="sandbox-password", config=config
    ) as client:
        client.login()
        sandbox.requests.clear()
        sandbox.faults.set("segments_of_audience", latency_ms=800)
        with pytest.raises(Unavailable, match="did not answer"):
            read(client, audience_id)
    assert sandbox.requests.count("segments_of_audience") == 3


def test_a_throttled_list_read_waits_as_asked(read, logged_in, sandbox, audience_id):
    sandbox.faults.set("segments_of_audience", status=429, retry_after=1, times=1)
    assert read(logged_in, audience_id)
    assert sandbox.requests.count("segments_of_audience") == 2


def test_an_expired_session_logs_in_again_once(read, logged_in, sandbox, audience_id):
    sandbox.store.expire_sessions()
    assert read(logged_in, audience_id)
    assert sandbox.requests.count("login") == 1
    assert sandbox.requests.count("segments_of_audience") == 2


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"kind": "malformed"}, "not valid JSON"),
        ({"kind": "bad_shape"}, "required field 'segmentId' is missing"),
        ({"kind": "empty", "status": 200}, "not valid JSON"),
    ],
)
def test_a_bad_list_is_a_bad_response_worded_as_before(
    read, logged_in, sandbox, audience_id, fault, words
):
    sandbox.faults.set("segments_of_audience", **fault)
    with pytest.raises(BadResponse, match=words) as caught:
        read(logged_in, audience_id)
    assert caught.value.operation == "segments_of_audience"


@pytest.fixture
def cut_short(request):
    """A server whose every answer promises 2,000 bytes and sends 22, then closes
    the connection or stalls: a body broken off after its headers, which the
    sandbox cannot send (its faults answer whole or not at all)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # a closed socket does not wake a blocked accept
    stopping = threading.Event()

    def serve():
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(FAST.read_timeout * 2)
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 2000\r\n\r\n{"data": [{"segmentId"'
                )
                if request.param == "stalls":
                    stopping.wait(FAST.read_timeout * 2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    stopping.set()
    listener.close()
    thread.join(timeout=5)


@pytest.mark.parametrize(
    ("cut_short", "words"),
    [("closes", "The request failed"), ("stalls", "did not answer within")],
    indirect=["cut_short"],
)
def test_a_body_broken_off_is_unavailable(read, cut_short, words):
    with (
        SegmentApiClient(cut_short, cookie="c", config=FAST) as client,
        pytest.raises(Unavailable, match=words) as caught,
    ):
        read(client, 1001)
    assert caught.value.operation == "segments_of_audience"
