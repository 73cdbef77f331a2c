"""The sandbox as a subprocess on a free loopback port, always stopped at the end."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from sandbox import SandboxUrls

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Sandbox(SandboxUrls):
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def health(self) -> dict:
        return requests.get(f"{self.control_url}/health", timeout=5).json()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def sandbox(
    *, size: int, seed: int = 42, log_path: Path, timeout: float | None = None
) -> Iterator[Sandbox]:
    """Start ``python -m sandbox``, wait for its health check, terminate it on exit.

    The default wait grows with ``size``: the sandbox generates its data before it
    answers, which took over a minute for 1,000,000 segments on a loaded machine."""
    timeout = timeout or 60.0 + size / 2000
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "sandbox",
                "--host",
                HOST,
                "--port",
                str(port),
                "--seed",
                str(seed),
                "--size",
                str(size),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        box = Sandbox(port=port, process=process)
        try:
            _wait_healthy(box, timeout=timeout, log_path=log_path)
            yield box
        finally:
            _stop(process)


def _wait_healthy(box: Sandbox, *, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if box.process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {box.process.returncode}; see {log_path}")
        with contextlib.suppress(requests.RequestException, ValueError):
            if box.health().get("ok"):
                return
        time.sleep(0.1)
    raise RuntimeError(f"the sandbox did not become healthy within {timeout:g} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
