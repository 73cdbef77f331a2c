"""The table figures: the segments partial and the Segment admin changelist timed
for the same filters, and the exact count of each filter the bench uses."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter

from bench.cases import Case, Sample
from bench.measure import percentile, say

COUNT_RE = re.compile(rb'<span class="count"[^>]*>(?:about )?([\d,.]+) segments?')
ADMIN_COUNT_RE = re.compile(rb"</ul>\s*([\d,.]+) segments?\s|</h2>\s*([\d,.]+) segments?\s")
# Not filters: how the table is shown.
DISPLAY_PARAMS = {"sort", "page", "per_page"}


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
    status, account_id = commonest("status"), commonest("account_id")
    return Sample(
        status=status,
        word=word,
        phrase=middle.audience.name if middle.audience else middle.name,
        segment_id=middle.segment_id,
        account_id=account_id,
        platform_id=commonest("platform_id"),
        country=commonest("country"),
        total=total,
        word_status_total=visible.filter(name__icontains=word, status=status).count(),
        account_active_total=visible.filter(account_id=account_id, active=True).count(),
        now=timezone.now(),
    )


def bench_user():
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first()
    return user or user_model.objects.create_superuser("bench", "bench@example.com", "bench")


def time_cases(
    cases: list[Case], *, kind: str, repeats: int
) -> tuple[list[float], list[dict], list[float]]:
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


def time_counts(cases: list[Case], *, repeats: int) -> tuple[list[float], list[dict]]:
    """The exact count of every distinct filter of the cases, as a bulk action's
    confirmation needs it: the selector's queryset, ``.count()``."""
    from segments import selectors

    seen: set[tuple] = set()
    samples: list[float] = []
    details: list[dict] = []
    for case in cases:
        params = {k: v for k, v in case.partial.items() if k not in DISPLAY_PARAMS}
        key = tuple(sorted(params.items()))
        if not params or key in seen:
            continue
        seen.add(key)
        queryset = selectors.segment_list(filters=params)
        rows = queryset.count()  # warm
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            queryset.all().count()
            times.append((time.perf_counter() - started) * 1000)
        samples.extend(times)
        details.append({"filter": params, "rows": rows, "median_ms": statistics.median(times)})
        say(f"count   {case.name:34} {statistics.median(times):8.1f} ms  {rows} rows")
    return samples, details
