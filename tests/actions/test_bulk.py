"""Bulk extends and deletes through the views."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from segments.models import BulkRun, Segment
from tests.actions.support import HTMX, confirm_token, remote_segment

pytestmark = pytest.mark.django_db


def test_bulk_extend_of_a_filter_with_one_failure_then_retry(op_client, synced):
    query = "ends=within&within_days=60"
    expected = Segment.objects.visible().filter(
        end_date__gte=timezone.now(), end_date__lte=timezone.now() + timedelta(days=60)
    )
    total = expected.count()
    assert total > 3
    dialog = op_client.post(
        "/segments/bulk/", {"intent": "extend-filter", "query": query}, headers=HTMX
    )
    assert f"Extend {total} segments" in dialog.text
    run = BulkRun.objects.get()
    synced.faults.set("update_end_date", status=500, times=1)
    response = op_client.post(
        f"/bulk/{run.pk}/confirm/",
        {"form_token": confirm_token(dialog.text), "days": "30"},
        headers=HTMX,
    )
    assert response.headers["HX-Redirect"] == f"/bulk/{run.pk}/"
    report = op_client.get(f"/bulk/{run.pk}/").text
    assert f"Finished: {total - 1} done" in report
    assert "1 failed" in report
    assert "Retry the 1 failed" in report
    retry = op_client.post(f"/bulk/{run.pk}/retry/", headers=HTMX)
    retry_run = BulkRun.objects.get(retry_of=run)
    assert retry.headers["HX-Redirect"] == f"/bulk/{retry_run.pk}/"
    assert "Finished: 1 done" in op_client.get(f"/bulk/{retry_run.pk}/").text
    for segment in Segment.objects.filter(segment_id__in=run.segment_ids):
        assert remote_segment(segment.segment_id).end_date == segment.end_date
    # The run now links to its retry and offers none again; a second retry (another
    # tab, a stale page) sends nothing and leads to the first.
    report = op_client.get(f"/bulk/{run.pk}/").text
    assert f'retried as <a href="/bulk/{retry_run.pk}/">run {retry_run.pk}</a>' in report
    assert "Retry the" not in report
    sent = synced.requests.count("update_end_date")
    again = op_client.post(f"/bulk/{run.pk}/retry/", headers=HTMX)
    assert again.headers["HX-Redirect"] == f"/bulk/{retry_run.pk}/"
    assert BulkRun.objects.filter(retry_of=run).count() == 1
    assert synced.requests.count("update_end_date") == sent
    assert f"already retried as run {retry_run.pk}" in op_client.get(f"/bulk/{retry_run.pk}/").text


def test_bulk_delete_needs_the_exact_count(op_client, synced):
    ids = list(Segment.objects.visible().values_list("segment_id", flat=True)[:3])
    dialog = op_client.post(
        "/segments/bulk/", {"intent": "delete-selected", "selected": ids}, headers=HTMX
    )
    run = BulkRun.objects.get()
    wrong = op_client.post(
        f"/bulk/{run.pk}/confirm/",
        {"form_token": confirm_token(dialog.text), "confirm_count": "2"},
        headers=HTMX,
    )
    assert "Type 3 to delete 3 segments" in wrong.text
    assert synced.requests.count("delete_segment") == 0
    right = op_client.post(
        f"/bulk/{run.pk}/confirm/",
        {"form_token": confirm_token(wrong.text), "confirm_count": "3"},
        headers=HTMX,
    )
    assert right.status_code == 200
    assert Segment.objects.filter(segment_id__in=ids, is_deleted=True).count() == 3


def test_an_unconfirmed_bulk_run_says_nothing_was_done(op_client, synced):
    ids = list(Segment.objects.visible().values_list("segment_id", flat=True)[:2])
    op_client.post("/segments/bulk/", {"intent": "extend-selected", "selected": ids}, headers=HTMX)
    page = op_client.get(f"/bulk/{BulkRun.objects.get().pk}/").text
    assert "Not confirmed: nothing was done." in page
    assert 'hx-trigger="every 1s"' not in page


def test_a_bulk_run_whose_worker_stopped_is_resumed_by_the_schedule(op_client, synced, operator):
    from segments.tasks import bulk_runs_resume

    ids = list(
        Segment.objects.visible()
        .filter(end_date__gt=timezone.now())
        .values_list("segment_id", flat=True)[:3]
    )
    long_ago = timezone.now() - timedelta(hours=1)
    run = BulkRun.objects.create(
        action="extend",
        created_by=operator,
        segment_ids=ids,
        total=3,
        params={"days": 7},
        confirmed_at=long_ago,
        confirmed_by=operator,
        started_at=long_ago,
    )
    page = op_client.get(f"/bulk/{run.pk}/").text
    assert "Running… 0 of 3" in page
    assert 'hx-trigger="every 1s"' in page
    assert bulk_runs_resume.enqueue().return_value == [run.pk]
    assert "Finished: 3 done" in op_client.get(f"/bulk/{run.pk}/").text
    assert set(run.events.values_list("username", flat=True)) == {operator.username}


def test_a_running_bulk_run_cannot_be_retried(op_client, synced):
    run = BulkRun.objects.create(
        action="extend", segment_ids=[1], total=1, started_at=timezone.now()
    )
    assert op_client.post(f"/bulk/{run.pk}/retry/").status_code == 409


@pytest.mark.usefixtures("undo_window")
def test_a_bulk_extend_sends_nothing_for_a_segment_being_deleted(op_client, synced, operator):
    from segments.services.audit import Actor
    from segments.services.deletes import segment_delete_schedule

    live = Segment.objects.visible().filter(end_date__gt=timezone.now() + timedelta(days=1))
    ids = list(live.order_by("segment_id").values_list("segment_id", flat=True)[:3])
    dialog = op_client.post(
        "/segments/bulk/", {"intent": "extend-selected", "selected": ids}, headers=HTMX
    )
    assert "being deleted already" not in dialog.text
    run = BulkRun.objects.get()
    # Between the dialog and the confirmation another operator deletes one of them.
    deleting = ids[1]
    before = remote_segment(deleting).end_date
    scheduled = segment_delete_schedule(
        actor=Actor(user=operator), segment_id=deleting, expected_updated=None
    )
    assert scheduled.ok
    op_client.post(
        f"/bulk/{run.pk}/confirm/",
        {"form_token": confirm_token(dialog.text), "days": "30"},
        headers=HTMX,
    )
    report = op_client.get(f"/bulk/{run.pk}/").text
    assert "Finished: 2 done, 1 refused" in report
    assert "This segment is being deleted: undo the delete first" in report
    assert "Refused (1)" in report  # by the desk: not "by the platform"
    assert synced.requests.count("update_end_date") == 2
    assert remote_segment(deleting).end_date == before


def test_each_rows_box_names_its_segment(op_client, synced):
    """A screen reader going down the boxes hears which segment each one selects."""
    page = op_client.get("/segments/").text
    boxes = re.findall(r'name="selected" value="(\d+)" aria-label="Select ([^"]+)"', page)
    assert len(boxes) == 25
    names = dict(
        Segment.objects.filter(pk__in=[int(i) for i, _ in boxes]).values_list("pk", "name")
    )
    assert all(html.unescape(label) == names[int(i)] for i, label in boxes)
