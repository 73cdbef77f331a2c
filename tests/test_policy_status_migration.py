"""A status scope saved in another case than the platform's ("active") is rewritten
as its visible segments spell it most often, by migration 0019, and the policy's
history says so; one that no segment has stays."""

from __future__ import annotations

import pytest

from segments.models import ExpiryPolicy
from tests.conftest import make_policy
from tests.migrations import migrate, migrate_to_latest
from tests.mirror_rows import local_segment_create

BEFORE = [("segments", "0018_webhook_one_per_url")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_status_scopes_are_spelled_as_the_platform_spells_them():
    local_segment_create(segment_id=1, status="Active")
    local_segment_create(segment_id=2, status="Active")
    local_segment_create(segment_id=3, status="ACTIVE")  # rarer than "Active"
    local_segment_create(segment_id=4, status="Paused")
    local_segment_create(segment_id=5, status="archived", is_deleted=True)  # not visible
    scopes = {"lower": "active", "upper": " PAUSED", "unknown": "ARCHIVED", "other": "Active"}
    kept = {"min_days_ahead": 30, "step_days": 30, "ceiling_days": 90}
    for name, value in scopes.items():
        make_policy(name=name, scope_value=value, **kept)
    make_policy(name="by name", scope="name", scope_value="active", **kept)
    migrate(BEFORE)
    migrate_to_latest()
    assert dict(ExpiryPolicy.objects.values_list("name", "scope_value")) == {
        "lower": "Active",
        "upper": "Paused",
        "unknown": "ARCHIVED",
        "other": "Active",
        "by name": "active",
    }
    lower = ExpiryPolicy.objects.get(name="lower")
    assert [(e.username, e.changes) for e in lower.edits.all()] == [
        (
            "Segment Desk (status spelled as the platform does)",
            {"scope value": ["active", "Active"]},
        )
    ]
    assert not ExpiryPolicy.objects.get(name="other").edits.exists()
