"""Profile a full sync on a smaller sandbox: where does the time go?

    python -m bench.profile_sync --size 20000 --top 40 [--db postgres] [--incremental] [--keep]

Runs ``sync_run(full=True)`` under cProfile against a fresh database (as
``python -m bench --db`` makes it) and a sandbox subprocess (with
``--incremental``: a full sync unprofiled, 1% of the audiences changed, then the
incremental sync under cProfile), then prints the
time per stage of one audience (HTTP, parsing, each SQL statement kind) and the
profile's top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.database import CHOICES, bench_database
from bench.measure import say
from bench.run import configure_environment, setup_django
from bench.sandbox_process import sandbox
from bench.syncs import change_audiences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_sync", description=__doc__)
    parser.add_argument("--db", choices=CHOICES, default="sqlite")
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database, for python -m bench.profile"
    )
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="segment-desk-profile-"))
    configure_environment()
    try:
        with (
            bench_database(args.db, workdir=workdir, keep=args.keep) as database,
            sandbox(size=args.size, log_path=workdir / "sandbox.log") as box,
        ):
            setup_django(segment_api_url=box.segment_api_url, list_api_url=box.list_api_url)
            from django.db import connection

            from segments.services import sync

            if args.incremental:
                sync.sync_run(full=True)
                change_audiences(control_url=box.control_url)
            sql_time: dict[str, float] = defaultdict(float)
            sql_count: dict[str, int] = defaultdict(int)

            def timed(execute, sql, params, many, context):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    kind = " ".join(sql.split()[:3])[:60]
                    sql_time[kind] += time.perf_counter() - started
                    sql_count[kind] += 1

            profiler = cProfile.Profile()
            started = time.perf_counter()
            with connection.execute_wrapper(timed):
                profiler.enable()
                report = sync.sync_run(full=not args.incremental)
                profiler.disable()
            wall = time.perf_counter() - started
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        say(f"kept the database: {database.url}")
    say(f"sync of {report.segments_written} segments: {wall:.1f} s under cProfile, {report}")
    print("SQL by statement start (wall time, count):")
    for kind, seconds in sorted(sql_time.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{seconds:8.2f} s {sql_count[kind]:7}  {kind}")
    print(f"{sum(sql_time.values()):8.2f} s total SQL (execute only, commits not included)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
