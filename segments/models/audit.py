"""The audit trail: one event per write attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from segments.models.bulk import BulkRun


class AuditEvent(models.Model):
    """One write attempt: who, when, from where, what, before and after, and how it ended.

    Never holds a credential: only segment fields and the remote's message.
    """

    class Action(models.TextChoices):
        EXTEND = "extend", "Extend end date"
        DELETE = "delete", "Delete segment"
        SCHEDULE_DELETE = "schedule_delete", "Schedule delete"
        UNDO_DELETE = "undo_delete", "Undo delete"
        CREATE_AUDIENCE = "create_audience", "Create CRM audience"
        ACTIVATE = "activate", "Activate audience"
        REVIEW = "review", "Set review state"
        NOTE = "note", "Add note"
        NOTE_EDIT = "note_edit", "Edit note"
        NOTE_DELETE = "note_delete", "Delete note"
        ASSIGN = "assign", "Assign segment"
        DELETE_POLICY = "delete_policy", "Delete expiry policy"
        ADD_WEBHOOK = "add_webhook", "Add team webhook"
        WEBHOOK_ACTIVE = "webhook_active", "Pause or resume team webhook"
        DELETE_WEBHOOK = "delete_webhook", "Delete team webhook"

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"
        CONFLICT = "conflict", "Changed meanwhile"
        NOT_FOUND = "not_found", "Already gone"
        UNKNOWN = "unknown", "Not confirmed"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    segment_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    audience_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    message = models.TextField(blank=True)
    remote_status = models.IntegerField(null=True, blank=True)
    remote_request_id = models.CharField(max_length=200, blank=True)
    bulk_run = models.ForeignKey(
        BulkRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["action", "at"]),
            models.Index(fields=["outcome", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.segment_id or ''} {self.outcome}"
