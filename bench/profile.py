"""Profile one request of the segments table or admin on a database a bench kept.

    python -m bench --keep            # prints "kept the database: DATABASE_URL=…"
    python -m bench.profile sqlite:////tmp/segment-desk-bench-…/bench.sqlite3 "status=Active"
    python -m bench.profile postgres://postgres@127.0.0.1:5432/bench_123 "p=2000" --admin

Prints each SQL query with its time, then the cProfile's top functions by
cumulative time over ``--runs`` requests (after one warm-up request).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
import warnings
from urllib.parse import parse_qsl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("db", help="the DATABASE_URL (or SQLite file) python -m bench --keep kept")
    parser.add_argument("query", nargs="?", default="", help="GET parameters, a=b&c=d")
    parser.add_argument("--admin", action="store_true", help="the Segment admin changelist")
    parser.add_argument("--per-page", type=int, default=25, help="admin list_per_page")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--callers", help="also print who calls the functions matching this")
    args = parser.parse_args(argv)

    url = args.db if "://" in args.db else f"sqlite:///{os.path.abspath(args.db)}"
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    warnings.filterwarnings("ignore", message="No directory at", module="django")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench.table import bench_user
    from segments.admin import SegmentAdmin

    call_command("migrate", verbosity=0, interactive=False)  # the code may have moved on
    params = dict(parse_qsl(args.query, keep_blank_values=True))
    if args.admin:
        url, headers = reverse("admin:segments_segment_changelist"), {}
        SegmentAdmin.list_per_page = args.per_page
    else:
        url, headers = reverse("segment-list"), {"HX-Request": "true"}
    client = Client()
    client.force_login(bench_user())

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params, headers=headers)
    queries = list(captured.captured_queries)
    print(f"HTTP {response.status_code}, {len(response.content)} bytes, {len(queries)} queries")
    for query in queries:
        print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")

    times = []
    profiler = cProfile.Profile()
    for _ in range(args.runs):
        started = time.perf_counter()
        profiler.enable()
        client.get(url, params, headers=headers)
        profiler.disable()
        times.append((time.perf_counter() - started) * 1000)
    print(f"median {statistics.median(times):.1f} ms over {args.runs} runs (profiled)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
