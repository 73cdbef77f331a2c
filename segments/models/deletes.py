"""Deletes that wait out an undo window before a worker sends them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ScheduledDelete(models.Model):
    """One segment's delete, due at ``deadline`` unless somebody cancels it.

    The deadline lives here, not only in a queue: a housekeeping task sends every
    due delete, so one survives restarts and backends that cannot defer a task.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for its deadline"
        RUNNING = "running", "Being sent"
        DONE = "done", "Deleted"
        GONE = "gone", "Already gone"
        CANCELLED = "cancelled", "Undone"
        CHANGED = "changed", "Not deleted: changed meanwhile"
        FAILED = "failed", "Failed"

    OPEN = (State.PENDING, State.RUNNING)

    segment_id = models.BigIntegerField(db_index=True)
    segment_name = models.CharField(max_length=500, blank=True)
    expected_updated = models.DateTimeField(
        null=True, blank=True, help_text="The segment's 'updated' when the delete was confirmed."
    )
    deadline = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    bulk_run = models.ForeignKey(
        "segments.BulkRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduled_deletes",
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["state", "deadline"])]
        constraints = [
            models.UniqueConstraint(
                fields=["segment_id"],
                condition=Q(state__in=["pending", "running"]),
                name="one_open_delete_per_segment",
            )
        ]

    def __str__(self) -> str:
        return f"delete of {self.segment_id} at {self.deadline:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN
