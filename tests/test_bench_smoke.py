"""The bench keeps working: ``python -m bench --size 5000`` on the suite's database
kind (SQLite, or PostgreSQL when ``DATABASE_URL`` names one), as a real process
with its own sandbox and its own fresh database. No timing is asserted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIZE = 5000

pytestmark = pytest.mark.bench_smoke


def _database_kind() -> tuple[str, dict[str, str]]:
    """The suite's database kind, and the environment that puts the bench's on the
    same PostgreSQL server."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "sqlite", {}
    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    return "postgres", {"BENCH_DATABASE_URL": server}


def _database_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(server, connect_timeout=10) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def _run(module: str, *args: str, extra: dict[str, str]) -> subprocess.CompletedProcess:
    """``python -m <module> <args>`` as a real process; it must succeed."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, **extra},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def test_bench_smoke(tmp_path):
    kind, extra = _database_kind()
    result = _run(
        "bench",
        f"--db={kind}",
        f"--size={SIZE}",
        "--repeats=1",
        f"--results-dir={tmp_path}",
        extra=extra,
    )
    data = json.loads((tmp_path / f"{kind}-{SIZE}.json").read_text())

    assert data["size"] == SIZE
    assert data["sync"]["segments"] == SIZE
    assert data["incremental_sync"]["audiences_changed"] >= 1
    # Every changed audience was fetched again, and not the whole catalogue.
    assert (
        data["incremental_sync"]["audiences_changed"]
        <= data["incremental_sync"]["audiences"]
        < data["sync"]["audiences"]
    )
    # Every case matched rows, the deep pages included, on both the partial and the admin.
    for case in data["partial"] + data["admin"]:
        assert case["rows"] not in ("0", "?"), case
    assert {case["case"] for case in data["partial"]} == {case["case"] for case in data["admin"]}
    assert all(count["rows"] > 0 for count in data["counts"])
    assert len(data["targets"]) == 6
    assert "sync / raw fetch" in result.stdout
    # The machine's speed at the start and end of the run, for comparing runs.
    assert all(data["cpu_yardstick_s"][when] > 0 for when in ("start", "end"))
    assert re.search(r"CPU yardstick [0-9.]+ s at start, [0-9.]+ s at end", result.stdout)

    if kind == "postgres":
        name = re.search(r"fresh database (bench_\d+)", data["database"]).group(1)
        assert not _database_exists(extra["BENCH_DATABASE_URL"], name), "not dropped"


def test_the_stage_profile_runs():
    """``python -m bench.profile_stages``: the figures of a first sync by process and
    stage, the set-aside indexes among them (3,000 segments: 60 audiences, a load)."""
    kind, extra = _database_kind()
    result = _run("bench.profile_stages", f"--db={kind}", "--size=3000", extra=extra)
    for label in ("raw fetch", "full sync"):
        assert re.search(rf"^{label} +wall +[0-9.]+ s +CPU: this process", result.stdout, re.M)
    assert re.search(r"^sync / raw fetch: [0-9.]+$", result.stdout, re.M)
    assert re.search(r"after the load [0-9.]+ s", result.stdout)
    assert re.search(r"^  deferred_indexes_restore: [0-9.]+ s$", result.stdout, re.M)
