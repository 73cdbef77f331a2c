"""Every error class, produced through the sandbox's fault injection.

The request log counts attempts: reads are retried (at most 3 attempts), a
write is never sent twice once it may have reached the server. A segment list
is also read as a sync reads it, for rows (``transport.read``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from segments.remote import (
    AudienceQuery,
    BadResponse,
    Conflict,
    ListApiClient,
    RateLimited,
    SegmentApiClient,
    TransportConfig,
    Unavailable,
    record_row,
)
from segments.remote.records import parse_datetime
from tests.conftest import FAST
from tests.remote.test_fast_decode import exact_rows


@pytest.fixture
def segment_id(segment_client, list_client):
    for row in list_client.iter_audiences(AudienceQuery(audience_type="segment", page_size=100)):
        if segments := segment_client.segments_of_audience(audience_id=row.audience_id):
            return segments[0].segment_id
    raise AssertionError("no segment in the sandbox")


@pytest.fixture
def logged_in(segment_client, segment_id, sandbox):
    """The client after its login and first read, with the request log cleared."""
    segment_client.segment(segment_id=segment_id)
    sandbox.requests.clear()
    return segment_client


LATER = parse_datetime("2099-01-01T00:00:00Z")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_read_is_retried_three_times_then_unavailable(logged_in, sandbox, segment_id, status):
    sandbox.faults.set("segment", status=status, kind="html")
    with pytest.raises(Unavailable) as caught:
        logged_in.segment(segment_id=segment_id)
    assert caught.value.status == status
    assert "<" not in caught.value.message
    assert sandbox.requests.count("segment") == 3


def test_a_read_recovers_after_one_failure(logged_in, sandbox, segment_id):
    sandbox.faults.set("segment", status=503, times=1)
    assert logged_in.segment(segment_id=segment_id).segment_id == segment_id
    assert sandbox.requests.count("segment") == 2


@pytest.mark.parametrize("status", [500, 503])
def test_a_write_is_sent_once_on_server_error(logged_in, fresh_sandbox, segment_id, status):
    fresh_sandbox.faults.set("update_end_date", status=status, kind="json")
    with pytest.raises(Unavailable) as caught:
        logged_in.update_end_date(segment_id=segment_id, end_date=LATER)
    assert caught.value.request_id
    assert fresh_sandbox.requests.count("update_end_date") == 1


def test_a_write_is_sent_once_when_the_connection_drops(logged_in, fresh_sandbox, segment_id):
    fresh_sandbox.faults.set("delete_segment", kind="disconnect")
    # Said as it happened: the request went out (it was "Could not connect").
    with pytest.raises(Unavailable, match="was closed before it answered"):
        logged_in.delete_segment(segment_id=segment_id)
    assert fresh_sandbox.requests.count("delete_segment") == 1


def test_a_remote_nobody_listens_at_could_not_be_connected_to():
    from bench.sandbox_process import free_port

    client = SegmentApiClient(f"http://127.0.0.1:{free_port()}", cookie="c", config=FAST)
    with client, pytest.raises(Unavailable, match="Could not connect to the remote"):
        client.segment(segment_id=1)


def test_a_read_is_retried_when_the_connection_drops(logged_in, sandbox, segment_id):
    sandbox.faults.set("segment", kind="disconnect", times=2)
    assert logged_in.segment(segment_id=segment_id).segment_id == segment_id
    assert sandbox.requests.count("segment") == 3


# Reads time out after 0.3 s, against the sandbox's 800 ms of latency below.
SHORT_READS = TransportConfig(
    connect_timeout=1, read_timeout=0.3, max_attempts=3, backoff_factor=0, backoff_jitter=0
)


def new_client(sandbox, config: TransportConfig = FAST) -> SegmentApiClient:
    return SegmentApiClient(
        sandbox.segment_api_url, username="sandbox", password="sandbox-password", config=config
    )


def test_read_timeout_retries_reads_but_not_writes(sandbox, segment_id):
    client = new_client(sandbox, SHORT_READS)
    client.login()
    sandbox.faults.set("segment", latency_ms=800)
    sandbox.faults.set("update_end_date", latency_ms=800, status=500)
    with pytest.raises(Unavailable, match="did not answer"):
        client.segment(segment_id=segment_id)
    with pytest.raises(Unavailable, match="did not answer"):
        client.update_end_date(segment_id=segment_id, end_date=LATER)
    assert sandbox.requests.count("segment") == 3
    assert sandbox.requests.count("update_end_date") == 1


def test_retry_after_is_honoured_within_the_limit(logged_in, sandbox, segment_id):
    sandbox.faults.set("segment", status=429, retry_after=1, times=1)
    started = time.monotonic()
    assert logged_in.segment(segment_id=segment_id).segment_id == segment_id
    assert time.monotonic() - started >= 0.9
    assert sandbox.requests.count("segment") == 2


def test_retry_after_beyond_the_limit_fails_fast(logged_in, sandbox, segment_id):
    sandbox.faults.set("segment", status=429, retry_after=120)
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        logged_in.segment(segment_id=segment_id)
    assert caught.value.retry_after == 120
    assert time.monotonic() - started < 1
    assert sandbox.requests.count("segment") == 1


def test_a_throttled_write_is_not_retried(logged_in, sandbox, segment_id):
    sandbox.faults.set("update_end_date", status=429, retry_after=1)
    with pytest.raises(RateLimited) as caught:
        logged_in.update_end_date(segment_id=segment_id, end_date=LATER)
    assert caught.value.retry_after == 1
    assert sandbox.requests.count("update_end_date") == 1


def test_conflict(logged_in, sandbox, segment_id):
    sandbox.faults.set("update_end_date", status=409, kind="json")
    with pytest.raises(Conflict) as caught:
        logged_in.update_end_date(segment_id=segment_id, end_date=LATER)
    assert caught.value.status == 409
    assert sandbox.requests.count("update_end_date") == 1


def test_malformed_json_is_a_bad_response(logged_in, sandbox, segment_id):
    sandbox.faults.set("segment", kind="malformed")
    with pytest.raises(BadResponse, match="not valid JSON"):
        logged_in.segment(segment_id=segment_id)
    assert sandbox.requests.count("segment") == 1


def test_a_wrong_shape_is_a_bad_response_naming_the_field(logged_in, sandbox, segment_id):
    sandbox.faults.set("segment", kind="bad_shape")
    with pytest.raises(BadResponse, match="segmentId") as caught:
        logged_in.segment(segment_id=segment_id)
    assert caught.value.operation == "segment"


def test_list_api_status_in_the_body_counts(list_client, sandbox):
    sandbox.faults.set("audience_list", kind="body_status")
    with pytest.raises(Unavailable):
        list_client.audience_page(AudienceQuery(audience_type="list"))


def test_list_api_reads_are_retried(list_client, sandbox):
    sandbox.faults.set("audience_list", status=503, kind="empty", times=2)
    page = list_client.audience_page(AudienceQuery(audience_type="list"))
    assert page.rows
    assert sandbox.requests.count("audience_list") == 3


def test_list_api_bad_shape(list_client, sandbox):
    sandbox.faults.set("audience_list", kind="bad_shape")
    with pytest.raises(BadResponse, match="page_details"):
        list_client.audience_page(AudienceQuery(audience_type="list"))


def test_nothing_listening_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ListApiClient(f"http://127.0.0.1:{port}/v4/list", api_key="k", config=FAST)
    with pytest.raises(Unavailable, match="connect") as caught:
        client.audience_page(AudienceQuery(audience_type="list"))
    assert caught.value.status is None


def test_the_login_post_is_retried_like_a_read(sandbox, segment_id):
    """Logging in changes no data: a 500 on it is retried, unlike a write's."""
    sandbox.requests.clear()
    sandbox.faults.set("login", status=500, times=2)
    with new_client(sandbox) as client:
        assert client.segment(segment_id=segment_id).segment_id == segment_id
    assert sandbox.requests.count("login") == 3


