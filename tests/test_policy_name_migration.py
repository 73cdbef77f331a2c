"""Policies whose names differ only in case (two creates at the same moment passed the
form's check) are numbered by migration 0022 before one name in any case becomes a
constraint; the oldest keeps its name and the others' histories say so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from segments.models import ExpiryPolicy
from tests.conftest import make_policy
from tests.migrations import migrate, migrate_to_latest

BEFORE = ("segments", "0021_audit_webhook_actions")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twins_in_case_are_numbered_then_refused():
    executor = migrate([BEFORE])
    policies = executor.loader.project_state([BEFORE]).apps.get_model("segments", "ExpiryPolicy")
    start = timezone.now() - timedelta(days=3)
    for offset, name in enumerate(["Keep ahead", "keep ahead", "KEEP AHEAD", "Other"]):
        policies.objects.create(
            name=name,
            scope="status",
            scope_value="Active",
            min_days_ahead=30,
            step_days=30,
            ceiling_days=90,
            created_at=start + timedelta(hours=offset),
        )
    migrate_to_latest()
    assert sorted(ExpiryPolicy.objects.values_list("name", flat=True)) == [
        "KEEP AHEAD (3)",
        "Keep ahead",
        "Other",
        "keep ahead (2)",
    ]
    twin = ExpiryPolicy.objects.get(name="keep ahead (2)")
    assert [(e.username, e.changes) for e in twin.edits.all()] == [
        ("Segment Desk (one name in any case)", {"name": ["keep ahead", "keep ahead (2)"]})
    ]
    assert not ExpiryPolicy.objects.get(name="Keep ahead").edits.exists()
    with pytest.raises(IntegrityError):
        make_policy(name="OTHER", min_days_ahead=1, step_days=1, ceiling_days=9)
