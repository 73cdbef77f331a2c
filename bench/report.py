"""The bench's figures, the issue's goals, and the results file per database and size."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import percentile

RESULTS_DIR = Path(__file__).resolve().parent / "results"

TARGET_PARTIAL_P50_MS = 25.0
TARGET_PARTIAL_P95_MS = 60.0
TARGET_PARTIAL_VS_ADMIN = 0.2
TARGET_SYNC_VS_RAW = 1.5
TARGET_INCREMENTAL_VS_FULL = 0.1
TARGET_RSS_MB = 300.0


def figures(
    *,
    sync: dict,
    resync: dict,
    incremental: dict,
    raw: dict,
    partial: list[float],
    admin: list[float],
    counts: list[float],
) -> dict[str, tuple[float, str, int]]:
    """label -> (value, unit, digits shown)."""
    partial_p50 = percentile(partial, 50)
    admin_p50 = percentile(admin, 50)
    return {
        "sync wall time": (sync["seconds"], "s", 1),
        "sync CPU time (bench process)": (sync["cpu_seconds"], "s", 1),
        "sync segments/s": (sync["segments"] / sync["seconds"], "", 0),
        "sync peak RSS": (sync["rss_peak_mb"], "MB", 1),
        "raw fetch time": (raw["seconds"], "s", 1),
        "sync / raw fetch": (sync["seconds"] / raw["seconds"], "", 2),
        "full re-sync, nothing changed": (resync["seconds"], "s", 1),
        "full re-sync / raw fetch": (resync["seconds"] / raw["seconds"], "", 2),
        "incremental sync time": (incremental["seconds"], "s", 2),
        "incremental sync CPU time (bench process)": (incremental["cpu_seconds"], "s", 2),
        "incremental / full sync": (incremental["seconds"] / sync["seconds"], "", 3),
        "partial p50": (partial_p50, "ms", 1),
        "partial p95": (percentile(partial, 95), "ms", 1),
        "admin p50": (admin_p50, "ms", 1),
        "partial / admin": (partial_p50 / admin_p50, "", 2),
        "filtered count p50": (percentile(counts, 50), "ms", 1),
        "filtered count max": (max(counts), "ms", 1),
    }


def targets(fig: dict) -> list[tuple[str, bool]]:
    v = {label: value for label, (value, _, _) in fig.items()}
    return [
        (f"partial p50 <= {TARGET_PARTIAL_P50_MS:g} ms", v["partial p50"] <= TARGET_PARTIAL_P50_MS),
        (f"partial p95 <= {TARGET_PARTIAL_P95_MS:g} ms", v["partial p95"] <= TARGET_PARTIAL_P95_MS),
        (
            f"partial p50 <= {TARGET_PARTIAL_VS_ADMIN:g} x admin p50",
            v["partial / admin"] <= TARGET_PARTIAL_VS_ADMIN,
        ),
        (
            f"sync <= {TARGET_SYNC_VS_RAW:g} x raw fetch",
            v["sync / raw fetch"] <= TARGET_SYNC_VS_RAW,
        ),
        (
            f"incremental sync (1% changed) <= {TARGET_INCREMENTAL_VS_FULL:g} x full sync",
            v["incremental / full sync"] <= TARGET_INCREMENTAL_VS_FULL,
        ),
        (f"sync peak RSS <= {TARGET_RSS_MB:g} MB", v["sync peak RSS"] <= TARGET_RSS_MB),
    ]


def show(fig: dict, checks: list[tuple[str, bool]], *, extra: list[str]) -> None:
    for label, (value, unit, digits) in fig.items():
        text = f"{value:.{digits}f}"
        print(f"{label}: {text} {unit}".rstrip())
    for line in extra:
        print(line)
    for label, met in checks:
        print(f"target {label}: {'met' if met else 'NOT met'}")


def results_path(results_dir: Path, *, db: str, size: int) -> Path:
    return results_dir / f"{db}-{size}.json"


def write(path: Path, fig: dict, checks: list[tuple[str, bool]], **details) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": {label: round(value, 3) for label, (value, _, _) in fig.items()},
        "targets": dict(checks),
        **details,
    }
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
