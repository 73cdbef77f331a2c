"""Saved views through the pages: save, open, share, default, delete."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from segments.models import ExpiryPolicy, SavedView, ViewPreference
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def table_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="segment-(\d+)"', html)


@pytest.fixture
def ann(db):
    return make_user("ann", "Operator")


@pytest.fixture
def bob(db):
    return make_user("bob", "Viewer")


def test_a_views_url_reproduces_the_table(synced, ann):
    client = logged_in(ann)
    status = client.get("/segments/").content.decode()
    ready = re.search(r'<option value="([^"]+)">', status.split('name="status"')[1]).group(1)
    query = f"status={ready}&sort=-total_log_count&per_page=50&page=2"
    response = client.post(
        "/views/save/", {"name": "Busy ready ones", "shared": "on", "table": query}
    )
    assert response.status_code == 302
    view = SavedView.objects.get(name="Busy ready ones")
    assert view.shared
    assert view.owner == ann
    # Opening the view's own URL shows exactly the table that was saved (from page 1).
    opened = client.get(f"/views/{view.pk}/")
    assert opened.status_code == 302
    target = opened["Location"]
    assert urlsplit(target).path == "/segments/"
    shown = client.get(target).content.decode()
    original = client.get(f"/segments/?{query.replace('&page=2', '')}").content.decode()
    assert table_rows(shown)
    assert table_rows(shown) == table_rows(original)
    assert len(table_rows(shown)) <= 50
    # The bar above the table marks the view as the current one.
    bar = client.get("/views/", {"table": view.query}, headers=HTMX).content.decode()
    assert 'aria-current="true"' in bar
    assert "Busy ready ones" in bar


def test_shared_views_are_listed_for_everyone_personal_ones_only_for_their_owner(synced, ann, bob):
    shared = SavedView.objects.create(owner=ann, name="Team view", shared=True, query="q=a")
    personal = SavedView.objects.create(owner=ann, name="Ann only", query="q=b")
    bar = logged_in(bob).get("/views/", headers=HTMX).content.decode()
    assert "Team view" in bar
    assert "Ann only" not in bar
    assert logged_in(bob).get(f"/views/{shared.pk}/").status_code == 302
    assert logged_in(bob).get(f"/views/{personal.pk}/").status_code == 404
    # Others cannot delete or unshare it.
    logged_in(bob).post(f"/views/{shared.pk}/delete/")
    logged_in(bob).post(f"/views/{shared.pk}/share/", {"shared": "0"})
    shared.refresh_from_db()
    assert shared.shared


def test_a_view_a_policy_uses_is_not_deleted_and_its_users_are_named(ann):
    view = SavedView.objects.create(owner=ann, name="Expiring", shared=True, query="ends=within")
    ExpiryPolicy.objects.create(
        name="Keep campaigns",
        scope=ExpiryPolicy.Scope.VIEW,
        scope_view=view,
        min_days_ahead=14,
        step_days=30,
        ceiling_days=180,
    )
    client = logged_in(ann)
    page = client.post(f"/views/{view.pk}/delete/", follow=True).content.decode()
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert "was not deleted" in page
    assert "Keep campaigns" in page
    client.post(f"/views/{view.pk}/share/", {"shared": "0"})
    view.refresh_from_db()
    assert view.shared
    ExpiryPolicy.objects.all().delete()
    client.post(f"/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_default_view_per_user(ann, bob):
    view = SavedView.objects.create(owner=ann, name="Mine", shared=True, query="q=a")
    logged_in(bob).post("/views/default/", {"view": str(view.pk)})
    assert ViewPreference.objects.get(user=bob).default_view == view
    assert not ViewPreference.objects.filter(user=ann).exists()
    assert logged_in(bob).post("/views/default/", {"view": "²"}).status_code == 400
    logged_in(bob).post("/views/default/", {"view": ""})
    assert ViewPreference.objects.get(user=bob).default_view is None


def test_names_are_unique_per_owner_with_a_clear_error(ann):
    client = logged_in(ann)
    client.post("/views/save/", {"name": "Same", "table": "q=a"})
    response = client.post("/views/save/", {"name": "Same", "table": "q=b"})
    assert response.status_code == 400
    assert "already have a view with this name" in response.content.decode()
    assert SavedView.objects.filter(owner=ann).count() == 1


def test_the_segments_page_opens_with_the_default_view(synced, ann):
    view = SavedView.objects.create(owner=ann, name="Ready", query="status=Ready&per_page=50")
    client = logged_in(ann)
    assert client.get("/segments/").status_code == 200
    client.post("/views/default/", {"view": str(view.pk)})
    opened = client.get("/segments/")
    assert opened.status_code == 302
    assert opened["Location"] == "/segments/?status=Ready&per_page=50"
    # "All segments" (and Clear) show the plain table.
    assert client.get("/segments/?view=all").status_code == 200


def test_the_column_chooser_hides_columns_and_a_view_keeps_them(synced, ann):
    client = logged_in(ann)
    html = client.get("/segments/?cols=status,end_date", headers=HTMX).text
    head = re.sub(r"\s+", " ", html.split("<tbody")[0])
    assert "> Status <" in head or ">Status<" in head
    assert "Audience" not in head
    assert "Log events" not in head
    # The name, the selection and the actions always show.
    assert "Name" in head
    assert "Actions" in head
    assert "Select all on this page" in head
    client.post("/views/save/", {"name": "Slim", "table": "cols=status,end_date"})
    assert SavedView.objects.get(name="Slim").query == "cols=status%2Cend_date"
    chooser = client.get(
        "/segments/columns/",
        headers={**HTMX, "HX-Current-URL": "http://testserver/segments/?cols=status"},
    ).text
    assert 'name="cols" value="status" checked' in chooser
    assert 'name="cols" value="audience">' in chooser
