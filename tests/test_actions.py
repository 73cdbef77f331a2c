"""Operator actions through the views, against the sandbox over HTTP, with
every failure produced by the sandbox's fault injection."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from segments import remote
from segments.models import Audience, AuditEvent, BulkRun, Segment
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


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
    now = timezone.now()
    return Segment.objects.create(
        segment_id=555,
        record_id=555,
        name="Local only",
        platform_id=1,
        auto_extend=False,
        active=True,
        is_recurring=False,
        is_system_generated=False,
        country=276,
        start_date=now - timedelta(days=10),
        end_date=now + timedelta(days=10),
        status="Active",
        status_id=1,
        total_log_count=1,
        total_pending_count=0,
        total_upload_count=0,
        total_segment_upload_count=0,
        created=now,
        updated=now,
    )


def remote_segment(segment_id):
    with remote.segment_api() as client:
        return client.segment(segment_id=segment_id)


def form_fields(html: str) -> dict:
    return {
        name: value
        for name, value in re.findall(r'name="(form_token|expected_updated)" value="([^"]*)"', html)
    }


def open_form(client, url) -> dict:
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    return form_fields(response.text)


# --- extend --------------------------------------------------------------------


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
        ({"status": 409}, "being changed by another operation", "conflict"),
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


# --- delete --------------------------------------------------------------------


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
    assert AuditEvent.objects.get(action="delete").outcome == "done"


def test_delete_of_an_already_gone_segment_reconciles(op_client, live_segment, synced):
    url = f"/segments/{live_segment.segment_id}/delete/"
    fields = open_form(op_client, url)
    synced.faults.set("delete_segment", status=404)
    response = op_client.post(url, {**fields, "confirm_name": live_segment.name}, headers=HTMX)
    assert "already deleted" in response.text
    live_segment.refresh_from_db()
    assert live_segment.is_deleted
    assert AuditEvent.objects.get(action="delete").outcome == "not_found"


# --- bulk ------------------------------------------------------------------------


def confirm_token(html: str) -> str:
    return form_fields(html)["form_token"]


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


# --- create and activate --------------------------------------------------------


def test_create_crm_audience(op_client, synced):
    fields = open_form(op_client, "/audiences/new/")
    response = op_client.post(
        "/audiences/new/",
        {**fields, "name": "CRM Winback 2027", "description": "", "campaign_id": "302"},
        headers=HTMX,
    )
    target = response.headers["HX-Redirect"]
    assert "CRM Winback 2027" in op_client.get(target).text


def test_activate_audience_on_an_account(op_client, synced):
    from segments.models import Account

    account = Account.objects.first()
    fields = open_form(op_client, "/audiences/1001/activate/")
    start = timezone.localtime() + timedelta(hours=1)
    response = op_client.post(
        "/audiences/1001/activate/",
        {
            **fields,
            "account": account.id,
            "name": "Lapsed buyers – activation",
            "description": "From Segment Desk",
            "start_date": start.strftime("%Y-%m-%dT%H:%M"),
            "end_date": (start + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        },
        headers=HTMX,
    )
    segment = Segment.objects.get(name="Lapsed buyers – activation")
    assert response.headers["HX-Redirect"] == f"/segments/{segment.segment_id}/"
    assert remote_segment(segment.segment_id).account_id == account.id


def test_activate_refuses_an_end_before_the_start(op_client, synced):
    fields = open_form(op_client, "/audiences/1001/activate/")
    response = op_client.post(
        "/audiences/1001/activate/",
        {
            **fields,
            "account": "201",
            "name": "x",
            "start_date": "2030-01-02T00:00",
            "end_date": "2030-01-01T00:00",
        },
        headers=HTMX,
    )
    assert "must be after the start date" in response.text
    assert synced.requests.count("activate_audience") == 0


# --- roles and CSRF ---------------------------------------------------------------


WRITE_URLS = [
    ("post", "/segments/{sid}/extend/"),
    ("get", "/segments/{sid}/extend/"),
    ("post", "/segments/{sid}/delete/"),
    ("get", "/segments/{sid}/delete/"),
    ("post", "/segments/{sid}/review/"),
    ("post", "/segments/{sid}/notes/"),
    ("post", "/segments/bulk/"),
    ("post", "/bulk/{run}/confirm/"),
    ("post", "/bulk/{run}/retry/"),
    ("post", "/audiences/new/"),
    ("get", "/audiences/new/"),
    ("post", "/audiences/1001/activate/"),
    ("get", "/audiences/1001/activate/"),
]
ALLOWED_STATUS = {
    ("post", "/segments/{sid}/review/"): 302,
    ("post", "/segments/{sid}/notes/"): 302,
    ("post", "/segments/bulk/"): 400,
    ("post", "/bulk/{run}/retry/"): 302,
}


@pytest.mark.parametrize(("method", "url"), WRITE_URLS)
@pytest.mark.parametrize(
    ("role", "allowed"),
    [(None, False), ("Viewer", False), ("Operator", True), ("Admin", True)],
)
def test_every_write_url_by_role(
    client, remote_settings, local_segment, method, url, role, allowed
):
    run = BulkRun.objects.create(
        action="extend", segment_ids=[], started_at=timezone.now(), finished_at=timezone.now()
    )
    user = make_user(f"user-{role}", role)
    client.force_login(user)
    # Prepared by the user (only the preparer may confirm a run: issue 7).
    prepared = BulkRun.objects.create(action="extend", segment_ids=[], created_by=user)
    Audience.objects.create(id=1001, type="segment", name="Local audience")
    run_id = prepared.pk if url.endswith("/confirm/") else run.pk
    response = getattr(client, method)(url.format(sid=local_segment.segment_id, run=run_id))
    if allowed:
        # An empty form: shown again with its errors, or refused as incomplete.
        assert response.status_code == ALLOWED_STATUS.get((method, url), 200)
    else:
        assert response.status_code == 403


def test_anonymous_writes_go_to_login(client, local_segment):
    response = client.post(f"/segments/{local_segment.segment_id}/extend/")
    assert response.status_code == 302
    assert "/login/" in response.url


@pytest.mark.parametrize(("method", "url"), [u for u in WRITE_URLS if u[0] == "post"])
def test_a_write_without_csrf_token_is_refused(
    operator, local_segment, remote_settings, sandbox, method, url
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    run = BulkRun.objects.create(
        action="extend", segment_ids=[], started_at=timezone.now(), finished_at=timezone.now()
    )
    response = client.post(url.format(sid=local_segment.segment_id, run=run.pk), headers=HTMX)
    assert response.status_code == 403
    assert sum(sandbox.requests.counts().values()) == 0


def test_a_viewer_sees_no_action_controls(viewer_client, live_segment):
    table = viewer_client.get("/segments/").text
    detail = viewer_client.get(f"/segments/{live_segment.segment_id}/").text
    audiences = viewer_client.get("/audiences/1001/").text
    for page in (table, detail, audiences):
        assert "/extend/" not in page
        assert "/delete/" not in page
        assert "bulk-form" not in page
        assert "/activate/" not in page
    assert "Set review state" not in detail
    assert "Add note" not in detail


def test_an_operator_sees_the_controls(op_client, live_segment):
    table = op_client.get(f"/segments/?q={live_segment.segment_id}").text
    assert f"/segments/{live_segment.segment_id}/extend/" in table
    assert 'id="bulk-form"' in table


# --- audit, activity, review ----------------------------------------------------


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
    op_client.post(f"/segments/{live_segment.segment_id}/notes/", {"text": "hello"})
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
    client.post(f"/segments/{live_segment.segment_id}/notes/", {"text": "Client asked to keep it"})
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


def test_delete_accepts_the_name_typed_with_plain_dashes(op_client, synced):
    segment = Segment.objects.visible().filter(name__contains="–").first()
    url = f"/segments/{segment.segment_id}/delete/"
    fields = open_form(op_client, url)
    typed = "  " + segment.name.replace("–", "-").upper() + " "
    response = op_client.post(url, {**fields, "confirm_name": typed}, headers=HTMX)
    assert "segments-changed" in response.headers["HX-Trigger"]


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
