"""One write to a platform segment at a time, across processes and hosts.

A write to a segment reads it, compares its ``updated`` with what the operator
saw, writes and reads back. Two writers doing that at once both pass the
comparison and one value silently wins. ``segment_write_lock`` serialises them
with a lease row per segment in the shared database: the second writer waits
(bounded), then reads the first one's ``updated`` and gets the conflict screen.

The lease is taken and released in short autocommit statements; no database
transaction stays open across the remote calls (on SQLite that would block
every other writer for the length of an HTTP call). A lease that outlives a
crashed holder expires after ``SEGMENT_WRITE_LOCK_LEASE`` seconds, longer than
any write can take with the configured timeouts, except for a bulk run's
writes: they name the run's lease, and the worker that took the run over
(its predecessor's heartbeat stopped) takes over the lock at once. See
docs/architecture.md, "Locking".
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now

from segments.models import SegmentWriteLock
from segments.remote.transport import longest_call_seconds

POLL_FIRST, POLL_MAX = 0.02, 0.25


class SegmentBusy(Exception):
    """Another write to this segment held it for longer than the bounded wait."""


def lease_seconds() -> float:
    """Longer than one write can take: a login, a read, the write and a read-back,
    each with every attempt waiting the whole connect and read timeouts."""
    if configured := getattr(settings, "SEGMENT_WRITE_LOCK_LEASE", None):
        return float(configured)
    return 4 * longest_call_seconds(settings.REMOTE) + 60


@contextmanager
def segment_write_lock(
    *, segment_id: int, wait: float | None = None, run_lease: str = ""
) -> Iterator[None]:
    """Hold the write lock of ``segment_id``; raise ``SegmentBusy`` after ``wait`` seconds.

    ``run_lease``: the lease the caller holds while writing (a bulk run's). A lock
    left under the same lease belongs to an earlier holder of it, which is gone."""
    wait = settings.SEGMENT_WRITE_LOCK_WAIT if wait is None else wait
    holder = uuid.uuid4().hex
    SegmentWriteLock.objects.bulk_create(
        [SegmentWriteLock(segment_id=segment_id)], ignore_conflicts=True
    )
    deadline = time.monotonic() + wait
    pause = POLL_FIRST
    while not _claim(segment_id, holder, run_lease):
        left = deadline - time.monotonic()
        if left <= 0:
            raise SegmentBusy(segment_id)
        time.sleep(min(pause, left))
        pause = min(pause * 2, POLL_MAX)
    try:
        yield
    finally:
        SegmentWriteLock.objects.filter(segment_id=segment_id, holder=holder).update(
            holder="", expires_at=None, run_lease=""
        )


def _claim(segment_id: int, holder: str, run_lease: str) -> bool:
    """One conditional UPDATE: atomic on SQLite and PostgreSQL alike."""
    free = Q(holder="") | Q(expires_at__lt=Now())  # the database's clock, as leases'
    if run_lease:
        free |= Q(run_lease=run_lease)
    claimed = SegmentWriteLock.objects.filter(free, segment_id=segment_id).update(
        holder=holder, expires_at=Now() + timedelta(seconds=lease_seconds()), run_lease=run_lease
    )
    return claimed == 1
