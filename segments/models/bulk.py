"""Bulk runs: one action over many segments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class BulkRun(models.Model):
    """One bulk action over many segments; its outcomes are its audit events.

    Prepared (the exact set of segments), then confirmed once (one conditional
    UPDATE sets ``confirmed_at``), queued for a worker, started, finished.
    """

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
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who confirmed the run: its audit events name them.",
    )
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
