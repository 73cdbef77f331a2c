"""Exclusive work across processes and hosts: a row per lease, taken with one
conditional UPDATE, kept alive by a heartbeat thread, taken over when its
holder's heartbeat stopped for longer than the timeout.

Every time here is the database's (``Now()``), not the host's: with several
hosts, a clock running ahead would have taken live leases over, one running
behind have waited too long for a dead holder's."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Now

from segments.models import Lease

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another process took the lease over: this one's heartbeat had stopped too long."""


def holder_name() -> str:
    """Unique for this acquisition: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_acquire(*, name: str, holder: str, timeout: timedelta) -> bool:
    """Take the lease if it is free or its heartbeat is older than ``timeout``."""
    try:
        with transaction.atomic():
            Lease.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # created by a concurrent caller meanwhile
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(holder="") | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=Now() - timeout))
        .update(holder=holder, acquired_at=Now(), heartbeat_at=Now())
    )
    return taken == 1


def lease_beat(*, name: str, holder: str) -> bool:
    """Renew the heartbeat; False if the lease is no longer ours."""
    return Lease.objects.filter(name=name, holder=holder).update(heartbeat_at=Now()) == 1


def lease_release(*, name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).update(holder="", heartbeat_at=None)


def lease_current(*, name: str, timeout: timedelta) -> Lease | None:
    """The lease if someone holds it with a live heartbeat, else None."""
    return leases_alive(names=[name], timeout=timeout).first()


def leases_alive(*, names: list[str], timeout: timedelta) -> QuerySet[Lease]:
    """Those of the named leases held with a heartbeat younger than ``timeout``."""
    return Lease.objects.filter(name__in=names, heartbeat_at__gt=Now() - timeout).exclude(holder="")


class _Heartbeat(threading.Thread):
    def __init__(self, name: str, holder: str, every: float):
        super().__init__(name=f"lease-{name}", daemon=True)
        self.lease, self.holder, self.every = name, holder, every
        self.stopping = threading.Event()
        self.lost = threading.Event()

    def confirm(self) -> None:
        """Raise ``LeaseLost`` unless the database still names this holder, and
        renew the heartbeat: nobody can take the lease over for a whole timeout
        from now. Work that must not be done twice (a write sent to the platform,
        which ends within the timeout) asks here just before it starts. (Only
        reading the holder left a window: the thread's beats failing on a busy
        database, a takeover could come between the answer and the work.)"""
        if self.lost.is_set() or not lease_beat(name=self.lease, holder=self.holder):
            self.lost.set()
            raise LeaseLost(self.lease)

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.every):
                try:
                    if not lease_beat(name=self.lease, holder=self.holder):
                        logger.error("lease %s was taken over by another process", self.lease)
                        self.lost.set()
                        return
                except Exception:
                    # A busy database now and then must not end the work: the
                    # timeout is several beats long.
                    logger.warning("lease %s: heartbeat failed", self.lease, exc_info=True)
        finally:
            connection.close()


@contextmanager
def lease_held(*, name: str, timeout: timedelta) -> Iterator[_Heartbeat | None]:
    """Hold the lease for the block, beating every quarter of ``timeout``.

    Yields None if someone else holds it; otherwise the heartbeat, whose
    ``lost`` event tells that it was taken over. Inside a transaction (tests)
    nothing beats: another connection could not see this one's lease.
    """
    holder = holder_name()
    if not lease_acquire(name=name, holder=holder, timeout=timeout):
        yield None
        return
    beat = _Heartbeat(name, holder, every=max(timeout.total_seconds() / 4, 0.2))
    if not connection.in_atomic_block:
        beat.start()
    try:
        yield beat
    finally:
        beat.stopping.set()
        if beat.is_alive():
            beat.join()
        lease_release(name=name, holder=holder)
