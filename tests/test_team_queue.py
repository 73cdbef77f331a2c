"""The team's queue and review control: several queue items at once, clearing a review."""

from __future__ import annotations

import re

from segments.models import AuditEvent, Review

HTMX = {"HX-Request": "true"}


def queue_ids(html: str) -> list[int]:
    table = html.split('id="attention-queue"')[1].split("</table>")[0]
    return [int(i) for i in re.findall(r'<tr id="queue-(\d+)"', table)]


def test_three_queue_items_acknowledged_at_once_each_audited(op_client, synced):
    first_three = queue_ids(op_client.get("/").text)[:3]
    assert len(first_three) == 3
    response = op_client.post(
        "/queue/review/", {"state": "acknowledged", "selected": first_three}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.text
    assert 'id="queue"' in html  # the queue partial, refreshed
    assert "3 segments: Acknowledged." in html
    assert not set(first_three) & set(queue_ids(html))
    states = dict(Review.objects.values_list("segment_id", "state"))
    assert states == dict.fromkeys(first_three, "acknowledged")
    audited = AuditEvent.objects.filter(action="review", segment_id__in=first_three)
    assert sorted(audited.values_list("segment_id", flat=True)) == sorted(first_three)
    # From a stale tab: said as it is, and nothing audited twice.
    again = op_client.post(
        "/queue/review/", {"state": "acknowledged", "selected": first_three}, headers=HTMX
    )
    assert "3 segments: already acknowledged, nothing changed." in again.text
    assert audited.count() == 3


def test_the_queue_refuses_unknown_segments_and_an_empty_selection(op_client, synced):
    response = op_client.post("/queue/review/", {"state": "resolved"}, headers=HTMX)
    assert "Select at least one segment." in response.text
    response = op_client.post(
        "/queue/review/", {"state": "resolved", "selected": ["999999999", "x"]}, headers=HTMX
    )
    assert response.status_code == 200
    assert "is not one of the available choices" in response.text
    assert not Review.objects.exists()
    # Without HTMX: back to the overview.
    assert op_client.post("/queue/review/", {"state": "resolved"}).status_code == 302


def test_a_viewer_cannot_act_on_the_queue(client, viewer, synced):
    client.force_login(viewer)
    some = queue_ids(client.get("/").text)
    assert some  # the viewer sees the queue, without checkboxes
    assert 'form="queue-form"' not in client.get("/").text
    response = client.post("/queue/review/", {"state": "resolved", "selected": some[:1]})
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_the_review_control_shows_the_current_state_and_can_clear_it(op_client, synced):
    segment_id = queue_ids(op_client.get("/").text)[0]
    url = f"/segments/{segment_id}/"
    selected = re.compile(r'<option value="([a-z_]*)" selected>')
    assert selected.findall(op_client.get(url).text) == [""]  # "Not reviewed"
    op_client.post(f"{url}review/", {"state": "needs_attention"}, headers=HTMX)
    assert selected.findall(op_client.get(url).text) == ["needs_attention"]

    response = op_client.post(f"{url}review/", {"state": ""}, headers=HTMX)
    assert "Not reviewed yet." in response.text
    assert not Review.objects.filter(segment_id=segment_id).exists()
    cleared = AuditEvent.objects.filter(action="review", segment_id=segment_id).first()
    assert cleared.message == "Review state cleared: not reviewed."
    assert cleared.before == {"review": "Needs attention"}
    # Clearing what is not set changes and audits nothing.
    op_client.post(f"{url}review/", {"state": ""}, headers=HTMX)
    assert AuditEvent.objects.filter(action="review", segment_id=segment_id).count() == 2
