"""What the team adds to a segment: its review state, its assignee and notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from segments.models.mirror import Segment


class Review(models.Model):
    """The team's review state of a segment."""

    class State(models.TextChoices):
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    segment = models.OneToOneField(
        Segment,
        primary_key=True,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="review",
    )
    state = models.CharField(max_length=20, choices=State.choices, db_index=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.get_state_display()}"


class Assignment(models.Model):
    """The team member a segment is assigned to (one at most); no row: nobody."""

    segment = models.OneToOneField(
        Segment,
        primary_key=True,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="assignment",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.assignee_id}"


class Note(models.Model):
    """A team member's comment on a segment."""

    segment = models.ForeignKey(
        Segment, db_constraint=False, on_delete=models.DO_NOTHING, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"note on {self.segment_id} by {self.author_id}"

    @property
    def version(self) -> str:
        """Which text of the note a form was loaded with: its last edit's time."""
        return self.edited_at.isoformat() if self.edited_at else "never edited"
