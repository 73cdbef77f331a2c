"""Which alert conditions hold right now, read from the mirror (no writes).

- **ends soon**: a segment that is not expired or archived ends between now and
  ``days`` days from now (the largest ``days`` of the subscriptions; each
  subscription then hears only of the segments within its own ``days``);
- **turned failed or no-data**: the segment's latest count snapshot has more
  failed or more no-data items than the snapshot before it (snapshots are taken
  when a sync sees the counts change; the condition clears with the next change
  that is not a rise);
- **count anomaly**: the latest snapshot breaks the rule in ``anomalies``;
- **scheduled sync failing**: a sync source's latest attempt failed and its last
  success is more than ``ALERT_SYNC_FAILING_MINUTES`` (default 30) ago.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from segments.alerts.anomalies import Thresholds, count_anomalies
from segments.models import (
    COUNT_FIELDS,
    Alert,
    Condition,
    Segment,
    SegmentCountSnapshot,
    SyncState,
)

GONE_STATUSES = ("Expired", "Archived")
PROBLEM_FIELDS = (("total_failed_count", "failed"), ("total_no_data_count", "no-data"))


@dataclass(frozen=True)
class Found:
    """A condition that holds: on which subject, what was found, the values compared."""

    subject: str
    condition: str
    segment_id: int | None
    detail: str
    values: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.subject, self.condition


def conditions_found(*, now: datetime | None = None, ends_within_days: int = 7) -> list[Found]:
    """Every condition that holds now, over all visible segments and the sync sources."""
    now = now or timezone.now()
    return [
        *_ends_soon(now, ends_within_days),
        *_from_snapshots(Thresholds.from_settings()),
        *_sync_failing(now),
    ]


def _ends_soon(now: datetime, days: int) -> Iterator[Found]:
    rows = (
        Segment.objects.visible()
        .exclude(status__in=GONE_STATUSES)
        .filter(end_date__gte=now, end_date__lte=now + timedelta(days=days))
        .values_list("segment_id", "end_date")
    )
    for segment_id, end_date in rows.iterator(chunk_size=5000):
        left = (end_date - now).days
        when = timezone.localtime(end_date).strftime("%Y-%m-%d %H:%M %Z")
        yield Found(
            Alert.segment_subject(segment_id),
            Condition.ENDS_SOON,
            segment_id,
            f"ends {when} ({left} day{'' if left == 1 else 's'} left)",
            {"end_date": end_date.isoformat(), "days_left": left},
        )


def _histories(window: int) -> Iterator[tuple[int, list[dict]]]:
    """Each visible segment's latest ``window`` snapshots, newest first."""
    ranked = (
        SegmentCountSnapshot.objects.filter(segment__is_deleted=False)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("segment_id"),
                order_by=[F("taken_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=window)
        .order_by("segment_id", "rank")
        .values("segment_id", *COUNT_FIELDS)
    )
    current, rows = None, []
    for row in ranked.iterator(chunk_size=10_000):
        segment_id = row.pop("segment_id")
        if segment_id != current:
            if rows:
                yield current, rows
            current, rows = segment_id, []
        rows.append(row)
    if rows:
        yield current, rows


def _from_snapshots(thresholds: Thresholds) -> Iterator[Found]:
    for segment_id, newest_first in _histories(max(thresholds.history, 1) + 1):
        if len(newest_first) < 2:
            continue
        current, history = newest_first[0], newest_first[:0:-1]
        subject = Alert.segment_subject(segment_id)
        rose = [
            (label, history[-1][name], current[name])
            for name, label in PROBLEM_FIELDS
            if current[name] is not None and current[name] > (history[-1][name] or 0)
        ]
        if rose:
            yield Found(
                subject,
                Condition.PROBLEMS_ROSE,
                segment_id,
                "; ".join(
                    f"{label} items rose from {old or 0:,} to {new:,}" for label, old, new in rose
                ),
                {label: {"previous": old, "current": new} for label, old, new in rose},
            )
        anomalies = count_anomalies(history=history, current=current, thresholds=thresholds)
        if anomalies:
            yield Found(
                subject,
                Condition.ANOMALY,
                segment_id,
                "; ".join(a.describe() for a in anomalies),
                {
                    a.field: {
                        "kind": a.kind,
                        "current": a.current,
                        "median": a.median,
                        "previous": a.previous,
                    }
                    for a in anomalies
                },
            )


def _sync_failing(now: datetime) -> Iterator[Found]:
    limit = timedelta(minutes=settings.ALERT_SYNC_FAILING_MINUTES)
    failing = defaultdict(list)
    for state in SyncState.objects.all():
        if state.last_error_at is None or state.healthy:
            continue
        since = state.last_success_at
        if since is None or now - since > limit:
            failing["sources"].append(state.get_source_display())
            failing["errors"].append(state.last_error[:200])
            failing["since"].append(since.isoformat() if since else None)
    if failing:
        yield Found(
            Alert.SYNC_SUBJECT,
            Condition.SYNC_FAILING,
            None,
            f"failing for over {settings.ALERT_SYNC_FAILING_MINUTES} minutes: "
            + ", ".join(failing["sources"]),
            dict(failing),
        )
