"""The count-anomaly rule: is a segment's latest count snapshot out of line with its history?

The rule, for the latest snapshot against the ones before it (oldest first):

- **drop** of ``total_log_count`` or ``total_ready_count``: the value is more than
  ``ANOMALY_DROP_RATIO`` (default 0.5, i.e. 50%) below the median of the last
  ``ANOMALY_HISTORY`` (default 5) snapshots;
- **to zero**: either of those two is 0 while the snapshot before it was above 0
  (flagged even when the median is small);
- **failed jump**: ``total_failed_count`` rose above that median by at least
  ``ANOMALY_FAILED_JUMP_MIN`` items (default 100) and by at least
  ``ANOMALY_FAILED_JUMP_RATIO`` (default 0.05) of the segment's upload items
  (``total_segment_upload_count``).

The platform sends some counts as ``null`` (unknown): a null latest value is
never an anomaly, and null values in the history are left out of the median. A
count with no known earlier value (the first snapshot) has nothing to compare
with and is not flagged. The thresholds are settings (README's table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median

from django.conf import settings

Counts = Mapping[str, int | None]

DROP_FIELDS = ("total_log_count", "total_ready_count")
FAILED_FIELD = "total_failed_count"
LABELS = {
    "total_log_count": "log events",
    "total_ready_count": "ready items",
    FAILED_FIELD: "failed items",
}


@dataclass(frozen=True)
class Thresholds:
    drop_ratio: float = 0.5
    history: int = 5
    failed_jump_ratio: float = 0.05
    failed_jump_min: int = 100

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            drop_ratio=settings.ANOMALY_DROP_RATIO,
            history=settings.ANOMALY_HISTORY,
            failed_jump_ratio=settings.ANOMALY_FAILED_JUMP_RATIO,
            failed_jump_min=settings.ANOMALY_FAILED_JUMP_MIN,
        )


@dataclass(frozen=True)
class Anomaly:
    """One flagged count: what it is now, the median it was compared with, the value before."""

    field: str
    kind: str  # "drop", "to_zero" or "failed_jump"
    current: int
    median: float
    previous: int

    def describe(self) -> str:
        label = LABELS[self.field]
        if self.kind == "to_zero":
            return f"{label} fell to 0 (was {self.previous:,})"
        if self.kind == "drop":
            return (
                f"{label} dropped to {self.current:,} (median of recent syncs {self.median:,.0f})"
            )
        return f"{label} jumped to {self.current:,} (median of recent syncs {self.median:,.0f})"


def count_anomalies(
    *, history: Sequence[Counts], current: Counts, thresholds: Thresholds | None = None
) -> list[Anomaly]:
    """The anomalies of ``current`` against ``history`` (earlier snapshots, oldest first)."""
    rule = thresholds or Thresholds()
    window = history[-rule.history :] if rule.history > 0 else []
    found = []
    for field in (*DROP_FIELDS, FAILED_FIELD):
        value = current.get(field)
        known = [h[field] for h in window if h.get(field) is not None]
        if value is None or not known:
            continue
        middle, previous = median(known), known[-1]
        anomaly = None
        if field == FAILED_FIELD:
            floor = max(rule.failed_jump_min, rule.failed_jump_ratio * _uploads(current))
            if value - middle >= floor:
                anomaly = "failed_jump"
        elif value == 0 and previous > 0:
            anomaly = "to_zero"
        elif value < middle * (1 - rule.drop_ratio):
            anomaly = "drop"
        if anomaly:
            found.append(Anomaly(field, anomaly, value, middle, previous))
    return found


def _uploads(counts: Counts) -> int:
    return counts.get("total_segment_upload_count") or 0
