"""Deleting a segment through the views."""

from __future__ import annotations

import re

import pytest

from segments import remote
from segments.models import AuditEvent, Segment
from tests.actions.support import HTMX, form_fields, open_form, remote_segment

pytestmark = pytest.mark.django_db


def test_delete_needs_the_typed_name(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/delete/"
    fields = open_form(op_client, url)
    opened = op_client.get(url, headers=HTMX).text
    assert re.search(r"<a [^>]*data-close-dialog autofocus>Cancel", opened)  # the safe default
    response = op_client.post(url, {**fields, "confirm_name": "wrong"}, headers=HTMX)
    assert "not the segment" in response.text
    assert synced.requests.count("delete_segment") == 0
    # Sent back: the field to correct takes the focus, not Cancel.
    assert re.search(r'<input [^>]*name="confirm_name"[^>]* autofocus', response.text)
    assert not re.search(r"data-close-dialog autofocus", response.text)


def test_delete_confirmed_hides_the_row_and_keeps_the_record(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/delete/"
    dialog = op_client.get(url, headers=HTMX).text
    assert live_segment.name in dialog
    assert live_segment.account.name in dialog
    fields = form_fields(dialog)
    response = op_client.post(url, {**fields, "confirm_name": live_segment.name}, headers=HTMX)
    assert "segments-changed" in response.headers["HX-Trigger"]
    with pytest.raises(remote.NotFound):
        remote_segment(live_segment.segment_id)
    live_segment.refresh_from_db()
    assert live_segment.is_deleted
    table = op_client.get("/segments/?per_page=100", headers=HTMX).text
    assert f'id="segment-{live_segment.segment_id}"' not in table
    event = AuditEvent.objects.get(action="delete")
    assert event.outcome == "done"
    assert event.remote_status == 200
    assert event.remote_request_id.startswith("sbx-")


def test_delete_of_an_already_gone_segment_reconciles(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/delete/"
    fields = open_form(op_client, url)
    synced.faults.set("delete_segment", status=404)
    response = op_client.post(url, {**fields, "confirm_name": live_segment.name}, headers=HTMX)
    assert "already deleted" in response.text
    live_segment.refresh_from_db()
    assert live_segment.is_deleted
    assert AuditEvent.objects.get(action="delete").outcome == "not_found"


def test_delete_accepts_the_name_typed_with_plain_dashes(op_client, synced):
    segment = Segment.objects.visible().filter(name__contains="–").first()
    url = f"/segments/{segment.segment_id}/delete/"
    fields = open_form(op_client, url)
    typed = "  " + segment.name.replace("–", "-").upper() + " "
    response = op_client.post(url, {**fields, "confirm_name": typed}, headers=HTMX)
    assert "segments-changed" in response.headers["HX-Trigger"]
