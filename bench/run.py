"""Benchmark: sync a sandbox of ``--size`` segments, then time the segments table.

    python -m bench [--db sqlite|postgres] [--size 100000] [--repeats 5] [--keep]

Steps: a fresh database (``bench.database``), a sandbox subprocess, a raw fetch
of what the sync fetches, a full sync (peak RSS sampled), a second full sync
with nothing changed (the scheduled steady state), an incremental sync after 1%
of the audiences changed on the remote, the segments table's HTMX
partial and the Segment admin changelist for the same filters, the exact count
of each filter, and the bulk extend through the worker when ``bench/bulk_worker.py``
exists. Figures go to stdout and ``bench/results/<db>-<size>.json``; progress to
stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import signal
import sys
import tempfile
import warnings
from pathlib import Path

from bench import report
from bench.cases import build
from bench.database import CHOICES, bench_database, settle
from bench.measure import MB, Throttle, cpu_yardstick, percentile, say
from bench.raw_fetch import raw_fetch
from bench.sandbox_process import sandbox
from bench.syncs import change_audiences, run_sync
from bench.table import pick_sample, time_cases, time_counts

USERNAME, PASSWORD, API_KEY = "sandbox", "sandbox-password", "sandbox-api-key"
MAX_SIZE = 1_000_000


def configure_environment() -> None:
    """Set the variables settings read at import (``DATABASE_URL`` is set by
    ``bench_database``)."""
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"


def setup_django(*, segment_api_url: str, list_api_url: str) -> None:
    os.environ["SEGMENT_API_URL"] = segment_api_url
    os.environ["LIST_API_URL"] = list_api_url
    os.environ["SEGMENT_API_COOKIE"] = ""
    os.environ["SEGMENT_API_USERNAME"] = USERNAME
    os.environ["SEGMENT_API_PASSWORD"] = PASSWORD
    os.environ["LIST_API_KEY"] = API_KEY
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0, interactive=False)


def measure_raw_fetch(box) -> dict:
    throttle = Throttle(10.0)

    def progress(done: int, total: int) -> None:
        if throttle.due(done, total):
            say(f"raw fetch: {done}/{total} audiences")

    fetched = raw_fetch(
        segment_api_url=box.segment_api_url,
        list_api_url=box.list_api_url,
        username=USERNAME,
        password=PASSWORD,
        api_key=API_KEY,
        progress=progress,
    )
    say(f"raw fetch: {fetched.requests} requests in {fetched.seconds:.1f} s")
    return {
        "seconds": fetched.seconds,
        "requests": fetched.requests,
        "audiences": fetched.audiences,
        "body_mb": fetched.body_bytes / MB,
    }


def bulk_worker_figures(box) -> tuple[dict, list[str]]:
    """Bulk extend through the worker (issue 7's ``bench/bulk_worker.py``), when it exists."""
    try:
        bulk_worker = importlib.import_module("bench.bulk_worker")
    except ModuleNotFoundError as exc:
        if exc.name != "bench.bulk_worker":
            raise
        return {}, ["bulk extend through the worker: not available yet (no bench/bulk_worker.py)"]
    return bulk_worker.measure(sandbox=box, say=say), []


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=CHOICES, default="sqlite", help="default: sqlite")
    parser.add_argument("--size", type=int, default=100_000, help="sandbox segments, ≤ 1,000,000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per request")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory and the database"
    )
    parser.add_argument(
        "--results-dir", type=Path, default=report.RESULTS_DIR, help="where <db>-<size>.json goes"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.size <= MAX_SIZE:
        parser.error(f"--size must be between 1 and {MAX_SIZE:,}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A terminated bench still stops its sandbox and removes its directory and database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    warnings.filterwarnings("ignore", message="No directory at", module="django")
    configure_environment()
    workdir = Path(tempfile.mkdtemp(prefix="segment-desk-bench-"))
    load_start = os.getloadavg()
    say(f"load average {load_start[0]:.2f} on {os.cpu_count()} CPUs (other work skews timings)")
    yardstick_start = cpu_yardstick()
    say(f"CPU yardstick {yardstick_start:.3f} s (a fixed Python loop: this machine's speed now)")
    try:
        with (
            bench_database(args.db, workdir=workdir, keep=args.keep) as database,
            sandbox(size=args.size, seed=args.seed, log_path=workdir / "sandbox.log") as box,
        ):
            say(f"database: {database.description}")
            say(f"sandbox on port {box.port}: {box.health()}")
            setup_django(segment_api_url=box.segment_api_url, list_api_url=box.list_api_url)
            say("migrated; raw fetch …")
            raw = measure_raw_fetch(box)
            say("full sync …")
            sync = run_sync(full=True)
            say(
                f"full sync: {sync['segments']} segments, {sync['audiences']} audiences in "
                f"{sync['seconds']:.1f} s; RSS {sync['rss_baseline_mb']:.0f} → "
                f"{sync['rss_peak_mb']:.0f} MB"
            )
            say("full sync again, nothing changed on the remote …")
            resync = run_sync(full=True)
            say(f"full re-sync: {resync['seconds']:.1f} s")
            changed = change_audiences(control_url=box.control_url)
            incremental = run_sync(full=False)
            incremental["audiences_changed"] = changed
            say(
                f"incremental sync after {changed} audiences changed: "
                f"{incremental['audiences']} audiences, {incremental['segments']} segments "
                f"in {incremental['seconds']:.2f} s"
            )
            settle_note = settle()
            sample = pick_sample()
            say(f"sample values: {sample}")
            cases = build(sample)
            partial, partial_details, partial_cpu = time_cases(
                cases, kind="partial", repeats=args.repeats
            )
            admin, admin_details, admin_cpu = time_cases(cases, kind="admin", repeats=args.repeats)
            counts, count_details = time_counts(cases, repeats=args.repeats)
            bulk, bulk_notes = bulk_worker_figures(box)
            if args.keep:
                say(f"kept the database: DATABASE_URL={database.url}")
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    fig = report.figures(
        sync=sync,
        resync=resync,
        incremental=incremental,
        raw=raw,
        partial=partial,
        admin=admin,
        counts=counts,
    )
    fig.update(bulk)
    checks = report.targets(fig)
    load_end = os.getloadavg()
    yardstick_end = cpu_yardstick()
    notes = [*bulk_notes, f"database: {database.description}"]
    if settle_note:
        notes.append(settle_note)
    notes.append(
        f"load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end "
        f"on {os.cpu_count()} CPUs" + (": other processes shared them" if load_end[0] > 0.5 else "")
    )
    notes.append(
        f"CPU yardstick {yardstick_start:.3f} s at start, {yardstick_end:.3f} s at end "
        "(a fixed Python loop, lower is faster: compare figures of different runs by it)"
    )
    report.show(fig, checks, extra=notes)
    sys.stdout.flush()
    path = report.results_path(args.results_dir, db=args.db, size=args.size)
    report.write(
        path,
        fig,
        checks,
        database=database.description,
        size=args.size,
        seed=args.seed,
        repeats=args.repeats,
        load_average={"start": load_start, "end": load_end},
        cpu_yardstick_s={"start": yardstick_start, "end": yardstick_end},
        notes=notes,
        cpu_time_ms={
            "partial p50": percentile(partial_cpu, 50),
            "partial p95": percentile(partial_cpu, 95),
            "admin p50": percentile(admin_cpu, 50),
        },
        sync=sync,
        resync=resync,
        incremental_sync=incremental,
        raw_fetch=raw,
        partial=partial_details,
        admin=admin_details,
        counts=count_details,
    )
    say(f"wrote {path}")
    return 0
