"""Issue 8's smaller defects: safe back links, server-issued form tokens, pipeline
bars on one scale, honest refresh wording, ``Vary`` on every table page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from segments.models import Segment
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


UNSAFE_NEXT = [
    "/%5Cevil.example/",
    "/%09/evil.example",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
]


def test_no_back_link_leads_off_the_site(op_client, synced):
    segment = Segment.objects.visible().first()
    for page in ("extend", "delete"):
        for target in UNSAFE_NEXT:
            url = f"/segments/{segment.segment_id}/{page}/?next={target}"
            body = op_client.get(url).text
            cancel = re.search(r'class="button cancel" href="([^"]*)"', body).group(1)
            assert cancel.startswith("/"), (url, cancel)
            assert not cancel.startswith("//"), (url, cancel)
            assert "evil" not in cancel, (url, cancel)
            assert "\\" not in cancel, (url, cancel)
    response = op_client.post("/refresh/", {"scope": "segment", "id": "1", "next": "/\\evil/"})
    assert response.status_code == 302
    assert response.url == "/"


def test_only_a_token_the_server_rendered_is_accepted(op_client, synced):
    segment = Segment.objects.visible().first()
    url = f"/segments/{segment.segment_id}/extend/"
    page = op_client.get(url).text
    seen = re.search(r'name="expected_updated" value="([^"]*)"', page).group(1)
    synced.requests.clear()
    forged = op_client.post(url, {"form_token": "0" * 32, "expected_updated": seen, "preset": 7})
    assert "This form is out of date" in forged.text
    assert synced.requests.count("update_end_date") == 0


def test_pipeline_bars_share_one_scale(op_client, synced):
    segment = Segment.objects.visible().first()
    Segment.objects.filter(pk=segment.pk).update(
        total_ready_count=4_294_967_296,
        total_pending_count=187,
        total_processing_count=None,
        total_failed_count=None,
        total_no_data_count=0,
        total_upload_count=0,
        total_segment_upload_count=3,
    )
    body = op_client.get(f"/segments/{segment.segment_id}/").text
    bars = body[body.index('aria-label="Pipeline counts"') :]
    widths = {
        label: float(width)
        for label, width in re.findall(r'<rect class="seg-([\w-]+)"[^>]*width="([^"]+)"', bars)
    }
    assert widths["ready"] == 100
    assert 0 < widths["pending"] < 0.0001
    assert widths["processing"] == widths["failed"] == widths["no-data"] == 0
    assert all(0 <= w <= 100 for w in widths.values())


def test_a_refused_login_is_not_called_a_transient_fault(db, remote_settings, client):
    client.force_login(make_user("vic", "Viewer"))
    remote_settings.REMOTE = {**remote_settings.REMOTE, "SEGMENT_API_PASSWORD": "wrong"}
    response = client.post("/refresh/", {"scope": "all"}, follow=True)
    text = response.content.decode()
    assert "refused the dashboard&#x27;s configured credentials" in text
    assert "An admin must correct" in text
    assert "Try again in a minute" not in text
    assert "HTTP 200" not in text


def test_a_failed_refresh_has_no_doubled_period(viewer_client, synced):
    synced.faults.set("segment", status=500)
    segment = Segment.objects.visible().first()
    response = viewer_client.post(
        "/refresh/", {"scope": "segment", "id": segment.segment_id}, follow=True
    )
    text = response.content.decode()
    assert "The refresh failed" in text
    assert ".." not in text.replace("...", "")


def test_every_table_page_varies_on_htmx(viewer_client, synced):
    for url in ("/segments/", "/audiences/", "/accounts/", "/activity/"):
        response = viewer_client.get(url)
        assert "HX-Request" in response["Vary"], url


def test_login_page_is_reachable_for_a_fresh_client(db):
    assert Client().get("/login/").status_code == 200
