"""Time passing on the platform: ``advance_day`` moves the data one day on.

The sandbox's dates are fixed around its anchor while the dashboard compares them
with the real clock, so a day passing is emulated by bringing every date a day
nearer (end dates approach, and a segment whose end passes expires) and by
moving the pipeline counts the way a real day moves them:

- most live segments drift: log events grow by up to 3%, ready items move by a
  few percent (a little noise, no trend an anomaly rule should catch);
- about 3% see their failed items rise, about 3% their no-data items rise;
- about 2% drop sharply: log events and ready items fall to 5-30% of what they
  were, or (one in four of those) to 0.

Everything is drawn from ``random.Random(f"{seed}:day:{day}")`` over segments in
id order, so a seed and a day number always give the same changes. Counts the
platform reports as ``null`` stay ``null``, and
``totalSegmentUploadCount = ready + processing + pending + failed + noData``
and ``totalLogCount >= totalSegmentUploadCount`` hold after every day.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from .data import DAY, STATUS_IDS

LIVE = frozenset({"Active", "Paused", "Pending", "Processing", "Failed"})
FAILED_RISE = 0.03
NO_DATA_RISE = 0.03
SHARP_DROP = 0.02
# The parts whose sum is totalSegmentUploadCount.
PARTS = (
    "totalReadyCount",
    "totalProcessingCount",
    "totalPendingCount",
    "totalFailedCount",
    "totalNoDataCount",
)


@dataclass
class DayReport:
    """What one day changed; the ids let a demo or a test find the interesting segments."""

    day: int
    failed_rose: list[int] = field(default_factory=list)
    no_data_rose: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)


def advance_day(segments: dict[int, dict], *, seed: int, day: int, now: int) -> DayReport:
    """Change ``segments`` (the store's dicts, by id) in place as day number ``day`` does;
    a live segment whose end date moves before ``now`` (ticks) expires."""
    rng = random.Random(f"{seed}:day:{day}")
    report = DayReport(day=day)
    for segment_id in sorted(segments):
        segment = segments[segment_id]
        roll, drift = rng.random(), rng.random()
        segment["startDate"] -= DAY
        if segment["endDate"] is not None:
            segment["endDate"] -= DAY
        if segment["status"] not in LIVE:
            continue
        if roll < SHARP_DROP:
            _drop(segment, keep=0.0 if drift < 0.25 else 0.05 + drift * 0.25)
            report.dropped.append(segment_id)
        elif roll < SHARP_DROP + FAILED_RISE:
            if _rise(segment, "totalFailedCount", 0.02 + drift * 0.08):
                report.failed_rose.append(segment_id)
        elif roll < SHARP_DROP + FAILED_RISE + NO_DATA_RISE:
            if _rise(segment, "totalNoDataCount", 0.02 + drift * 0.10):
                report.no_data_rose.append(segment_id)
        else:
            _drift(segment, drift)
        if segment["endDate"] is not None and segment["endDate"] < now:
            _expire(segment)
            report.expired.append(segment_id)
    _balance(segments.values())
    return report


def _drift(segment: dict, drift: float) -> None:
    segment["totalLogCount"] = int(segment["totalLogCount"] * (1 + drift * 0.03))
    ready = segment["totalReadyCount"]
    if ready:
        segment["totalReadyCount"] = max(0, int(ready * (0.97 + drift * 0.06)))


def _rise(segment: dict, key: str, share: float) -> bool:
    """Move ``share`` of the ready items (at least 100) to ``key``; False if it cannot."""
    ready = segment["totalReadyCount"]
    if segment[key] is None or not ready:
        return False
    moved = min(ready, max(100, int(ready * share)))
    segment["totalReadyCount"] = ready - moved
    segment[key] += moved
    return True


def _drop(segment: dict, *, keep: float) -> None:
    """Scale log events and ready items by ``keep``; at 0 the whole pipeline empties."""
    segment["totalLogCount"] = int(segment["totalLogCount"] * keep)
    keys = ("totalReadyCount", "totalUploadCount")
    if keep == 0:
        keys = (*keys, *PARTS)
    for key in keys:
        if segment[key] is not None:
            segment[key] = int(segment[key] * keep)


def _balance(segments: Iterable[dict]) -> None:
    """Restore the totals' invariants after the counts moved."""
    for segment in segments:
        total = sum(segment[key] or 0 for key in PARTS)
        segment["totalSegmentUploadCount"] = total
        segment["totalLogCount"] = max(segment["totalLogCount"], total)
        ready = segment["totalReadyCount"] or 0
        segment["totalUploadCount"] = min(segment["totalUploadCount"], ready)


def _expire(segment: dict) -> None:
    """Mark a live segment whose end date has passed as the platform does: Expired."""
    segment["status"] = "Expired"
    segment["statusId"] = STATUS_IDS["Expired"]
    segment["active"] = False
