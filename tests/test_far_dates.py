"""Dates the platform sends are shown however far they are; the forms refuse new
end dates beyond ``MAX_END_DATE_YEARS``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from segments.models import Segment

pytestmark = pytest.mark.django_db
LAST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
FIRST = datetime(1, 1, 1, tzinfo=UTC)


@pytest.fixture
def far_segment(synced):
    segment = Segment.objects.visible().order_by("segment_id").first()
    Segment.objects.filter(pk=segment.pk).update(end_date=LAST, start_date=FIRST)
    return segment


FAR_DATE_PAGES = [
    "/segments/{id}/",
    "/segments/{id}/extend/",
    "/segments/{id}/delete/",
    "/segments/?q={id}",
    "/segments/?sort=-end_date",
    "/segments/?sort=start_date",
    "/segments/export.csv?q={id}",
    "/",
]


def test_the_furthest_dates_the_platform_can_send_are_shown(op_client, far_segment):
    for url in FAR_DATE_PAGES:
        response = op_client.get(url.format(id=far_segment.segment_id))
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "export" in url:
            assert b"9999-12-31T23:59:59.999999+00:00" in body
        elif "{id}/" in url:
            assert b"31 Dec 9999 23:59 UTC" in body, url


def test_an_extend_beyond_the_horizon_is_refused_on_the_form(op_client, synced, settings):
    settings.MAX_END_DATE_YEARS = 5
    segment = Segment.objects.visible().filter(end_date__gt=timezone.now()).first()
    url = f"/segments/{segment.segment_id}/extend/"
    page = op_client.get(url).text
    fields = dict(re.findall(r'name="(form_token|expected_updated)" value="([^"]*)"', page))
    for typed in (
        "9999-12-31T23:59",
        (timezone.now() + timedelta(days=366 * 5)).strftime("%Y-%m-%dT%H:%M"),
    ):
        synced.requests.clear()
        response = op_client.post(url, {**fields, "new_end_date": typed})
        assert response.status_code == 200
        assert "within 5 years" in response.text or "between 1900 and 2999" in response.text
        assert synced.requests.count("update_end_date") == 0


def test_a_bulk_extend_including_a_far_segment_audits_every_segment(op_client, far_segment, synced):
    from segments.models import AuditEvent, BulkRun
    from segments.services.audit import Actor
    from segments.services.bulk import bulk_run_confirm, bulk_run_create

    others = list(
        Segment.objects.visible()
        .filter(end_date__gt=timezone.now() + timedelta(days=2))
        .exclude(pk=far_segment.pk)
        .values_list("segment_id", flat=True)[:2]
    )
    from segments.services.sync import segment_refresh

    synced.store.touch_segment(far_segment.segment_id, endDate="9999-12-31T23:59:59.9999999Z")
    segment_refresh(segment_id=far_segment.segment_id)
    operator = op_client.session["_auth_user_id"]
    from django.contrib.auth.models import User

    actor = Actor(user=User.objects.get(pk=operator))
    run = bulk_run_create(
        actor=actor,
        action=BulkRun.Action.EXTEND,
        segment_ids=[far_segment.segment_id, *others],
        params={},
    )
    assert bulk_run_confirm(run=run, actor=actor, days=7)  # runs inline in the tests
    events = AuditEvent.objects.filter(bulk_run=run)
    assert events.count() == 3
    assert events.filter(outcome="done").count() == 2
    refused = events.get(segment_id=far_segment.segment_id)
    assert refused.outcome == "refused"
    assert "cannot be extended any further" in refused.message
