"""Form submission tokens: each form is processed once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SubmissionToken(models.Model):
    """One per processed form submission: a form's token is accepted once."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.token
