"""Assignment: one segment from its team panel, many from the queue, the "assigned"
filter, the header's "Assigned to me" count, the permissions and the audit trail."""

from __future__ import annotations

import re

import pytest

from segments.models import Assignment, AuditEvent, Review, Segment
from segments.services.assignment import assignment_set, assignments_set
from segments.services.audit import Actor
from segments.services.review import SegmentDeleted, review_clear, review_set, reviews_set
from segments.team_views import _changed_text
from tests.conftest import make_user
from tests.test_team_queue import HTMX, queue_ids


def header_count(html: str) -> int:
    found = re.search(r'id="assigned-to-me"[^>]*>Assigned to me: <span class="badge">(\d+)<', html)
    assert found, "no 'Assigned to me' count in the header"
    return int(found.group(1))


def table_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="segment-(\d+)"', html)}


def test_assigned_from_the_team_panel_then_to_nobody_each_audited(op_client, operator, synced):
    segment_id = queue_ids(op_client.get("/").text)[0]
    url = f"/segments/{segment_id}/"
    response = op_client.post(f"{url}assign/", {"assignee": operator.pk}, headers=HTMX)
    assert response.status_code == 200
    assert "<strong>otto</strong> — assigned by otto" in response.text
    assert 'data-focus="assignee"' in response.text
    assert "Assigned to otto." in response.text  # the message, out of band
    assert header_count(response.text) == 1  # the header's count, out of band
    assert Assignment.objects.get(segment_id=segment_id).assignee == operator

    # Assigning as it is changes and audits nothing; to nobody clears it.
    op_client.post(f"{url}assign/", {"assignee": operator.pk}, headers=HTMX)
    response = op_client.post(f"{url}assign/", {"assignee": ""})
    assert response.status_code == 302
    assert not Assignment.objects.exists()
    events = AuditEvent.objects.filter(action="assign", segment_id=segment_id).order_by("at")
    assert [(e.before, e.after) for e in events] == [
        ({"assignee": None}, {"assignee": "otto"}),
        ({"assignee": "otto"}, {"assignee": None}),
    ]
    assert [e.message for e in events] == ["Assigned to otto.", "Unassigned (was otto)."]
    assert "Nobody." in op_client.get(url).text


def test_only_operators_can_be_assigned(op_client, viewer, synced):
    segment_id = queue_ids(op_client.get("/").text)[0]
    page = op_client.get(f"/segments/{segment_id}/").text
    assert f'<option value="{viewer.pk}"' not in page
    response = op_client.post(
        f"/segments/{segment_id}/assign/", {"assignee": viewer.pk}, headers=HTMX
    )
    assert "Assign to an operator of the desk, or to nobody." in response.text
    assert not Assignment.objects.exists()
    assert not AuditEvent.objects.filter(action="assign").exists()


def test_three_queue_items_assigned_at_once_then_filtered_and_counted(op_client, operator, synced):
    first_three = queue_ids(op_client.get("/").text)[:3]
    colleague = make_user("olga", "Operator")
    Assignment.objects.create(segment_id=first_three[0], assignee=colleague)
    response = op_client.post(
        "/queue/assign/", {"assignee": operator.pk, "selected": first_three}, headers=HTMX
    )
    assert response.status_code == 200
    assert "3 segments: assigned to otto." in response.text
    assert header_count(response.text) == 3
    # Still in the queue (assigned is not acknowledged), now showing their assignee.
    assert set(first_three) <= set(queue_ids(response.text))
    assert re.search(rf'<tr id="queue-{first_three[1]}">.*?<td>otto</td></tr>', response.text, re.S)
    owners = dict(Assignment.objects.values_list("segment_id", "assignee__username"))
    assert owners == dict.fromkeys(first_three, "otto")
    audited = AuditEvent.objects.filter(action="assign").order_by("segment_id")
    assert [e.segment_id for e in audited] == sorted(first_three)
    assert AuditEvent.objects.get(segment_id=first_three[0]).before == {"assignee": "olga"}

    mine = table_ids(op_client.get("/segments/", {"assigned": "me", "per_page": 100}).text)
    assert mine == set(first_three)
    nobody = op_client.get("/segments/", {"assigned": "nobody", "per_page": 100}).text
    assert not table_ids(nobody) & mine
    anyone = table_ids(op_client.get("/segments/", {"assigned": "anyone"}).text)
    assert anyone == mine
    assert header_count(op_client.get("/segments/").text) == 3

    # Another operator has none; a deleted segment is not counted.
    Segment.objects.filter(segment_id=first_three[2]).update(is_deleted=True)
    assert header_count(op_client.get("/").text) == 2
    op_client.force_login(colleague)
    assert header_count(op_client.get("/").text) == 0
    assert not table_ids(op_client.get("/segments/?assigned=me").text)


def test_unassigned_from_the_queue_and_unknown_segments_refused(op_client, operator, synced):
    ids = queue_ids(op_client.get("/").text)[:2]
    for segment_id in ids:
        Assignment.objects.create(segment_id=segment_id, assignee=operator)
    response = op_client.post("/queue/assign/", {"assignee": "", "selected": ids}, headers=HTMX)
    assert "2 segments: assigned to nobody." in response.text
    assert not Assignment.objects.exists()
    # Asked again, or with some already so: said as it is.
    again = op_client.post("/queue/assign/", {"assignee": "", "selected": ids}, headers=HTMX)
    assert "2 segments: already assigned to nobody, nothing changed." in again.text
    Assignment.objects.create(segment_id=ids[0], assignee=operator)
    some = op_client.post(
        "/queue/assign/", {"assignee": operator.pk, "selected": ids}, headers=HTMX
    )
    assert "1 segment: assigned to otto. 1 segment already was." in some.text
    Assignment.objects.all().delete()
    response = op_client.post(
        "/queue/assign/", {"assignee": operator.pk, "selected": ["999999999"]}, headers=HTMX
    )
    assert "is not one of the available choices" in response.text
    response = op_client.post("/queue/assign/", {"assignee": operator.pk})
    assert response.status_code == 302  # without HTMX: back to the overview
    assert "Select at least one segment." in op_client.get("/").text
    assert not Assignment.objects.exists()


