"""Expiry policy pages: operators create with a dry run, edit, pause; viewers read."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from segments.models import ExpiryPolicy
from tests.conftest import make_user
from tests.test_policies import busiest_account

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**fields) -> dict:
    return {
        "name": "Keep ahead",
        "scope": "account",
        "scope_value": str(busiest_account()),
        "min_days_ahead": "60",
        "step_days": "30",
        "ceiling_days": "180",
        "ceiling_date": "",
        "excluded": "",
        **fields,
    }


def test_dry_run_before_saving_then_save(synced):
    client = logged_in(make_user("ann", "Operator"))
    empty = client.get("/policies/new/").content.decode()
    assert re.search(r'<textarea name="excluded"[^>]*>\s*</textarea>', empty)
    dry = client.post("/policies/new/", {**form_data(), "intent": "dry-run"})
    assert dry.status_code == 200
    html = dry.content.decode()
    listed = re.findall(r'<tr><td class="name"><a href="/segments/(\d+)/"', html)
    assert listed
    assert f"{len(listed)} segment" in html
    assert not ExpiryPolicy.objects.exists()
    saved = client.post("/policies/new/", {**form_data(), "intent": "save"})
    policy = ExpiryPolicy.objects.get()
    assert saved["Location"] == f"/policies/{policy.pk}/"
    detail = client.get(saved["Location"]).content.decode()
    assert re.findall(r'<tr><td class="name"><a href="/segments/(\d+)/"', detail) == listed
    assert "ann" in detail


def test_bad_input_is_explained_not_a_500(synced):
    client = logged_in(make_user("ann", "Operator"))
    for bad, error in (
        ({"scope_value": "12x"}, "digits only"),
        ({"ceiling_days": ""}, "Give a ceiling"),
        ({"min_days_ahead": "0"}, "greater than or equal to 1"),
        ({"excluded": "12, abc"}, "Not segment ids: abc"),
        ({"scope": "view"}, "Choose the shared view"),
        ({"ceiling_date": "9999-12-31T23:59", "ceiling_days": ""}, "within five years"),
    ):
        response = client.post("/policies/new/", {**form_data(**bad), "intent": "save"})
        assert response.status_code == 200, bad
        assert error in response.content.decode(), bad
    assert not ExpiryPolicy.objects.exists()


def test_viewers_read_operators_edit_and_pause_with_history(synced):
    ann = make_user("ann", "Operator")
    logged_in(ann).post("/policies/new/", {**form_data(), "intent": "save"})
    policy = ExpiryPolicy.objects.get()
    viewer = logged_in(make_user("vera", "Viewer"))
    assert viewer.get("/policies/").status_code == 200
    assert viewer.get(f"/policies/{policy.pk}/").status_code == 200
    assert viewer.get("/policies/new/").status_code == 403
    assert viewer.post(f"/policies/{policy.pk}/pause/", {"paused": "1"}).status_code == 403
    bob = logged_in(make_user("bob", "Operator"))
    bob.post(f"/policies/{policy.pk}/edit/", {**form_data(step_days="45"), "intent": "save"})
    bob.post(f"/policies/{policy.pk}/pause/", {"paused": "1"})
    policy.refresh_from_db()
    assert policy.paused
    assert policy.step_days == 45
    assert policy.owner == ann
    page = viewer.get(f"/policies/{policy.pk}/").content.decode()
    assert "Paused" in page
    assert "“30” → “45”" in page
    assert [e.username for e in policy.edits.order_by("id")] == ["ann", "bob", "bob"]
