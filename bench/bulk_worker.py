"""Benchmark: a bulk extend of 1,000 segments through a task worker, against the
same 1,000 extends made one after another in this process.

``python -m bench`` calls ``measure`` on its own mirror (1,000 segments; fewer when
its mirror is under 100,000 segments, as in the CI smoke: 30). Standalone:
``python -m bench.bulk_worker [--segments 1000]``, with a fresh SQLite file (or
the caller's PostgreSQL ``DATABASE_URL``) and a sandbox subprocess, the mirror
filled by a full sync. Then:

1. *inline*: ``segment_extend`` for each segment in turn (+7 days), the same
   checked write a single operator's extend makes (read, write, read back,
   store, audit) on one shared client;
2. *worker*: one bulk run over the same segments (+7 days), confirmed and
   enqueued like the UI does, run by a ``manage.py worker`` subprocess that was
   started (and had reported itself alive) beforehand: wall time from the
   confirmation to the run's ``finished_at``;
3. for reference, 1,000 bare ``update_end_date`` client calls.

Goal: worker at most 1.2 times inline. Figures go to stdout (and, as JSON, to
``bench/results/bulk_worker.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.sandbox_process import sandbox

RESULTS = Path(__file__).resolve().parent / "results" / "bulk_worker.json"
TARGET_WORKER_VS_INLINE = 1.2


SMALL_MIRROR = 100_000


def _say(message: str) -> None:
    print(f"[bulk bench] {message}", file=sys.stderr, flush=True)


def _environment(workdir: Path, box) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DJANGO_DEBUG="0",
        DJANGO_LOG_LEVEL="WARNING",
        SEGMENT_API_URL=box.segment_api_url,
        LIST_API_URL=box.list_api_url,
        SYNC_INTERVAL_MINUTES="0",
        SYNC_FULL_AT="",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_worker", description=__doc__)
    parser.add_argument("--segments", type=int, default=1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="desk-bulk-bench-") as tmp:
        workdir = Path(tmp)
        with sandbox(size=args.segments, log_path=workdir / "sandbox.log") as box:
            _environment(workdir, box)
            figures = _standalone(args.segments)
    for label, (value, unit, digits) in figures.items():
        print(f"{label}: {value:.{digits}f} {unit}".rstrip())
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({label: value for label, (value, _, _) in figures.items()}, indent=2) + "\n"
    )
    return 0 if figures["bulk worker / inline"][0] <= TARGET_WORKER_VS_INLINE else 1


def _standalone(count: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from segments.services.sync import sync_run

    call_command("migrate", verbosity=0, interactive=False)
    _say("migrated; syncing …")
    assert sync_run(full=True).ok
    return measure(sandbox=None, say=_say, count=count)


def measure(*, sandbox, say, count: int | None = None) -> dict:
    """The figures, on the current database's mirror (Django set up, the remote
    settings pointing at the sandbox). ``sandbox`` is unused: the settings say where."""
    from django.contrib.auth.models import User
    from django.db import connection

    from segments import processes, remote
    from segments.models import BulkRun, Segment, WorkerBeat
    from segments.services.audit import Actor
    from segments.services.bulk import bulk_run_confirm, bulk_run_create
    from segments.services.end_dates import extension_base
    from segments.services.platform_writes import segment_extend

    if count is None:
        count = 1000 if Segment.objects.count() >= SMALL_MIRROR else 30
    workdir = Path(tempfile.mkdtemp(prefix="desk-bulk-bench-"))
    user, _ = User.objects.get_or_create(username="bulk-bench")
    actor = Actor(user=user, ip="127.0.0.1")
    ids = list(Segment.objects.visible().values_list("segment_id", flat=True)[:count])
    say(f"{len(ids)} segments; inline extends …")

    started = time.perf_counter()
    with remote.segment_api() as client:
        for segment in Segment.objects.filter(segment_id__in=ids).order_by("segment_id"):
            result = segment_extend(
                actor=actor,
                segment_id=segment.segment_id,
                new_end_date=extension_base(segment.end_date) + timedelta(days=7),
                expected_updated=segment.updated,
                client=client,
            )
            assert result.ok, result.message
    inline = time.perf_counter() - started

    say("worker …")
    worker = processes.start(
        processes.worker_command(worker_id="bench", interval=0.2),
        env={},
        log=workdir / "worker.log",
    )
    try:
        deadline = time.monotonic() + 120
        while not WorkerBeat.objects.filter(worker_id="bench").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the worker did not start; see {workdir / 'worker.log'}")
            time.sleep(0.1)
        run = bulk_run_create(actor=actor, action=BulkRun.Action.EXTEND, segment_ids=ids, params={})
        started = time.perf_counter()
        bulk_run_confirm(run=run, actor=actor, days=7, end_date=None)
        while not BulkRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists():
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited; see {workdir / 'worker.log'}")
            time.sleep(0.05)
        through_worker = time.perf_counter() - started
        done = run.events.filter(outcome="done").count()
    finally:
        processes.stop(worker)

    say("bare client calls …")
    with remote.segment_api() as client:
        ends = dict(
            Segment.objects.filter(segment_id__in=ids).values_list("segment_id", "end_date")
        )
        started = time.perf_counter()
        for segment_id in ids:
            client.update_end_date(
                segment_id=segment_id, end_date=ends[segment_id] + timedelta(days=1)
            )
        bare = time.perf_counter() - started
    n = len(ids)
    assert done == n, f"{done} of {n} done; see {workdir / 'worker.log'}"
    say(
        f"bulk extend of {n} on {connection.vendor}: worker {through_worker:.1f} s, inline "
        f"{inline:.1f} s, bare calls {bare:.1f} s"
    )
    # label -> (value, unit, digits shown), as bench.report's figures.
    return {
        f"bulk extend of {n} via a worker": (through_worker, "s", 1),
        f"bulk extend of {n} inline (same checked writes)": (inline, "s", 1),
        "bulk worker / inline": (through_worker / inline, "", 2),
        f"{n} bare update_end_date calls": (bare, "s", 2),
        "bulk worker / bare calls": (through_worker / bare, "", 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
