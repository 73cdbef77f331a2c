"""HTTP front of the sandbox: the threaded server that feeds each request to the
application (``app.py``), and ``SandboxServer``, which starts and stops it."""

import contextlib
import logging
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import App, json_response
from .data import ticks_from_datetime
from .faults import Faults, RequestLog
from .store import Store

logger = logging.getLogger("sandbox")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SegmentDeskSandbox/1.0"
    timeout = 60
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: "_HTTPServer"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, opened=False)

    def _handle(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(400, "Bad Content-Length")
            return
        raw = self.rfile.read(length)
        if len(raw) < length:
            # The client went away mid-body (a killed worker): a real server never
            # dispatches such a request, so it is neither counted nor applied.
            logger.info("sandbox: %s %s: the body ended early", self.command, self.path)
            self.close_connection = True
            return
        try:
            response = self.server.app.handle(self.command, self.path, self.headers, raw)
        except Exception:
            logger.exception("sandbox: unhandled error for %s %s", self.command, self.path)
            response = json_response(500, {"message": "An error has occurred."})
        if response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def send_response(self, code: int, message: str | None = None) -> None:
        """Every answer, ``send_error``'s included, carries ``X-Request-Id``."""
        super().send_response(code, message)
        self.send_header("X-Request-Id", self.server.app.next_request_id())

    def log_message(self, format: str, *args) -> None:
        logger.info("%s %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App):
        super().__init__(address, _Handler)
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, opened: bool) -> None:
        with self._connections_lock:
            if opened:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def handle_error(self, request, client_address) -> None:
        """A client that went away mid-answer is not worth a traceback."""
        logger.debug("sandbox: connection error from %s", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Shut idle keep-alive connections so their threads end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SandboxUrls:
    """Where each API lives under a sandbox's base ``url``: the one place for that
    layout, shared by everything that starts a sandbox (tests, demo, benchmark)."""

    url: str

    @property
    def segment_api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def list_api_url(self) -> str:
        return f"{self.url}/v4/audience/list"

    @property
    def control_url(self) -> str:
        return f"{self.url}/_sandbox"


@dataclass(frozen=True)
class SandboxAddress(SandboxUrls):
    """A sandbox running elsewhere (another process), known by its base URL."""

    url: str


class SandboxServer(SandboxUrls):
    """The sandbox: both remote APIs and the control API on one port."""

    def __init__(
        self,
        seed: int = 42,
        size: int = 400,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "sandbox-api-key",
        username: str = "sandbox",
        password: str = "sandbox-password",  # noqa: S107 - the sandbox's own fake login
        latency_ms: float = 0,
        error_rate: float = 0.0,
        anchor: datetime | None = None,
    ):
        self.seed, self.size, self.host, self.port = seed, size, host, port
        self.anchor = anchor or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.store = Store(seed, size, ticks_from_datetime(self.anchor), username, password)
        self.faults = Faults(seed, latency_ms, error_rate)
        self.requests = RequestLog()
        self._app = App(self.store, self.faults, self.requests, api_key)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "SandboxServer":
        """Bind and serve in a daemon thread."""
        self._httpd = _HTTPServer((self.host, self.port), self._app)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = self._thread = None

    def reset(self) -> None:
        """Regenerate the data from seed/size/anchor; clear faults and request counts."""
        self._app.reset()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
