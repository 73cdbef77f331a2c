"""Per-segment write locks: one platform write to a segment at a time, across
every process and host sharing the database (docs/architecture.md, "Locking")."""

from __future__ import annotations

from django.db import models


class SegmentWriteLock(models.Model):
    """A lease on one platform segment: held while a write reads, compares,
    writes and reads back. Free when ``holder`` is empty or the lease expired.
    ``run_lease`` names the lease the holder wrote under (a bulk run's), so that
    the run's next worker can take over a lock its killed worker left."""

    segment_id = models.BigIntegerField(primary_key=True)
    holder = models.CharField(max_length=32, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    run_lease = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return f"write lock of segment {self.segment_id}"
