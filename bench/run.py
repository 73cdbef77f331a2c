"""Benchmark: full sync of a 100k-segment sandbox, then the segments table.

Steps: a fresh database (SQLite in a temporary directory, or the caller's
PostgreSQL ``DATABASE_URL``), a sandbox subprocess, a raw fetch of what the
sync fetches, ``sync_run(full=True)`` with its peak RSS sampled, then timings
of the segments table's HTMX partial and of the Segment admin changelist for
the same filters. Figures go to stdout and ``bench/results/latest.json``;
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench.cases import Case, Sample, build
from bench.raw_fetch import raw_fetch
from bench.sandbox_process import sandbox

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
MB = 1024 * 1024
USERNAME, PASSWORD, API_KEY = "sandbox", "sandbox-password", "sandbox-api-key"

TARGET_PARTIAL_MS = 25.0
TARGET_PARTIAL_VS_ADMIN = 0.5
TARGET_SYNC_VS_RAW = 1.5
TARGET_RSS_MB = 300.0

_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


class Throttle:
    """Call ``report`` at most every ``seconds``, and always for the last item."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last = 0.0

    def due(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if (total and done == total) or now - self.last >= self.seconds:
            self.last = now
            return True
        return False


class PeakRss:
    """The process's RSS peak while the block runs, sampled every ``interval`` s."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.process = psutil.Process()
        self.baseline = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self.baseline = self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def percentile(values: list[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


# --- environment ------------------------------------------------------------------


def configure_environment(workdir: Path) -> str:
    """Set the variables settings read at import; returns a description of the database."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        where = url.split("@")[-1]
        database = f"PostgreSQL from the caller's DATABASE_URL (…@{where}), not a fresh file"
    else:
        if url:
            say(f"ignoring DATABASE_URL={url!r}: the bench uses a fresh SQLite file")
        path = workdir / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        database = f"SQLite, fresh file {path}"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    return database


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


# --- the sync ---------------------------------------------------------------------


def run_sync() -> dict:
    from segments.services.sync import sync_run

    throttle = Throttle(10.0)

    def progress(stage: str, done: int, total: int) -> None:
        if throttle.due(done, total):
            elapsed = time.perf_counter() - started
            say(f"sync {stage}: {done}/{total or '?'} ({elapsed:.0f} s)")

    gc.collect()
    with PeakRss() as rss:
        started = time.perf_counter()
        report = sync_run(full=True, progress=progress)
        seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the sync failed: {'; '.join(report.errors)}")
    return {
        "seconds": seconds,
        "segments": report.segments_written,
        "audiences": report.audiences_refreshed,
        "snapshots": report.snapshots,
        "rss_baseline_mb": rss.baseline / MB,
        "rss_peak_mb": rss.peak / MB,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB,
    }


# --- the table ------------------------------------------------------------------------


def pick_sample() -> Sample:
    from django.db.models import Count
    from django.utils import timezone

    from segments.models import Segment

    visible = Segment.objects.visible()

    def commonest(column: str):
        row = visible.values(column).annotate(n=Count("pk")).order_by("-n", column).first()
        return row[column]

    total = visible.count()
    middle = visible.select_related("audience").order_by("segment_id")[total // 2]
    names = list(visible.order_by("segment_id").values_list("name", flat=True)[:5000])
    words = Counter(
        word for name in names for word in {w.lower() for w in re.findall(r"[A-Za-z]{4,}", name)}
    )
    # A fragment in about a tenth of the names: a broad but not trivial search.
    word = min(words, key=lambda w: (abs(words[w] - len(names) / 10), w))
    return Sample(
        status=commonest("status"),
        word=word,
        phrase=middle.audience.name if middle.audience else middle.name,
        segment_id=middle.segment_id,
        account_id=commonest("account_id"),
        platform_id=commonest("platform_id"),
        country=commonest("country"),
        total=total,
        now=timezone.now(),
    )


def bench_user():
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first()
    return user or user_model.objects.create_superuser("bench", "bench@example.com", "bench")


COUNT_RE = re.compile(rb'<span class="count">([\d,.]+) segments')
ADMIN_COUNT_RE = re.compile(rb"</ul>\s*([\d,.]+) segments?\s|</h2>\s*([\d,.]+) segments?\s")


def time_cases(cases: list[Case], *, kind: str, repeats: int) -> tuple[list[float], list[dict]]:
    """Warm each case once (capturing its queries), then time it ``repeats`` times."""
    from django.contrib import admin
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from segments.admin import SegmentAdmin
    from segments.models import Segment

    client = Client()
    client.force_login(bench_user())
    if kind == "partial":
        url, headers = reverse("segment-list"), {"HX-Request": "true"}
    else:
        url, headers = reverse("admin:segments_segment_changelist"), {}
    assert isinstance(admin.site._registry[Segment], SegmentAdmin)
    default_per_page = SegmentAdmin.list_per_page
    samples: list[float] = []
    cpu_samples: list[float] = []
    details: list[dict] = []
    try:
        for case in cases:
            params = case.partial if kind == "partial" else case.admin
            SegmentAdmin.list_per_page = case.per_page
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, params, headers=headers)
            # Read now: the next request's request_started signal clears the log.
            queries = list(captured.captured_queries)
            _check(kind, case, response)
            times, cpu = [], []
            for _ in range(repeats):
                started, started_cpu = time.perf_counter(), time.process_time()
                client.get(url, params, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            samples.extend(times)
            cpu_samples.extend(cpu)
            pattern = COUNT_RE if kind == "partial" else ADMIN_COUNT_RE
            found = pattern.search(response.content)
            detail = {
                "case": case.name,
                "params": params,
                "rows": next(g for g in found.groups() if g).decode() if found else "?",
                "queries": len(queries),
                "query_ms": sum(float(q["time"]) for q in queries) * 1000,
                "median_ms": statistics.median(times),
                "cpu_median_ms": statistics.median(cpu),
                "slowest_queries": [
                    {"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:400]}
                    for q in sorted(queries, key=lambda q: -float(q["time"]))[:3]
                ],
                "max_ms": max(times),
            }
            details.append(detail)
            say(
                f"{kind:7} {case.name:34} {detail['median_ms']:8.1f} ms "
                f"(cpu {detail['cpu_median_ms']:6.1f})  "
                f"{detail['queries']:2} queries ({detail['query_ms']:.1f} ms)  "
                f"{detail['rows']} rows"
            )
    finally:
        SegmentAdmin.list_per_page = default_per_page
    say(
        f"{kind}: CPU-time p50 {percentile(cpu_samples, 50):.1f} ms "
        "(this process only: less sensitive to other load on the machine)"
    )
    return samples, details, cpu_samples


def _check(kind: str, case: Case, response) -> None:
    where = f"{kind} {case.name!r}"
    if response.status_code != 200:
        raise RuntimeError(f"{where}: HTTP {response.status_code} {response.get('Location', '')}")
    body = response.content
    if kind == "partial":
        if b"<html" in body.lower() or b'id="table"' not in body:
            raise RuntimeError(f"{where}: not the table partial")
        if b"Some filters were ignored" in body:
            raise RuntimeError(f"{where}: the form refused a filter {case.partial}")
    elif b'id="result_list"' not in body:
        raise RuntimeError(f"{where}: no result list in the changelist")


# --- report -------------------------------------------------------------------------


def figures(sync: dict, raw: dict, partial: list[float], admin_ms: list[float]) -> dict:
    partial_p50 = percentile(partial, 50)
    admin_p50 = percentile(admin_ms, 50)
    return {
        "sync wall time": (sync["seconds"], "s", 1),
        "sync segments/s": (sync["segments"] / sync["seconds"], "", 0),
        "sync peak RSS": (sync["rss_peak_mb"], "MB", 1),
        "raw fetch time": (raw["seconds"], "s", 1),
        "sync / raw fetch": (sync["seconds"] / raw["seconds"], "", 2),
        "partial p50": (partial_p50, "ms", 1),
        "partial p95": (percentile(partial, 95), "ms", 1),
        "admin p50": (admin_p50, "ms", 1),
        "partial / admin": (partial_p50 / admin_p50, "", 2),
    }


def targets(fig: dict) -> list[tuple[str, bool]]:
    value = {label: v for label, (v, _, _) in fig.items()}
    return [
        (f"partial p50 <= {TARGET_PARTIAL_MS:g} ms", value["partial p50"] <= TARGET_PARTIAL_MS),
        (
            f"partial p50 <= {TARGET_PARTIAL_VS_ADMIN:g} x admin p50",
            value["partial / admin"] <= TARGET_PARTIAL_VS_ADMIN,
        ),
        (
            f"sync <= {TARGET_SYNC_VS_RAW:g} x raw fetch",
            value["sync / raw fetch"] <= TARGET_SYNC_VS_RAW,
        ),
        (f"sync peak RSS <= {TARGET_RSS_MB:g} MB", value["sync peak RSS"] <= TARGET_RSS_MB),
    ]


def _fmt(value: float, unit: str, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return f"{text} {unit}" if unit else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="sandbox segments")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per request")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    # A terminated bench still stops its sandbox and removes its directory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    warnings.filterwarnings("ignore", message="No directory at", module="django")

    workdir = Path(tempfile.mkdtemp(prefix="segment-desk-bench-"))
    database = configure_environment(workdir)
    say(f"database: {database}")
    load_start = os.getloadavg()
    say(f"load average {load_start[0]:.2f} on {os.cpu_count()} CPUs (other work skews timings)")
    try:
        with sandbox(size=args.size, seed=args.seed, log_path=workdir / "sandbox.log") as box:
            say(f"sandbox on port {box.port}: {box.health()}")
            setup_django(segment_api_url=box.segment_api_url, list_api_url=box.list_api_url)
            say("migrated; raw fetch …")
            raw_throttle = Throttle(10.0)

            def raw_progress(done: int, total: int) -> None:
                if raw_throttle.due(done, total):
                    say(f"raw fetch: {done}/{total} audiences")

            fetched = raw_fetch(
                segment_api_url=box.segment_api_url,
                list_api_url=box.list_api_url,
                username=USERNAME,
                password=PASSWORD,
                api_key=API_KEY,
                progress=raw_progress,
            )
            raw = {
                "seconds": fetched.seconds,
                "requests": fetched.requests,
                "audiences": fetched.audiences,
                "body_mb": fetched.body_bytes / MB,
            }
            say(f"raw fetch: {fetched.requests} requests in {fetched.seconds:.1f} s")
            say("full sync …")
            sync = run_sync()
            say(
                f"sync: {sync['segments']} segments, {sync['audiences']} audiences in "
                f"{sync['seconds']:.1f} s; RSS {sync['rss_baseline_mb']:.0f} → "
                f"{sync['rss_peak_mb']:.0f} MB"
            )
        sample = pick_sample()
        say(f"sample values: {sample}")
        cases = build(sample)
        partial, partial_details, partial_cpu = time_cases(
            cases, kind="partial", repeats=args.repeats
        )
        admin_ms, admin_details, admin_cpu = time_cases(cases, kind="admin", repeats=args.repeats)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    fig = figures(sync, raw, partial, admin_ms)
    for label, (value, unit, digits) in fig.items():
        print(f"{label}: {_fmt(value, unit, digits)}")
    checks = targets(fig)
    for label, met in checks:
        print(f"target {label}: {'met' if met else 'NOT met'}")
    print(f"database: {database}")
    load_end = os.getloadavg()[0]
    if max(load_start[0], load_end) > 0.5:
        print(
            f"note: load average {load_start[0]:.2f} at start, {load_end:.2f} at end: "
            "other processes shared the CPUs"
        )
    sys.stdout.flush()

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": {label: round(value, 3) for label, (value, _, _) in fig.items()},
        "targets": {label: met for label, met in checks},
        "database": database,
        "size": args.size,
        "seed": args.seed,
        "repeats": args.repeats,
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "cpu_time_ms": {
            "partial p50": percentile(partial_cpu, 50),
            "partial p95": percentile(partial_cpu, 95),
            "admin p50": percentile(admin_cpu, 50),
        },
        "sync": sync,
        "raw_fetch": raw,
        "partial": partial_details,
        "admin": admin_details,
    }
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    say(f"wrote {RESULTS}")
    return 0
