"""Expiry policies: rules that keep segments' end dates ahead, their edits and runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from segments.models.saved_views import SavedView
from segments.policy_rules import Rule

FAILURES_FLAGGED = 3


class ExpiryPolicy(models.Model):
    class Scope(models.TextChoices):
        VIEW = "view", "Segments of a shared view"
        ACCOUNT = "account", "Segments of an account"
        AUDIENCE = "audience", "Segments of an audience"
        NAME = "name", "Segments whose name contains"
        STATUS = "status", "Segments with the status"

    name = models.CharField(max_length=100, unique=True)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    scope_view = models.ForeignKey(
        SavedView,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name="shared view",
    )
    scope_value = models.CharField(
        max_length=500, blank=True, help_text="Account id, audience id, name part or status."
    )
    min_days_ahead = models.PositiveIntegerField(verbose_name="keep at least N days ahead")
    step_days = models.PositiveIntegerField(verbose_name="extend by M days at a time")
    ceiling_date = models.DateTimeField(null=True, blank=True, verbose_name="never beyond")
    ceiling_days = models.PositiveIntegerField(
        null=True, blank=True, verbose_name="never beyond K days from now"
    )
    excluded = models.JSONField(
        default=list, blank=True, verbose_name="exclusions", help_text="Segment ids left alone."
    )
    paused = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "expiry policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(ceiling_date__isnull=False) | Q(ceiling_days__isnull=False),
                name="expiry_policy_has_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(min_days_ahead__gte=1) & Q(step_days__gte=1),
                name="expiry_policy_positive_days",
            ),
            # One name in any case: "Keep ahead" and "keep ahead" would be two policies
            # nobody tells apart in the activity (two creates at once included).
            models.UniqueConstraint(
                Lower("name"),
                name="expiry_policy_name_any_case",
                violation_error_message="A policy of this name exists already.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rule(self) -> Rule:
        return Rule(
            min_days_ahead=self.min_days_ahead,
            step_days=self.step_days,
            ceiling_date=self.ceiling_date,
            ceiling_days=self.ceiling_days,
        )


class ExpiryPolicyEdit(models.Model):
    """Who changed what in a policy: the fields with their values before and after."""

    policy = models.ForeignKey(ExpiryPolicy, on_delete=models.CASCADE, related_name="edits")
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    changes = models.JSONField(default=dict, help_text="Field label: [before, after].")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} edited {self.policy_id} at {self.at:%Y-%m-%d %H:%M}"


class PolicyRun(models.Model):
    """One application of every active policy; its items are its report."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    planned = models.IntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"policy run {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class PolicyRunItem(models.Model):
    """One segment's extension in a run: its outcome, its audit event, its failure streak."""

    run = models.ForeignKey(PolicyRun, on_delete=models.CASCADE, related_name="items")
    policy = models.ForeignKey(ExpiryPolicy, on_delete=models.CASCADE, related_name="items")
    segment_id = models.BigIntegerField()
    outcome = models.CharField(max_length=20)
    event = models.ForeignKey(
        "segments.AuditEvent", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    failures_in_a_row = models.IntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["policy", "segment_id", "id"])]

    def __str__(self) -> str:
        return f"{self.segment_id} in run {self.run_id}: {self.outcome}"

    @property
    def flagged(self) -> bool:
        return self.failures_in_a_row >= FAILURES_FLAGGED
