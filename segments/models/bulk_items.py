"""The segments of a bulk run as its worker goes through them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from segments.models.bulk import BulkRun


class BulkItem(models.Model):
    """One segment of a run: recorded as *sending* before its write goes to the
    platform, *finished* once its outcome is audited. A run resumed after its
    worker died reads back each segment still *sending* (its answer was lost)
    before anything is sent again, so no segment is written twice."""

    class State(models.TextChoices):
        SENDING = "sending", "Sending"
        FINISHED = "finished", "Finished"

    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="items")
    segment_id = models.BigIntegerField()
    state = models.CharField(max_length=10, choices=State.choices)
    target_end_date = models.DateTimeField(
        null=True, blank=True, help_text="The end date sent (extend runs)."
    )
    sent_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "segment_id"], name="bulk_item_once_per_run")
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}, segment {self.segment_id}: {self.state}"
