"""A status scope saved in another case than the platform's ("active") is rewritten
as the platform spells it by migration 0020; one that no segment has stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments.models import ExpiryPolicy, Segment
from tests.migrations import migrate, migrate_to_latest

BEFORE = [("segments", "0019_webhook_one_per_url")]


def mirror_segment(segment_id: int, status: str) -> None:
    now = timezone.now()
    Segment.objects.create(
        segment_id=segment_id,
        record_id=segment_id,
        name=f"Segment {segment_id}",
        platform_id=1,
        auto_extend=False,
        active=True,
        is_recurring=False,
        is_system_generated=False,
        country=276,
        start_date=now - timedelta(days=10),
        end_date=now + timedelta(days=10),
        status=status,
        status_id=1,
        total_log_count=0,
        total_pending_count=0,
        total_upload_count=0,
        total_segment_upload_count=0,
        created=now,
        updated=now,
        has_problems=False,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_status_scopes_are_spelled_as_the_platform_spells_them():
    mirror_segment(1, "Active")
    mirror_segment(2, "Paused")
    scopes = {"lower": "active", "upper": " PAUSED", "unknown": "archived", "other": "Active"}
    for name, value in scopes.items():
        ExpiryPolicy.objects.create(
            name=name,
            scope="status",
            scope_value=value,
            min_days_ahead=30,
            step_days=30,
            ceiling_days=90,
        )
    ExpiryPolicy.objects.create(
        name="by name",
        scope="name",
        scope_value="active",
        min_days_ahead=30,
        step_days=30,
        ceiling_days=90,
    )
    migrate(BEFORE)
    migrate_to_latest()
    assert dict(ExpiryPolicy.objects.values_list("name", "scope_value")) == {
        "lower": "Active",
        "upper": "Paused",
        "unknown": "archived",
        "other": "Active",
        "by name": "active",
    }