def test_a_viewer_sees_assignments_but_cannot_assign(client, viewer, operator, synced):
    client.force_login(viewer)
    segment_id = queue_ids(client.get("/").text)[0]
    Assignment.objects.create(segment_id=segment_id, assignee=operator)
    page = client.get(f"/segments/{segment_id}/").text
    assert "<strong>otto</strong>" in page
    assert 'name="assignee"' not in page
    assert 'id="assigned-to-me"' not in page  # nothing assigned to a viewer: no count
    for path, data in (
        (f"/segments/{segment_id}/assign/", {"assignee": viewer.pk}),
        ("/queue/assign/", {"assignee": viewer.pk, "selected": [segment_id]}),
    ):
        assert client.post(path, data).status_code == 403
    assert Assignment.objects.get().assignee == operator
    assert not AuditEvent.objects.filter(action="assign").exists()


def test_anonymous_is_sent_to_log_in(client, operator, synced):
    segment_id = Segment.objects.visible().values_list("segment_id", flat=True).first()
    for path in (f"/segments/{segment_id}/assign/", "/queue/assign/"):
        response = client.post(path, {"assignee": operator.pk, "selected": [segment_id]})
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    assert not Assignment.objects.exists()


def test_a_deleted_segment_is_neither_reviewed_nor_assigned(op_client, operator, synced):
    segment = Segment.objects.visible().first()
    Segment.objects.filter(pk=segment.pk).update(is_deleted=True)
    page = op_client.get(f"/segments/{segment.pk}/").text
    assert f"/segments/{segment.pk}/assign/" not in page
    assert f"/segments/{segment.pk}/review/" not in page
    assert 'class="note-form"' in page  # notes stay, for the record
    for url, data in (("assign", {"assignee": operator.pk}), ("review", {"state": "acknowledged"})):
        refused = op_client.post(f"/segments/{segment.pk}/{url}/", data, headers=HTMX)
        assert "This segment was deleted on the platform: it is no longer reviewed" in refused.text
    # The services refuse it themselves (a queue's choice made before it was deleted).
    actor, live = Actor(user=operator), Segment.objects.visible().first().pk
    with pytest.raises(SegmentDeleted):
        review_set(actor=actor, segment_id=segment.pk, state=Review.State.RESOLVED)
    with pytest.raises(SegmentDeleted):
        review_clear(actor=actor, segment_id=segment.pk)
    with pytest.raises(SegmentDeleted):
        assignment_set(actor=actor, segment_id=segment.pk, assignee=operator)
    assert assignments_set(actor=actor, segment_ids=[segment.pk, live], assignee=operator) == [live]
    assert reviews_set(actor=actor, segment_ids=[segment.pk, live], state="resolved") == [live]
    assert list(Assignment.objects.values_list("segment_id", flat=True)) == [live]
    # The queue's message counts such a segment as what it is, not as "already was".
    said = _changed_text([segment.pk, live], [live], "Acknowledged")
    assert (
        said == "1 segment: Acknowledged. 1 segment deleted on the platform meanwhile: left alone."
    )
    assert _changed_text([segment.pk], [], "Acknowledged").startswith("Nothing changed. 1 segment")
    assert not Review.objects.filter(segment_id=segment.pk).exists()
    assert not AuditEvent.objects.filter(segment_id=segment.pk).exists()


def test_a_review_or_assignment_made_since_the_page_loaded_is_not_undone(
    op_client, operator, synced
):
    segment = Segment.objects.visible().first()
    url = f"/segments/{segment.pk}/"
    page = op_client.get(url).text  # as otto's tab shows it: not reviewed, nobody
    assert page.count('<input type="hidden" name="seen" value="none">') == 2
    ada = make_user("ada", "Admin")
    review_set(actor=Actor(user=ada), segment_id=segment.pk, state=Review.State.RESOLVED)
    assignment_set(actor=Actor(user=ada), segment_id=segment.pk, assignee=ada)

    stale = {"state": "needs_attention", "seen": "none"}
    refused = op_client.post(f"{url}review/", stale, headers=HTMX).text
    assert "Not changed: ada set the review state to Resolved since this page was loaded" in refused
    assert 'name="seen" value="resolved"' in refused  # the panel as it is now
    taken = op_client.post(f"{url}assign/", {"assignee": operator.pk, "seen": "none"}, headers=HTMX)
    assert "Not changed: ada assigned it to ada since this page was loaded" in taken.text
    assert Review.objects.get(segment_id=segment.pk).state == Review.State.RESOLVED
    assert Assignment.objects.get(segment_id=segment.pk).assignee == ada
    # Chosen again from what the page now shows, it is done (a stale tab of one's own
    # is refused alike).
    again = op_client.post(f"{url}review/", {**stale, "seen": "resolved"}, headers=HTMX).text
    assert "Review state set to Needs attention." in again
    mine = {"assignee": operator.pk, "seen": str(ada.pk)}
    assert "Assigned to otto." in op_client.post(f"{url}assign/", mine, headers=HTMX).text
    cleared = op_client.post(f"{url}review/", {"state": "", "seen": "resolved"}, headers=HTMX)
    assert (
        "Not changed: you, in another tab or window, set the review state to Needs attention"
        in cleared.text
    )
