"""Real receivers for the alert channels: an SMTP server and an HTTP webhook receiver."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from dashboard.email_url import mailer_from_url
from segments.models import AlertSubscription, Condition, Notification


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    """What the SMTP server received, parsed as MIME."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on a free port, and the default mailer pointed at it."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = {"default": mailer_from_url(f"smtp://127.0.0.1:{controller.port}")}
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Receiver:
    """A local HTTP server that records each POST and answers from a script of statuses."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    hang: threading.Event | None = None
    requests: list[tuple[dict, bytes]] = field(default_factory=list)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.append((dict(self.headers.items()), body))
            if receiver.hang is not None:
                receiver.hang.wait(30)
                return
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            # An error page quoting the address it was called at, as many do.
            answer = b"ok" if status < 300 else f"Nothing at {self.path}".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver_factory():
    """Start receivers on free ports: ``receiver_factory(statuses=[500, 500], hang=False)``."""
    servers = []

    def start(statuses=(), hang=False) -> Receiver:
        receiver = Receiver(statuses=list(statuses), hang=threading.Event() if hang else None)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        servers.append((server, receiver))
        return receiver

    yield start
    for server, receiver in servers:
        if receiver.hang is not None:
            receiver.hang.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks):
    """``alerts_evaluate`` with what it enqueues on commit run, as after a real commit."""
    from segments.alerts.services import alerts_evaluate

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return alerts_evaluate(**kwargs)

    return run


@pytest.fixture
def alerted(synced, operator, evaluate):
    """The operator subscribed to "ends soon" over all segments, after an evaluation."""
    AlertSubscription.objects.create(user=operator, condition=Condition.ENDS_SOON)
    evaluate()
    return Notification.objects.filter(user=operator).select_related("alert__segment")
