"""The audit, the activity page and team review after actions."""

from __future__ import annotations

import re

import pytest

from segments.models import AuditEvent
from tests.actions.support import HTMX, note_form_token, open_form

pytestmark = pytest.mark.django_db


def test_audit_never_holds_a_secret(op_client, live_segment, synced, settings):
    url = f"/segments/{live_segment.segment_id}/extend/"
    op_client.post(url, {**open_form(op_client, url), "preset": "7"}, headers=HTMX)
    synced.faults.set("update_end_date", status=500)
    op_client.post(url, {**open_form(op_client, url), "preset": "30"}, headers=HTMX)
    dumped = repr(list(AuditEvent.objects.values()))
    for secret in ("sandbox-password", "sandbox-api-key", "digitalAudience", "sbx-secret"):
        assert secret not in dumped
    assert (
        AuditEvent.objects.filter(outcome="failed", remote_status=500)
        .exclude(remote_request_id="")
        .exists()
    )


def test_activity_page_filters(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/extend/"
    op_client.post(url, {**open_form(op_client, url), "preset": "7"}, headers=HTMX)
    token = note_form_token(op_client, live_segment.segment_id)
    op_client.post(
        f"/segments/{live_segment.segment_id}/notes/", {"text": "hello", "form_token": token}
    )
    page = op_client.get("/activity/?action=extend&user=otto").text
    table = page.split('id="activity-table"')[1]
    assert "Extend end date" in table
    assert "Add note" not in table
    assert op_client.get("/activity/?outcome=failed").text.count("<tr") == 1 + 1  # header + empty
    detail = op_client.get(f"/segments/{live_segment.segment_id}/").text
    assert "Extend end date by otto" in detail


def test_review_and_note_seen_by_another_user(client, live_segment, operator, viewer):
    client.force_login(operator)
    client.post(f"/segments/{live_segment.segment_id}/review/", {"state": "acknowledged"})
    # The same state again (a stale tab, a second click) changes nothing and audits nothing.
    client.post(f"/segments/{live_segment.segment_id}/review/", {"state": "acknowledged"})
    assert AuditEvent.objects.filter(action="review", segment_id=live_segment.pk).count() == 1
    token = note_form_token(client, live_segment.segment_id)
    client.post(
        f"/segments/{live_segment.segment_id}/notes/",
        {"text": "Client asked to keep it", "form_token": token},
    )
    client.force_login(viewer)
    detail = client.get(f"/segments/{live_segment.segment_id}/").text
    assert "Acknowledged — set by otto" in detail
    assert "Client asked to keep it" in detail
    table = client.get("/segments/?review=acknowledged").text
    assert re.findall(r'<tr id="segment-(\d+)"', table) == [str(live_segment.segment_id)]


def test_overview_queue_excludes_acknowledged_problems(client, operator, synced):
    client.force_login(operator)
    queue = re.findall(r'href="/segments/(\d+)/"', client.get("/").text.split("attention-queue")[1])
    first = queue[0]
    client.post(f"/segments/{first}/review/", {"state": "acknowledged"})
    after = client.get("/").text.split("attention-queue")[1]
    assert f'href="/segments/{first}/"' not in after.split("</table>")[0]
