"""Where a first full sync's time goes, by process and by stage.

    python -m bench.profile_stages --db postgres --size 100000

Against a fresh database and a sandbox subprocess (as ``python -m bench`` makes
them): a raw fetch, then a first full sync, each with its wall time and the CPU
time of this process, of the sandbox and of PostgreSQL's processes (those alive
before and after: the sync's own connection, not the index builds' connections
of their own). The sync is split by the progress it reports (the catalogue; the
fetch and load, to the last audience's segments; what follows the load), and
the stages after the load are timed: the set-aside indexes, SQLite's text
index, the planner's statistics.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from bench.database import CHOICES, bench_database
from bench.run import configure_environment, measure_raw_fetch, setup_django
from bench.sandbox_process import sandbox

# What follows the load, timed where the sync calls it: (module, function, depth).
# A function of depth 1 is called by the one of depth 0 above it, and its time is
# part of that one's: printed indented under it.
TIMED = [
    ("segments.services.mirror_indexes", "deferred_indexes_restore", 0),
    ("segments.services.mirror_indexes", "_build_in_parallel", 1),
    ("segments.services.mirror_indexes", "_text_index_rebuild", 1),
    ("segments.services.sync", "_refresh_planner_statistics", 0),
]


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _postgres_cpu() -> float:
    total = 0.0
    for process in psutil.process_iter(["name"]):
        if (process.info["name"] or "").startswith("postgres"):
            try:
                total += _cpu(process)
            except psutil.Error:  # gone meanwhile
                continue
    return total


def _measured(label: str, sandbox_process: psutil.Process, work: Callable[[], object]) -> float:
    """Run ``work``; print its wall time and each process's CPU time. Returns the wall time."""
    me = psutil.Process()
    before = (time.perf_counter(), _cpu(me), _cpu(sandbox_process), _postgres_cpu())
    work()
    after = (time.perf_counter(), _cpu(me), _cpu(sandbox_process), _postgres_cpu())
    wall, mine, sandboxes, postgres = (a - b for a, b in zip(after, before, strict=True))
    print(
        f"{label:10} wall {wall:7.2f} s   CPU: this process {mine:7.2f}, "
        f"sandbox {sandboxes:7.2f}, PostgreSQL {postgres:7.2f}"
    )
    return wall


def _timing(spent: dict[str, float]) -> None:
    """Wrap ``TIMED`` so that each call adds its wall time to ``spent``."""
    for module_name, name, _depth in TIMED:
        module = importlib.import_module(module_name)
        function = getattr(module, name)

        def timed(*args, _function=function, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _function(*args, **kwargs)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_stages", description=__doc__)
    parser.add_argument("--db", choices=CHOICES, default="sqlite")
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="segment-desk-stages-"))
    configure_environment()
    try:
        with (
            bench_database(args.db, workdir=workdir),
            sandbox(size=args.size, log_path=workdir / "sandbox.log") as box,
        ):
            setup_django(segment_api_url=box.segment_api_url, list_api_url=box.list_api_url)
            from segments.services.sync import sync_run

            spent: dict[str, float] = {}
            _timing(spent)
            marks: dict[str, float] = {}

            def progress(stage: str, done: int, total: int) -> None:
                marks.setdefault(stage, time.perf_counter())
                if stage == "segments" and done == total:
                    marks["loaded"] = time.perf_counter()

            def sync() -> None:
                marks["start"] = time.perf_counter()
                report = sync_run(full=True, progress=progress)
                marks["end"] = time.perf_counter()
                if not report.ok:
                    raise RuntimeError("; ".join(report.errors))

            box_process = psutil.Process(box.process.pid)
            raw = _measured("raw fetch", box_process, lambda: measure_raw_fetch(box))
            full = _measured("full sync", box_process, sync)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"sync / raw fetch: {full / raw:.2f}")
    print(
        f"stages: catalogue {marks['segments'] - marks['start']:.2f} s, "
        f"fetch and load {marks['loaded'] - marks['segments']:.2f} s, "
        f"after the load {marks['end'] - marks['loaded']:.2f} s"
    )
    for _module, name, depth in TIMED:
        if name in spent:
            print(f"{'  ' * (depth + 1)}{name}: {spent[name]:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
