"""Bulk runs: one action over many segments."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

BULK_RUN_SILENCE = timedelta(minutes=5)


class BulkRun(models.Model):
    """One bulk action over many segments; its items are its audit events."""

    class Action(models.TextChoices):
        EXTEND = "extend", "Extend end dates"
        DELETE = "delete", "Delete segments"

    action = models.CharField(max_length=20, choices=Action.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    params = models.JSONField(
        default=dict,
        help_text="Days to add or the new end date, and each segment's `updated` as seen.",
    )
    segment_ids = models.JSONField(default=list)
    total = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} × {self.total} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def interrupted(self) -> bool:
        """Started, unfinished, and silent for minutes: its process stopped (a restart)."""
        last = self.progress_at or self.started_at
        return not self.finished and last is not None and timezone.now() - last > BULK_RUN_SILENCE
