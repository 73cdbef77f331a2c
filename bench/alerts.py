"""Benchmark of alert evaluation: ``python -m bench.alerts [--db sqlite|postgres] [--size N]``.

A fresh database (as ``bench.run``: a SQLite file, or a PostgreSQL database made
for the run), a sandbox subprocess, a full sync; three
users subscribed to every condition over all segments. Then ``alerts_evaluate``
is timed three times: after the first sync (one snapshot per segment: only
"ends soon" can hold), after the sandbox advanced a day and a sync took the new
counts (anomalies and rises appear), and once more with nothing changed (the
steady state: every condition still holds, nothing new is raised). The figure is
segments evaluated per second (every segment against every condition).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.database import CHOICES, bench_database
from bench.measure import say
from bench.run import configure_environment, setup_django
from bench.sandbox_process import sandbox

RESULTS = Path(__file__).resolve().parent / "results"


def _evaluate(label: str, segments: int) -> dict:
    from segments.alerts.services import alerts_evaluate

    report = alerts_evaluate()
    figures = report.as_dict() | {
        "segments": segments,
        "segments_per_second": round(segments / report.seconds),
    }
    say(
        f"{label}: {report.seconds:.2f} s, {figures['segments_per_second']:,} segments/s, "
        f"{report.raised} raised, {report.cleared} cleared, {report.notifications} notifications"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alerts", description=__doc__)
    parser.add_argument("--db", choices=CHOICES, default="sqlite")
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args(argv)
    configure_environment()
    workdir = Path(tempfile.mkdtemp(prefix="desk-bench-alerts-"))
    try:
        with (
            bench_database(args.db, workdir=workdir) as database,
            sandbox(size=args.size, log_path=workdir / "sandbox.log", timeout=180) as box,
        ):
            setup_django(segment_api_url=box.segment_api_url, list_api_url=box.list_api_url)
            from django.contrib.auth.models import User

            from segments.models import AlertSubscription, Condition, Segment
            from segments.services.sync import sync_run

            say(f"{database.description}; full sync of {args.size:,} segments…")
            assert sync_run(full=True).ok
            for name in ("bench-a", "bench-b", "bench-c"):
                user = User.objects.create_user(name, f"{name}@example.test")
                for condition in Condition:
                    AlertSubscription.objects.create(user=user, condition=condition, email=False)
            segments = Segment.objects.visible().count()
            results = {"database": database.description, "size": args.size}
            results["load_average"] = os.getloadavg()
            results["first"] = _evaluate("after the first sync", segments)
            requests.post(f"{box.control_url}/advance", json={"days": 1}, timeout=120)
            say("advanced the sandbox a day; syncing…")
            started = time.perf_counter()
            assert sync_run().ok
            say(f"incremental sync: {time.perf_counter() - started:.1f} s")
            results["after_a_day"] = _evaluate("after a day", segments)
            results["steady"] = _evaluate("nothing changed", segments)
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"alerts-{args.db}-{args.size}.json"
        path.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