def test_every_third_call_failing_does_not_stop_a_client(sandbox, segment_id):
    sandbox.requests.clear()
    sandbox.faults.set("*", status=500, every=3)
    with new_client(sandbox) as client:
        for _ in range(10):
            assert client.segment(segment_id=segment_id).segment_id == segment_id
    assert sandbox.requests.count("login") == 1


@pytest.fixture
def audience_id(logged_in, segment_id):
    return logged_in.segment(segment_id=segment_id).audience_id


# A segment list read for records, and for rows as a sync reads it (sent by
# ``transport.read``): held to the same retries, timeouts, re-login and errors.
READS = {
    "records": lambda client, audience_id: client.segments_of_audience(audience_id=audience_id),
    "rows": lambda client, audience_id: client.segment_rows_of_audience(audience_id=audience_id),
}


@pytest.fixture(params=list(READS))
def read_list(request):
    return READS[request.param]


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"kind": "malformed"}, "not valid JSON"),
        ({"kind": "bad_shape"}, "required field 'segmentId' is missing"),
        ({"kind": "empty", "status": 200}, "not valid JSON"),
    ],
)
def test_a_bad_segment_list_is_a_bad_response_worded_as_before(
    logged_in, sandbox, audience_id, read_list, fault, words
):
    """The list goes through a fast decoder first; a body it does not vouch for
    takes the general path, which words the error."""
    sandbox.faults.set("segments_of_audience", **fault)
    with pytest.raises(BadResponse, match=words) as caught:
        read_list(logged_in, audience_id)
    assert caught.value.operation == "segments_of_audience"


