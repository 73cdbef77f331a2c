"""``make run`` (``manage.py rundemo``) as a user starts it: a busy port is named,
and SIGTERM stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import psutil
import pytest

from segments import processes
from tests.processes.conftest import wait_until


def test_rundemo_reports_a_busy_port_and_stops_every_child_on_sigterm(tmp_path, sandbox):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "SYNC_INTERVAL_MINUTES": "0",
        "SYNC_FULL_AT": "",
    }
    busy = sandbox.port  # the session's sandbox holds it
    blocked = subprocess.run(  # noqa: S603 - fixed argument list
        [
            sys.executable,
            "manage.py",
            "rundemo",
            "--port",
            str(processes.free_port()),
            "--sandbox-port",
            str(busy),
        ],
        cwd=processes.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert blocked.returncode != 0
    assert f"port {busy} is in use" in blocked.stderr

    port, sandbox_port = processes.free_port(), processes.free_port()
    demo = subprocess.Popen(  # noqa: S603 - fixed argument list
        [
            sys.executable,
            "manage.py",
            "rundemo",
            "--port",
            str(port),
            "--sandbox-port",
            str(sandbox_port),
            "--size",
            "40",
        ],
        cwd=processes.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: _answers(f"http://127.0.0.1:{port}/healthz/"), timeout=120, what="make run"
        )
        children = psutil.Process(demo.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        for part in ("sandbox", "gunicorn", "manage.py worker", "crontask"):
            assert part in names
        # The demo's pages are the production ones: no debug page listing the routes.
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=10)
        assert missing.value.code == 404
        page = missing.value.read().decode()
        assert "URLconf" not in page
        assert "There is nothing at this address" in page
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=30)
        assert alive == []
    finally:
        if demo.poll() is None:  # a failed assertion above: stop it the same way
            demo.send_signal(signal.SIGTERM)
            demo.wait(timeout=60)
    assert "Stopped." in demo.stdout.read().decode()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback
            return True
    except OSError:
        return False
