"""Mirror rows made locally, for checks that never reach the remote."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from segments.models import Segment


def local_segment_create(*, segment_id: int, **fields) -> Segment:
    """An active segment that ends in ten days, with ``fields`` as given."""
    now = timezone.now()
    values = {
        "record_id": segment_id,
        "name": f"Segment {segment_id}",
        "platform_id": 1,
        "auto_extend": False,
        "active": True,
        "is_recurring": False,
        "is_system_generated": False,
        "country": 276,
        "start_date": now - timedelta(days=10),
        "end_date": now + timedelta(days=10),
        "status": "Active",
        "status_id": 1,
        "total_log_count": 1,
        "total_pending_count": 0,
        "total_upload_count": 0,
        "total_segment_upload_count": 0,
        "created": now,
        "updated": now,
        **fields,
    }
    return Segment.objects.create(segment_id=segment_id, **values)
