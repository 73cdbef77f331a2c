"""Bookkeeping of the sync of each remote source."""

from __future__ import annotations

from django.db import models


class SyncState(models.Model):
    """Per source: when it last synced successfully, its last error, its progress."""

    class Source(models.TextChoices):
        ACCOUNTS = "accounts", "Platform accounts (Segment API)"
        CATALOGUE = "catalogue", "Audience catalogue (List & Segment API)"
        SEGMENTS = "segments", "Platform segments (Segment API)"

    source = models.CharField(max_length=20, choices=Source.choices, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    cursor = models.DateTimeField(
        null=True, blank=True, help_text="Changes after this time are fetched by the next run."
    )
    running_since = models.DateTimeField(null=True, blank=True)
    progress_done = models.IntegerField(default=0)
    progress_total = models.IntegerField(default=0)

    class Meta:
        ordering = ["source"]

    def __str__(self) -> str:
        return self.get_source_display()

    @property
    def healthy(self) -> bool:
        if self.last_success_at is None:
            return False
        return self.last_error_at is None or self.last_error_at < self.last_success_at


class DeferredIndex(models.Model):
    """An index (or SQLite trigger) of the segment mirror dropped while a sync loads
    an empty mirror, with the statement that makes it again. Kept in the database
    so that, if the loading process dies, the next sync makes it
    (``services.mirror_indexes``)."""

    name = models.CharField(max_length=200, primary_key=True)
    definition = models.TextField()
    deferred_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
