"""``python -m bench.policies``: expiry policy evaluation time at 100,000 segments.

Fills a fresh database with N synthetic segments (no sandbox needed: policies
read the mirror), then times the dry run (what a scheduled run plans before
writing anything) for policies of each scope and for all of them at once, and
``plan()`` alone over every segment. SQLite in a temporary file by default; with
a PostgreSQL ``DATABASE_URL`` a database of its own on that server, dropped after.
Median and worst of ``--repeat`` runs, in milliseconds, on stdout.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

STATUSES = ("Active", "Pending", "Processing", "Inactive")


def configure(workdir: Path) -> tuple[str, str | None]:
    """Point settings at a fresh database; returns its description and a PG name to drop."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        base, _, _ = url.rpartition("/")
        name = f"desk_bench_policies_{os.getpid()}"
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        description = f"PostgreSQL, fresh database {name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'policies.sqlite3'}"
        description, name, base = "SQLite, fresh file", None, None
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    return description, (base, name) if name else None


def fill(count: int) -> None:
    from django.utils import timezone

    from segments.models import Segment

    rng = random.Random(7)
    now = timezone.now()
    words = ("shoes", "travel", "autumn", "retarget", "crm", "lookalike", "loyal", "sports")
    batch = []
    for i in range(count):
        end = now + timedelta(days=rng.uniform(-30, 365)) if rng.random() > 0.05 else None
        batch.append(
            Segment(
                segment_id=100_000 + i,
                record_id=i,
                name=f"{rng.choice(words)} {rng.choice(words)} {i}",
                audience_id=rng.randrange(1, 2000),
                account_id=rng.randrange(1, 60),
                platform_id=rng.randrange(1, 6),
                auto_extend=False,
                active=True,
                is_recurring=False,
                is_system_generated=False,
                country=276,
                start_date=now - timedelta(days=60),
                end_date=end,
                status=rng.choice(STATUSES),
                status_id=1,
                total_log_count=rng.randrange(0, 10**6),
                total_pending_count=0,
                total_upload_count=0,
                total_segment_upload_count=0,
                created=now,
                updated=now - timedelta(days=rng.uniform(0, 30)),
            )
        )
        if len(batch) == 5000:
            Segment.objects.bulk_create(batch)
            batch = []
    Segment.objects.bulk_create(batch)


def policies():
    from django.contrib.auth.models import User

    from segments.models import ExpiryPolicy, SavedView

    owner = User.objects.create_user("bench")
    view = SavedView.objects.create(
        owner=owner, name="ending", shared=True, query="status=Active&ends=within&within_days=60"
    )

    def policy(name, scope, value="", **extra):
        return ExpiryPolicy.objects.create(
            name=name,
            scope=scope,
            scope_value=value,
            min_days_ahead=30,
            step_days=30,
            ceiling_days=180,
            owner=owner,
            **extra,
        )

    return [
        policy("one account", "account", "7"),
        policy("one status", "status", "Active"),
        policy("name contains", "name", "shoes"),
        policy("shared view", "view", scope_view=view),
    ]


def timed(function, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        description, to_drop = configure(Path(workdir))
        try:
            return run(args, description)
        finally:
            if to_drop:
                from django.db import connections

                connections.close_all()
                import psycopg

                base, name = to_drop
                with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(args, description: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from segments.policy_rules import Candidate, Rule, Scope, plan
    from segments.services.policies import policy_dry_run

    call_command("migrate", verbosity=0, interactive=False)
    print(f"{description}; {args.segments:,} segments; median / worst of {args.repeat} runs")
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        fill(args.segments)
    print(f"fill: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    every = policies()
    now = timezone.now()
    rows = [(p.name, [p]) for p in every] + [("all four at once (a run's plan)", every)]
    for name, chosen in rows:
        median, worst, changes = timed(
            lambda chosen=chosen: policy_dry_run(policies=chosen, now=now), args.repeat
        )
        print(f"dry run, {name:32} {median:8.1f} ms  {worst:8.1f} ms  {len(changes):6,} changes")
    candidates = [
        Candidate(segment_id=i, end_date=now + timedelta(days=i % 29 + 1)) for i in range(100_000)
    ]
    scope = Scope(1, Rule(min_days_ahead=30, step_days=30, ceiling_days=180), candidates)
    median, worst, changes = timed(lambda: plan([scope], now=now), args.repeat)
    print(
        f"plan() alone, 100,000 candidates     {median:8.1f} ms  {worst:8.1f} ms  "
        f"{len(changes):6,} changes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
