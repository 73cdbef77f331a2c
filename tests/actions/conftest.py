"""The segments the action tests act on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments.models import Segment
from tests.mirror_rows import local_segment_create


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
    return local_segment_create(segment_id=555, name="Local only")
