"""Extending a segment's end date through the views."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from segments import remote
from segments.models import AuditEvent, Segment
from tests.actions.support import HTMX, form_fields, open_form, remote_segment

pytestmark = pytest.mark.django_db


def test_extend_with_a_preset_updates_remote_then_mirror_and_audits(op_client, live_segment):
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    response = op_client.post(url, {**fields, "preset": "30"}, headers=HTMX, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert "segments-changed" in response.headers["HX-Trigger"]
    expected = live_segment.end_date + timedelta(days=30)
    assert remote_segment(live_segment.segment_id).end_date == expected
    live_segment.refresh_from_db()
    assert live_segment.end_date == expected
    event = AuditEvent.objects.get(action="extend")
    assert event.outcome == "done"
    assert event.username == "otto"
    assert event.ip == "10.1.2.3"
    assert event.before["end_date"] != event.after["end_date"]
    # The platform's answer to the write, for a support ticket: on the activity page too.
    assert event.remote_status == 200
    assert re.fullmatch(r"sbx-[0-9a-f]{8}", event.remote_request_id)
    activity = op_client.get("/activity/").text
    assert f'HTTP 200 <span class="muted">{event.remote_request_id}</span>' in activity


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2001-01-01T10:00", "must be in the future"),
        ("not-a-date", "Enter a valid date/time"),
        ("", "Choose a preset or enter the new end date"),
    ],
)
def test_an_invalid_date_is_refused_before_any_remote_call(
    op_client, live_segment, synced, value, message
):
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    synced.requests.clear()
    response = op_client.post(url, {**fields, "new_end_date": value}, headers=HTMX)
    assert message in response.text
    assert f'value="{value}"' in response.text or not value
    assert synced.requests.count("update_end_date") == 0
    assert synced.requests.count("segment") == 0


def test_a_date_not_later_than_the_current_end_is_refused(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    earlier = timezone.localtime(live_segment.end_date - timedelta(hours=1))
    if earlier <= timezone.now():
        pytest.skip("the chosen segment ends too soon for this case")
    response = op_client.post(
        url, {**fields, "new_end_date": earlier.strftime("%Y-%m-%dT%H:%M")}, headers=HTMX
    )
    assert "must be later than the current one" in response.text
    assert synced.requests.count("update_end_date") == 0


@pytest.mark.parametrize(
    ("fault", "text", "outcome"),
    [
        ({"status": 500, "kind": "html"}, "Not applied: the platform is unavailable", "failed"),
        ({"status": 503, "kind": "json", "retry_after": 5}, "Not applied", "failed"),
        ({"status": 400, "kind": "json"}, "The platform refused the change", "refused"),
        ({"status": 429, "retry_after": 7}, "Wait 7 seconds", "failed"),
        ({"status": 409}, "refused the change as conflicting", "conflict"),
        ({"kind": "disconnect"}, "Not confirmed: the platform did not answer", "unknown"),
    ],
)
def test_a_failed_extend_changes_nothing_and_says_what_failed(
    op_client, live_segment, synced, fault, text, outcome
):
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    synced.faults.set("update_end_date", **fault)
    response = op_client.post(url, {**fields, "preset": "7"}, headers=HTMX)
    assert text in response.text
    assert "banner-error" in response.text or "banner-warning" in response.text
    synced.faults.clear()
    live_segment.refresh_from_db()
    remote_now = remote_segment(live_segment.segment_id)
    assert remote_now.end_date == live_segment.end_date
    assert remote_now.updated == live_segment.updated
    event = AuditEvent.objects.get(action="extend")
    assert event.outcome == outcome
    assert synced.requests.count("update_end_date") == 1
    # The form keeps the operator's input and offers a fresh token.
    assert form_fields(response.text)["form_token"] != fields["form_token"]


def test_a_timeout_says_the_change_may_have_happened(op_client, live_segment, synced, settings):
    settings.REMOTE = {**settings.REMOTE, "READ_TIMEOUT": 0.3}
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    synced.faults.set("update_end_date", latency_ms=900)
    response = op_client.post(url, {**fields, "preset": "7"}, headers=HTMX)
    assert "Not confirmed" in response.text
    assert "may still apply it" in response.text
    assert "Refresh the segment" in response.text
    # The platform applies the write late: the mirror keeps the last confirmed state
    # until a refresh reads it (and the late write must not land in the next test).
    deadline = time.monotonic() + 5
    while remote_segment(live_segment.segment_id).end_date == live_segment.end_date:
        assert time.monotonic() < deadline, "the delayed write never landed"
        time.sleep(0.05)
    previous_end = live_segment.end_date
    live_segment.refresh_from_db()
    assert live_segment.end_date == previous_end


def test_a_segment_gone_from_the_platform_is_reconciled(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    with remote.segment_api() as client:
        client.delete_segment(segment_id=live_segment.segment_id)
    response = op_client.post(url, {**fields, "preset": "7"}, headers=HTMX)
    assert "no longer has this segment" in response.text
    live_segment.refresh_from_db()
    assert live_segment.is_deleted


def test_a_change_made_in_the_desk_meanwhile_is_named_as_such(op_client, live_segment, synced):
    """A stale second tab was told the segment "was changed on the platform", when an
    operator (perhaps the same one) had just changed it in Segment Desk."""
    from django.test import Client

    from tests.conftest import make_user

    url = f"/segments/{live_segment.segment_id}/extend/"
    stale = open_form(op_client, url)
    other = Client()
    other.force_login(make_user("olga", "Operator"))
    other.post(url, {**open_form(other, url), "preset": "30"}, headers=HTMX)
    response = op_client.post(url, {**stale, "preset": "7"}, headers=HTMX)
    assert "Not applied: this segment was changed in Segment Desk by olga at" in response.text


def test_lost_update_guard_then_apply_again(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    new_end = (live_segment.end_date + timedelta(days=3)).isoformat()
    synced.store.touch_segment(live_segment.segment_id, endDate=new_end)
    response = op_client.post(url, {**fields, "preset": "7"}, headers=HTMX)
    assert "Not applied: this segment was changed on the platform" in response.text
    assert "Apply again" in response.text
    assert synced.requests.count("update_end_date") == 0
    live_segment.refresh_from_db()
    assert live_segment.end_date.isoformat() == new_end.replace("+00:00", "+00:00")
    again = form_fields(response.text)
    assert again["expected_updated"] != fields["expected_updated"]
    response = op_client.post(url, {**again, "preset": "7"}, headers=HTMX)
    assert "segments-changed" in response.headers["HX-Trigger"]
    assert remote_segment(live_segment.segment_id).end_date == live_segment.end_date + timedelta(
        days=7
    )


def test_a_double_submission_is_processed_once(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/extend/"
    fields = open_form(op_client, url)
    synced.requests.clear()
    op_client.post(url, {**fields, "preset": "7"}, headers=HTMX)
    second = op_client.post(url, {**fields, "preset": "7"}, headers=HTMX)
    assert "already submitted" in second.text
    assert synced.requests.count("update_end_date") == 1


def test_presets_of_an_expired_segment_count_from_now(op_client, synced):
    segment = Segment.objects.visible().filter(end_date__lt=timezone.now()).first()
    url = f"/segments/{segment.segment_id}/extend/"
    dialog = op_client.get(url, headers=HTMX).text
    assert "From now (the segment has ended)" in dialog
    before = timezone.now()
    response = op_client.post(url, {**form_fields(dialog), "preset": "7"}, headers=HTMX)
    assert "segments-changed" in response.headers["HX-Trigger"]
    new_end = remote_segment(segment.segment_id).end_date
    assert before + timedelta(days=7) <= new_end <= timezone.now() + timedelta(days=7)


def test_the_new_end_date_says_it_wants_a_day_and_a_time(op_client, live_segment):
    dialog = op_client.get(f"/segments/{live_segment.segment_id}/extend/", headers=HTMX).text
    assert re.search(
        r'<input [^>]*name="new_end_date"[^>]*aria-describedby="id_new_end_date_helptext"', dialog
    )
    assert (
        '<p class="hint" id="id_new_end_date_helptext">A day and a time, in your time zone.</p>'
        in dialog
    )
    detail = op_client.get(f"/segments/{live_segment.segment_id}/").text
    assert 'aria-describedby="detail-new-end-hint"' in detail
    assert (
        '<p class="hint" id="detail-new-end-hint">A day and a time, in your time zone.</p>'
        in detail
    )


def test_the_extend_page_opened_on_its_own_goes_to_the_segment_once_done(op_client, live_segment):
    """Not in a dialog over a table (a link opened in a new tab): a plain form, whose
    errors show on the page itself and which, once extended, goes to the segment's
    page with the new end date (not its form with the old one)."""
    url = f"/segments/{live_segment.segment_id}/extend/"
    page = op_client.get(url).text
    assert "hx-post" not in page.split('<form method="post" action="' + url)[1].split(">")[0]
    fields = {**form_fields(page), "new_end_date": "2001-01-01T10:00"}
    fields["next"] = re.search(r'name="next" value="([^"]*)"', page).group(1)
    refused = op_client.post(url, fields)
    assert refused.status_code == 200
    assert "must be in the future" in refused.text
    assert "HX-Trigger" not in refused.headers  # no dialog opened over the page
    fields = {**fields, **form_fields(refused.text), "new_end_date": "", "preset": "7"}
    sent = op_client.post(url, fields)
    assert sent.status_code == 302
    assert sent["Location"] == f"/segments/{live_segment.segment_id}/"
    shown = op_client.get(sent["Location"]).text
    live_segment.refresh_from_db()
    assert "moved to" in shown
    assert live_segment.end_date.strftime("%d %b %Y") in shown