def test_a_list_reads_the_same_segments_either_way(logged_in, audience_id):
    records = logged_in.segments_of_audience(audience_id=audience_id)
    rows = logged_in.segment_rows_of_audience(audience_id=audience_id)
    assert rows
    assert exact_rows(rows) == exact_rows([record_row(record) for record in records])


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_list_is_read_three_times_then_unavailable(
    logged_in, sandbox, audience_id, read_list, status
):
    sandbox.faults.set("segments_of_audience", status=status, kind="html")
    with pytest.raises(Unavailable) as caught:
        read_list(logged_in, audience_id)
    assert caught.value.status == status
    assert caught.value.operation == "segments_of_audience"
    assert "<" not in caught.value.message
    assert sandbox.requests.count("segments_of_audience") == 3


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503, "times": 1},
        {"kind": "disconnect", "times": 2},
        {"status": 429, "retry_after": 1, "times": 1},
    ],
    ids=["server error", "dropped connection", "throttled"],
)
def test_a_list_read_recovers_as_other_reads_do(logged_in, sandbox, audience_id, read_list, fault):
    sandbox.faults.set("segments_of_audience", **fault)
    assert read_list(logged_in, audience_id)
    assert sandbox.requests.count("segments_of_audience") == fault["times"] + 1


def test_a_slow_list_is_read_three_times_then_unavailable(sandbox, audience_id, read_list):
    with new_client(sandbox, SHORT_READS) as client:
        client.login()
        sandbox.requests.clear()
        sandbox.faults.set("segments_of_audience", latency_ms=800)
        with pytest.raises(Unavailable, match="did not answer"):
            read_list(client, audience_id)
    assert sandbox.requests.count("segments_of_audience") == 3


def test_a_list_read_logs_in_again_once_when_the_session_expired(
    logged_in, sandbox, audience_id, read_list
):
    sandbox.store.expire_sessions()
    assert read_list(logged_in, audience_id)
    assert sandbox.requests.count("login") == 1
    assert sandbox.requests.count("segments_of_audience") == 2


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
def test_a_list_broken_off_is_unavailable(cut_short, read_list, words):
    """(A body that stalled half-way was reported as "Could not connect".)"""
    with (
        SegmentApiClient(cut_short, cookie="c", config=FAST) as client,
        pytest.raises(Unavailable, match=words) as caught,
    ):
        read_list(client, 1001)
    assert caught.value.operation == "segments_of_audience"
