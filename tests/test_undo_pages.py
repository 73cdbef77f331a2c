"""Delete with undo through the pages: the dialog, the row, the detail page, Undo."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from segments.models import AuditEvent, BulkRun, ScheduledDelete, Segment
from segments.services.deletes import scheduled_deletes_run_due
from tests.actions.support import HTMX, form_fields
from tests.conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("undo_window")]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def live(synced):
    return (
        Segment.objects.visible()
        .filter(end_date__gt=timezone.now() + timedelta(days=1))
        .order_by("segment_id")
        .first()
    )


def confirm_delete(client, segment) -> str:
    url = f"/segments/{segment.segment_id}/delete/"
    dialog = client.get(url, headers=HTMX).text
    assert "can undo it" in dialog
    fields = form_fields(dialog)
    return client.post(url, {**fields, "confirm_name": segment.name}, headers=HTMX)


def test_delete_waits_shows_a_countdown_and_is_undone_by_another_operator(synced, live):
    ann = logged_in(make_user("ann", "Operator"))
    response = confirm_delete(ann, live)
    assert "segments-changed" in response.headers["HX-Trigger"]
    scheduled = ScheduledDelete.objects.get(segment_id=live.segment_id)
    assert synced.requests.count("delete_segment") == 0
    # The row and the detail page say so, with Undo.
    table = ann.get(f"/segments/?q={live.segment_id}", headers=HTMX).text
    assert "Deleting in" in table
    assert f"/deletes/{scheduled.pk}/undo/" in table
    detail = ann.get(f"/segments/{live.segment_id}/").text
    assert "Deleting in" in detail
    assert "Delete…" not in detail
    # Nor is it extended meanwhile: the page says why, and to undo first.
    assert 'id="detail-new-end"' not in detail
    assert "This segment is being deleted: undo the delete first, then extend it." in detail
    extend = f"/segments/{live.segment_id}/extend/"
    fields = form_fields(ann.get(extend, headers=HTMX).text)
    refused = ann.post(extend, {**fields, "preset": "30"}, headers=HTMX)
    assert "This segment is being deleted: undo the delete first" in refused.text
    assert synced.requests.count("update_end_date") == 0
    # Once it is being sent, there is no undo to offer.
    ScheduledDelete.objects.filter(pk=scheduled.pk).update(state=ScheduledDelete.State.RUNNING)
    fields = form_fields(ann.get(extend, headers=HTMX).text)
    refused = ann.post(extend, {**fields, "preset": "30"}, headers=HTMX)
    assert "This segment is being deleted on the platform now." in refused.text
    ScheduledDelete.objects.filter(pk=scheduled.pk).update(state=ScheduledDelete.State.PENDING)
    # A viewer cannot undo; another operator can.
    vera = logged_in(make_user("vera", "Viewer"))
    assert vera.post(f"/deletes/{scheduled.pk}/undo/").status_code == 403
    bob = logged_in(make_user("bob", "Operator"))
    undone = bob.post(f"/deletes/{scheduled.pk}/undo/", headers=HTMX)
    assert undone.status_code == 200
    assert "undone: nothing was sent" in undone.text
    assert AuditEvent.objects.get(action="undo_delete").username == "bob"
    scheduled_deletes_run_due(now=scheduled.deadline + timedelta(seconds=1))
    assert synced.requests.count("delete_segment") == 0
    assert "Deleting in" not in ann.get(f"/segments/{live.segment_id}/").text
    # Undo twice (a stale tab): it says what is true.
    again = bob.post(f"/deletes/{scheduled.pk}/undo/", follow=True).text
    assert f"The delete of “{live.name}” was undone already, by you: nothing was sent." in again
    assert "Too late" not in again
    from_ann = ann.post(f"/deletes/{scheduled.pk}/undo/", follow=True).text
    assert "was undone already, by bob: nothing was sent." in from_ann
    # Once sent, it is too late, said plainly.
    ScheduledDelete.objects.filter(pk=scheduled.pk).update(state=ScheduledDelete.State.DONE)
    late = bob.post(f"/deletes/{scheduled.pk}/undo/", follow=True).text
    assert f"Too late to undo: the delete of “{live.name}” is deleted." in late


def test_bulk_delete_with_undo_all(synced):
    ann = logged_in(make_user("ann", "Operator"))
    ids = list(Segment.objects.visible().order_by("segment_id").values_list("pk", flat=True)[:3])
    prepared = ann.post(
        "/segments/bulk/",
        {"intent": "delete-selected", "selected": [str(i) for i in ids]},
        headers=HTMX,
    )
    # The confirmation says that the deletes wait, and where to undo them.
    assert "Each is deleted on the platform in 5 minutes" in prepared.text
    assert "undo them on the run's page" in prepared.text
    token = form_fields(prepared.text)["form_token"]
    run = BulkRun.objects.get()
    ann.post(f"/bulk/{run.pk}/confirm/", {"form_token": token, "confirm_count": "3"}, headers=HTMX)
    page = ann.get(f"/bulk/{run.pk}/").text
    assert "3 deletes waiting" in page
    # The report says they wait, not that they are done.
    assert "Finished: 3 waiting to be deleted" in page
    assert "Waiting to be deleted (3)" in page
    assert "Done (" not in page
    undone = ann.post(f"/bulk/{run.pk}/undo/", follow=True).text
    assert "3 deletes undone" in undone
    page = ann.get(f"/bulk/{run.pk}/").text
    assert "Finished: 3 undone" in page
    assert "Undone: nothing was sent (3)" in page
    # Undo all again (a stale tab): nothing was sent, and it says so.
    again = ann.post(f"/bulk/{run.pk}/undo/", follow=True).text
    assert "Nothing left to undo: 3 undone." in again
    assert scheduled_deletes_run_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert synced.requests.count("delete_segment") == 0
    assert not Segment.objects.filter(pk__in=ids, is_deleted=True).exists()


def test_a_bulk_delete_accounts_for_a_segment_already_being_deleted(synced, live):
    ann = logged_in(make_user("ann", "Operator"))
    confirm_delete(ann, live)  # deleted on its own first, waiting out its window
    other = Segment.objects.visible().exclude(pk=live.pk).order_by("segment_id").first()
    # Its row's box cannot be ticked any more (a stale tab, or "all matching", still can).
    for segment, disabled in ((live, True), (other, False)):
        table = ann.get("/segments/", {"q": str(segment.pk)}).text
        box = rf'<input type="checkbox"[^>]*name="selected" value="{segment.pk}"[^>]*>'
        assert re.search(box, table).group(0).endswith(" disabled>") == disabled
    ids = [live.pk, other.pk]
    prepared = ann.post(
        "/segments/bulk/",
        {"intent": "delete-selected", "selected": [str(i) for i in ids]},
        headers=HTMX,
    )
    # The confirmation says so before anything is done, and words the rest for one.
    assert "1 of them is being deleted already: it is left alone" in prepared.text
    assert "What follows is of the other 1." in prepared.text
    assert "It is deleted on the platform in 5 minutes" in prepared.text
    assert "Each is deleted" not in prepared.text
    # The title, the number typed and the button are of what would be sent.
    assert "Delete 1 segment from the platform?" in prepared.text
    assert "Type <strong>1</strong> to delete 1 segment</label>" in prepared.text
    assert ">Delete 1</button>" in prepared.text
    token = form_fields(prepared.text)["form_token"]
    run = BulkRun.objects.get()
    whole = {"form_token": token, "confirm_count": "2"}
    refused = ann.post(f"/bulk/{run.pk}/confirm/", whole, headers=HTMX).text
    assert "Type 1 to delete 1 segment: nothing was deleted." in refused
    assert ScheduledDelete.objects.filter(bulk_run=run).count() == 0
    ann.post(f"/bulk/{run.pk}/confirm/", {**whole, "confirm_count": "1"}, headers=HTMX)
    page = ann.get(f"/bulk/{run.pk}/").text
    # Accounted for, as what it is: not silently left out, not a refusal to fix.
    assert "Finished: 1 had a delete scheduled already, 1 waiting to be deleted" in page
    assert "Had a delete scheduled already: nothing more was scheduled (1)" in page
    assert "Refused" not in page
    assert f"A delete of “{live.name}” is already scheduled: nothing more was scheduled." in page
    assert ScheduledDelete.objects.filter(segment_id=live.pk).count() == 1
    assert ScheduledDelete.objects.filter(bulk_run=run).count() == 1


def test_a_bulk_delete_of_one_segment_is_worded_for_one(synced, live):
    ann = logged_in(make_user("ann", "Operator"))
    prepared = ann.post(
        "/segments/bulk/", {"intent": "delete-selected", "selected": [str(live.pk)]}, headers=HTMX
    ).text
    assert "This applies to exactly <strong>1</strong> segment:" in prepared
    assert "starting with" not in prepared
    assert "It is deleted on the platform in 5 minutes" in prepared
    token = form_fields(prepared)["form_token"]
    run = BulkRun.objects.get()
    ann.post(f"/bulk/{run.pk}/confirm/", {"form_token": token, "confirm_count": "1"}, headers=HTMX)
    page = ann.get(f"/bulk/{run.pk}/").text
    assert "1 delete waiting: in <span" in page
    assert ">Undo it</button>" in page


def test_a_bulk_delete_of_segments_all_being_deleted_offers_nothing_to_confirm(synced, live):
    ann = logged_in(make_user("ann", "Operator"))
    confirm_delete(ann, live)
    prepared = ann.post(
        "/segments/bulk/", {"intent": "delete-selected", "selected": [str(live.pk)]}, headers=HTMX
    ).text
    assert "It is being deleted already: nothing would be sent." in prepared
    assert "It is deleted on the platform in" not in prepared
    assert 'name="confirm_count"' not in prepared
    assert "autofocus>Close</a>" in prepared
