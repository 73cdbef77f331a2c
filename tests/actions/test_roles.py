"""Who may write: every write URL by role, anonymous users, CSRF, the controls shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from segments.models import Audience, BulkRun
from tests.actions.support import HTMX
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


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
