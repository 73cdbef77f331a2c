"""The sync figures: a full sync, then an incremental one after 1% of the audiences
changed on the remote (one segment's counts in each, as another tool would)."""

from __future__ import annotations

import gc
import resource
import time

import requests

from bench.measure import MB, PeakRss, Throttle, say

CHANGED_FRACTION = 0.01


def run_sync(*, full: bool) -> dict:
    """``sync_run`` with its wall time and peak RSS; raises if the sync failed."""
    from segments.services.sync import sync_run

    throttle = Throttle(10.0)
    kind = "full" if full else "incremental"

    def progress(stage: str, done: int, total: int) -> None:
        if throttle.due(done, total):
            elapsed = time.perf_counter() - started
            say(f"{kind} sync {stage}: {done}/{total or '?'} ({elapsed:.0f} s)")

    gc.collect()
    with PeakRss() as rss:
        started, started_cpu = time.perf_counter(), time.process_time()
        report = sync_run(full=full, progress=progress)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - started_cpu
    if not report.ok:
        raise RuntimeError(f"the {kind} sync failed: {'; '.join(report.errors)}")
    return {
        "seconds": seconds,
        # This process's CPU (all its threads): parsing, and SQLite's writes. Less
        # sensitive than the wall time to other load; PostgreSQL's work is not in it.
        "cpu_seconds": cpu_seconds,
        "segments": report.segments_written,
        "audiences": report.audiences_refreshed,
        "snapshots": report.snapshots,
        "rss_baseline_mb": rss.baseline / MB,
        "rss_peak_mb": rss.peak / MB,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB,
    }


def change_audiences(*, control_url: str, fraction: float = CHANGED_FRACTION) -> int:
    """On the remote, raise the log count of one segment in every 1/fraction-th
    audience that has segments. Returns how many audiences changed."""
    from django.db.models import Min

    from segments.models import Segment

    firsts = list(
        Segment.objects.visible()
        .values("audience_id")
        .annotate(first=Min("segment_id"))
        .order_by("audience_id")
        .values_list("first", flat=True)
    )
    step = max(1, round(1 / fraction))
    chosen = firsts[step // 2 :: step] or firsts[:1]
    counts = dict(
        Segment.objects.filter(segment_id__in=chosen).values_list("segment_id", "total_log_count")
    )
    with requests.Session() as session:
        for segment_id in chosen:
            response = session.post(
                f"{control_url}/segments/{segment_id}",
                json={"totalLogCount": counts[segment_id] + 1},
                timeout=(3, 30),
            )
            response.raise_for_status()
    return len(chosen)
