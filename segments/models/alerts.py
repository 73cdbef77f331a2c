"""Alerts: who wants to hear of what, what was found, and where it was delivered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from segments.models.mirror import Segment


class Condition(models.TextChoices):
    ENDS_SOON = "ends_soon", "Ends soon"
    PROBLEMS_ROSE = "problems_rose", "Turned failed or no-data"
    ANOMALY = "anomaly", "Count anomaly"
    SYNC_FAILING = "sync_failing", "Scheduled sync failing"
    POLICY_FAILING = "policy_failing", "Policy keeps failing"


class AlertSubscription(models.Model):
    """One user's wish to hear of one condition over a scope of segments."""

    class Scope(models.TextChoices):
        ALL = "all", "All segments"
        ACCOUNTS = "accounts", "Chosen accounts"
        AUDIENCES = "audiences", "Chosen audiences"
        ASSIGNED = "assigned", "Assigned to me"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscriptions"
    )
    condition = models.CharField(max_length=20, choices=Condition.choices)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.ALL)
    account_ids = models.JSONField(default=list, blank=True)
    audience_ids = models.JSONField(default=list, blank=True)
    days = models.PositiveSmallIntegerField(
        default=7, help_text="For “ends soon”: alert when the end is this many days away or less."
    )
    email = models.BooleanField(default=True, help_text="Also tell me by email.")
    urgent = models.BooleanField(
        default=False, help_text="Mail each alert at once instead of in the daily digest."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "condition", "id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_condition_display()} · {self.get_scope_display()}"


class AlertProfile(models.Model):
    """A user's alert preferences beyond subscriptions: their zone for the digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_profile"
    )
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"alert profile of {self.user}"


class Alert(models.Model):
    """A condition found on a segment (or on the sync), from when it was found until it clears.

    At most one uncleared alert per subject and condition (the constraint below):
    a condition that holds sync after sync, acknowledged or not, raises no new
    alert; once it cleared, its return is a new alert.
    """

    SYNC_SUBJECT = "sync"

    subject = models.CharField(max_length=40, help_text="“segment:<id>” or “sync”.")
    segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="alerts",
    )
    condition = models.CharField(max_length=20, choices=Condition.choices)
    detail = models.CharField(max_length=500)
    values = models.JSONField(default=dict, blank=True, help_text="The values compared.")
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "condition"],
                condition=Q(cleared_at__isnull=True),
                name="one_uncleared_alert_per_subject_and_condition",
            )
        ]
        indexes = [models.Index(fields=["segment", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} · {self.subject}"

    @staticmethod
    def segment_subject(segment_id: int) -> str:
        return f"segment:{segment_id}"


class Notification(models.Model):
    """An alert in one user's inbox; ``mailed_at`` is set once a mail carried it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.BooleanField(default=False, help_text="To be mailed.")
    urgent = models.BooleanField(default=False, help_text="To be mailed at once.")
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "alert"], name="one_notification_per_alert")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["email", "mailed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.alert} for {self.user}"


class WebhookEndpoint(models.Model):
    """A team webhook: where to post which conditions' alerts, signed with ``secret``."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=200, help_text="Signs each delivery (HMAC-SHA256).")
    conditions = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("manage_webhooks", "Can manage team webhooks and see their deliveries")]
        # Two webhooks to one URL would post every alert there twice.
        constraints = [models.UniqueConstraint(fields=["url"], name="segments_webhook_one_per_url")]

    def __str__(self) -> str:
        return self.name

    @property
    def condition_labels(self) -> list[str]:
        return [Condition(c).label for c in self.conditions if c in Condition.values]


class WebhookDelivery(models.Model):
    """The alerts of one evaluation posted to one webhook: its attempts and how they ended."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    payload = models.JSONField()
    alert_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.IntegerField(null=True, blank=True, help_text="HTTP status.")
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.endpoint} · {self.get_status_display()} after {self.attempts}"
