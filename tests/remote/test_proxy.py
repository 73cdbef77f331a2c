"""The clients honour the environment's proxy settings, read once per client
(``transport.build_session``), through a real forwarding proxy."""

from __future__ import annotations

import http.server
import threading
from urllib.parse import urlsplit

import pytest
import requests

from segments.remote import AudienceQuery, ListApiClient, SegmentApiClient
from tests.conftest import FAST


class _Forwarding(http.server.BaseHTTPRequestHandler):
    """A plain HTTP proxy: it records the absolute URL it is asked for and fetches it."""

    seen: list[str]

    def _forward(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")
        }
        with requests.Session() as direct:
            direct.trust_env = False  # the proxy itself goes straight to the sandbox
            answer = direct.request(self.command, self.path, data=body, headers=headers, timeout=10)
        status, payload, answer_headers = answer.status_code, answer.content, answer.headers
        self.send_response(status)
        for name, value in answer_headers.items():
            if name.lower() not in (
                "transfer-encoding",
                "connection",
                "content-length",
                "content-encoding",
            ):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def proxy():
    handler = type("Handler", (_Forwarding,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler.seen
    server.shutdown()
    server.server_close()


def _environment(monkeypatch, *, proxy: str, no_proxy: str | None) -> None:
    """Both spellings of each variable (requests prefers the lower-case one), so
    that the machine's own settings do not count."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        for spelling in (name, name.lower()):
            monkeypatch.delenv(spelling, raising=False)
    for spelling in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(spelling, proxy)
    if no_proxy is not None:
        for spelling in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(spelling, no_proxy)


def _clients(sandbox):
    return (
        ListApiClient(sandbox.list_api_url, api_key="sandbox-api-key", config=FAST),
        SegmentApiClient(
            sandbox.segment_api_url, username="sandbox", password="sandbox-password", config=FAST
        ),
    )


def test_both_clients_go_through_the_environments_proxy(sandbox, proxy, monkeypatch):
    url, seen = proxy
    _environment(monkeypatch, proxy=url, no_proxy=None)
    list_client, segment_client = _clients(sandbox)
    with list_client, segment_client:
        page = list_client.audience_page(AudienceQuery(audience_type="segment", page_size=5))
        segment_client.platform_accounts()
        # A sync's reads, sent by the session's adapter itself (transport.read).
        rows = segment_client.segment_rows_of_audience(audience_id=page.rows[0].audience_id)
    assert page.rows
    host = urlsplit(sandbox.list_api_url).netloc
    assert any(line.startswith(f"POST http://{host}/") for line in seen), seen
    assert any("/account/login" in line for line in seen), seen
    assert rows
    assert f"GET http://{host}/api/segment/audience/{page.rows[0].audience_id}" in seen


def test_a_host_in_no_proxy_is_reached_directly(sandbox, proxy, monkeypatch):
    url, seen = proxy
    _environment(monkeypatch, proxy=url, no_proxy="127.0.0.1,localhost")
    list_client, segment_client = _clients(sandbox)
    with list_client, segment_client:
        page = list_client.audience_page(AudienceQuery(audience_type="segment", page_size=5))
        segment_client.platform_accounts()
        segment_client.segment_rows_of_audience(audience_id=page.rows[0].audience_id)
    assert seen == []
