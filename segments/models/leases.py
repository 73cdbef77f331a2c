"""Leases: work that must run once at a time across every process and host."""

from __future__ import annotations

from django.db import models


class Lease(models.Model):
    """One named piece of exclusive work (the whole-platform sync, a bulk run).

    Free when ``holder`` is empty. Its holder updates ``heartbeat_at`` while it
    works; a lease whose heartbeat stopped (its process was killed) may be taken
    over by anyone after a timeout.
    """

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    acquired_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"


class WorkerBeat(models.Model):
    """A task worker process, as last seen alive (for ``/healthz/``)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host}"
