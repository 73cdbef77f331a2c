"""The processes of a Segment Desk installation, as command lines: web (gunicorn),
task worker and scheduler. ``manage.py rundemo`` and the multi-process tests
start them from here, so both run what the README's production start runs."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def sandbox_command(*, port: int, seed: int = 42, size: int = 400) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--size",
        str(size),
    ]


def web_command(*, port: int, workers: int = 2, threads: int = 4) -> list[str]:
    """gunicorn serving ``dashboard.wsgi`` on loopback."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "dashboard.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-",
        "--no-control-socket",
    ]


def worker_command(*, worker_id: str | None = None, interval: float = 0.5) -> list[str]:
    """A task worker (django-tasks-db's ``db_worker`` with a heartbeat), no autoreload."""
    command = [
        sys.executable,
        "manage.py",
        "worker",
        "--no-reload",
        "--interval",
        str(interval),
    ]
    return command + (["--worker-id", worker_id] if worker_id else [])


def scheduler_command() -> list[str]:
    """crontask's scheduler: enqueues the scheduled tasks of ``segments.tasks``."""
    return [sys.executable, "manage.py", "crontask", "--no-heartbeat"]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], *, env: Mapping[str, str], log: Path) -> subprocess.Popen:
    """Start a child in its own process group, output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - argument lists built above
            command,
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONPATH": str(BASE_DIR), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen, *, timeout: float = 15) -> None:
    """SIGTERM to the child's whole group (gunicorn's workers too), then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_http(url: str, process: subprocess.Popen, *, timeout: float = 60) -> None:
    """Until ``url`` answers at all; raises if the process exits or time runs out."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[2:4]} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on {url} within {timeout:g} s")
