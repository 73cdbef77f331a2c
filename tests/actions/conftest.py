"""The segments the action tests act on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments.models import Segment


@pytest.fixture
def live_segment(synced):
    """A visible segment that ends in the future, as the mirror has it."""
    return (
        Segment.objects.visible()
        .filter(end_date__gt=timezone.now() + timedelta(days=1))
        .order_by("segment_id")
        .first()
    )


@pytest.fixture
def local_segment(db):
    """A mirror row made locally: enough for checks that never reach the remote."""
    now = timezone.now()
    return Segment.objects.create(
        segment_id=555,
        record_id=555,
        name="Local only",
        platform_id=1,
        auto_extend=False,
        active=True,
        is_recurring=False,
        is_system_generated=False,
        country=276,
        start_date=now - timedelta(days=10),
        end_date=now + timedelta(days=10),
        status="Active",
        status_id=1,
        total_log_count=1,
        total_pending_count=0,
        total_upload_count=0,
        total_segment_upload_count=0,
        created=now,
        updated=now,
    )
