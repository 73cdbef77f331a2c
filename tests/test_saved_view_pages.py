"""Saved views through the pages: save, open, share, default, delete."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from segments.models import Account, ExpiryPolicy, SavedView, ViewPreference
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
    # Said on the views page at once, not after a confirmation that then fails.
    listed = client.get("/views/").content.decode()
    assert "A policy's scope: it stays shared and is not deleted" in listed
    assert f'action="/views/{view.pk}/delete/"' not in listed
    assert f'action="/views/{view.pk}/share/"' not in listed
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


def test_the_owner_sees_and_is_told_who_opens_with_a_view_made_personal_or_deleted(ann, bob):
    view = SavedView.objects.create(owner=ann, name="Mine", shared=True, query="q=a")
    logged_in(bob).post("/views/default/", {"view": str(view.pk)})
    owner = logged_in(ann)
    listed = owner.get("/views/").content.decode()
    assert "default view of bob" in listed  # the "Used by" column
    assert "It is the default view of bob: they will open the plain table instead." in listed
    personal = owner.post(f"/views/{view.pk}/share/", {"shared": "0"}, follow=True)
    assert "It was the default view of bob: they now open the plain table." in (
        personal.content.decode()
    )
    assert ViewPreference.objects.get(user=bob).default_view is None
    assert "default view of bob" not in owner.get("/views/").content.decode()
    # Shared again, it is nobody's default until chosen again; deleting it names no one.
    shared = owner.post(f"/views/{view.pk}/share/", {"shared": "1"}, follow=True)
    assert "View “Mine” is shared with the team." in shared.content.decode()
    assert "default view of bob" not in shared.content.decode()
    logged_in(bob).post("/views/default/", {"view": str(view.pk)})
    deleted = owner.post(f"/views/{view.pk}/delete/", follow=True).content.decode()
    assert "View “Mine” deleted. It was the default view of bob" in deleted


def test_names_are_unique_per_owner_with_a_clear_error(ann):
    client = logged_in(ann)
    client.post("/views/save/", {"name": "Same", "table": "q=a"})
    response = client.post("/views/save/", {"name": "Same", "table": "q=b"})
    assert response.status_code == 400
    assert "You already have a view named “Same”." in response.content.decode()
    # In another case too: two look-alike views in the bar.
    louder = client.post("/views/save/", {"name": "SAME", "table": "q=c"})
    assert "You already have a view named “Same”." in louder.content.decode()
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


# --- A taken name: the error where the user looks, the table kept -----------------------


def field_tag(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)


def test_a_taken_name_comes_back_in_the_open_form_with_the_table_kept(ann):
    # The plain form (no JavaScript): the page again, the form open, focus on the name.
    SavedView.objects.create(owner=ann, name="Gamers", query="q=Gamers")
    client = logged_in(ann)
    table = "q=Gamers&sort=-updated"
    response = client.post("/views/save/", {"name": "Gamers", "table": table})
    assert response.status_code == 400
    html = response.text
    assert '<details class="save-view" open>' in html
    name = field_tag(html, "name")
    assert 'value="Gamers"' in name
    assert "autofocus" in name
    assert 'aria-invalid="true"' in name
    assert 'aria-describedby="id_name_error"' in name
    assert '<p class="error" id="id_name_error">You already have a view named “Gamers”.</p>' in html
    # The filters are still there: in the form for the next try, and on the way back.
    assert 'value="q=Gamers&amp;sort=-updated"' in field_tag(html, "table")
    assert '<a href="/segments/?q=Gamers&amp;sort=-updated">Back to the segments</a>' in html
    # Another name, the same form: the filtered table is saved.
    again = client.post("/views/save/", {"name": "Gamers, recent first", "table": table})
    assert again.status_code == 302
    assert again["Location"] == "/segments/?q=Gamers&sort=-updated"
    assert SavedView.objects.get(name="Gamers, recent first").query == "q=Gamers&sort=-updated"


def test_a_taken_name_with_htmx_swaps_the_bar_with_its_error(ann):
    SavedView.objects.create(owner=ann, name="Gamers", query="q=Gamers")
    client = logged_in(ann)
    response = client.post("/views/save/", {"name": "Gamers", "table": "q=Gamers"}, headers=HTMX)
    # htmx swaps a 2xx response only: the bar alone, in place of the old one.
    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith('<nav class="saved-views" id="saved-views"')
    assert "<html" not in html
    assert 'hx-post="/views/save/" hx-target="#saved-views" hx-swap="outerHTML"' in html
    assert '<details class="save-view" open>' in html
    name = field_tag(html, "name")
    assert 'value="Gamers"' in name
    assert "autofocus" in name
    assert "You already have a view named “Gamers”." in html
    assert 'value="q=Gamers"' in field_tag(html, "table")
    # Saved under another name: the browser goes to the saved table.
    saved = client.post("/views/save/", {"name": "Gamers too", "table": "q=Gamers"}, headers=HTMX)
    assert saved.status_code == 200
    assert saved["HX-Redirect"] == "/segments/?q=Gamers"
    assert SavedView.objects.filter(owner=ann).count() == 2


def test_a_name_taken_meanwhile_is_the_same_form_error(ann, monkeypatch):
    # Another tab saved the name between the check and the insert: the database refuses.
    SavedView.objects.create(owner=ann, name="Gamers", query="q=Gamers")
    monkeypatch.setattr("segments.saved_view_views.saved_view_names", lambda user: set())
    response = logged_in(ann).post("/views/save/", {"name": "Gamers", "table": "q=b"})
    assert response.status_code == 400
    assert "You already have a view with this name." in response.text
    assert "autofocus" in field_tag(response.text, "name")
    assert SavedView.objects.filter(owner=ann).count() == 1


def test_a_table_too_long_to_save_says_so_in_the_open_form(ann):
    response = logged_in(ann).post("/views/save/", {"name": "Long", "table": "q=" + "x" * 2100})
    assert response.status_code == 400
    assert '<details class="save-view" open>' in response.text
    assert "too long to save as a view" in response.text
    assert not SavedView.objects.exists()


# --- Viewers save personal views; only operators share ----------------------------------


def test_a_viewer_saves_a_personal_view_without_a_share_box(viewer_client, viewer, operator):
    bar = viewer_client.get("/views/", {"table": "q=Gamers"}, headers=HTMX).text
    assert "Save this view" in bar
    assert 'name="name"' in bar
    assert 'name="shared"' not in bar
    assert "Share with the team" not in bar
    response = viewer_client.post("/views/save/", {"name": "Mine", "table": "q=Gamers"})
    assert response.status_code == 302
    view = SavedView.objects.get(name="Mine")
    assert view.owner == viewer
    assert not view.shared
    # Their own view: no Share button; operators do not see it.
    page = viewer_client.get("/views/").text
    assert ">Share</button>" not in page
    assert "Mine" not in logged_in(operator).get("/views/", headers=HTMX).text


def test_an_operator_still_gets_the_share_box(op_client):
    bar = op_client.get("/views/", headers=HTMX).text
    assert 'name="shared"' in bar
    op_client.post("/views/save/", {"name": "Team", "shared": "on", "table": "q=a"})
    assert SavedView.objects.get(name="Team").shared
    assert ">Make personal</button>" in op_client.get("/views/").text


def test_a_viewer_cannot_share_a_view(viewer_client, viewer):
    response = viewer_client.post(
        "/views/save/", {"name": "viewer view", "shared": "on", "table": "q=Gamers"}
    )
    assert response.status_code == 403
    assert "Only operators can share a view" in response.text
    assert not SavedView.objects.exists()
    # Nor share a personal one afterwards.
    view = SavedView.objects.create(owner=viewer, name="Mine", query="q=a")
    assert viewer_client.post(f"/views/{view.pk}/share/", {"shared": "1"}).status_code == 403
    view.refresh_from_db()
    assert not view.shared


def test_a_viewer_may_make_a_shared_view_of_theirs_personal(viewer_client, viewer):
    # One shared before sharing was refused to viewers: its owner can take it back.
    view = SavedView.objects.create(owner=viewer, name="Old", shared=True, query="q=a")
    assert ">Make personal</button>" in viewer_client.get("/views/").text
    viewer_client.post(f"/views/{view.pk}/share/", {"shared": "0"})
    view.refresh_from_db()
    assert not view.shared


def test_a_view_is_renamed_or_given_the_table_it_was_opened_from_by_its_owner(ann, bob):
    view = SavedView.objects.create(owner=ann, name="Mine", shared=True, query="q=a")
    SavedView.objects.create(owner=ann, name="Other", query="q=b")
    owner = logged_in(ann)
    edit = f"/views/{view.pk}/edit/"
    renamed = owner.post(edit, {"name": "Ours"}, follow=True).content.decode()
    assert "View “Mine” is now “Ours”." in renamed
    taken = owner.post(edit, {"name": "Other"}, follow=True).content.decode()
    assert "You already have a view named “Other”." in taken
    blank = owner.post(edit, {"name": " "}, follow=True).content.decode()
    assert "Give the view a name." in blank
    view.refresh_from_db()
    assert (view.name, view.query) == ("Ours", "q=a")
    # Opened from another table, the page offers to store that table in the view.
    listed = owner.get("/views/", {"table": "q=c&sort=name"}).content.decode()
    assert "Update view Ours to the table you came from" in listed
    updated = owner.post(edit, {"table": "q=c&sort=name"}, follow=True)
    assert "View “Ours” shows the table you came from." in updated.content.decode()
    view.refresh_from_db()
    assert view.query == "q=c&sort=name"
    # A table that ignores a filter (no segment has that status) is not stored as a view.
    ignored = owner.post(edit, {"table": "status=Bogus&q=d"}, follow=True).text
    assert "This table ignores some of its filters (Status: “" in ignored
    assert "” is not one of its choices." in ignored
    view.refresh_from_db()
    assert view.query == "q=c&sort=name"
    # Only its owner changes it.
    other = logged_in(bob).post(edit, {"name": "Bob's"}, follow=True).content.decode()
    assert "Only the owner of a view can change or delete it." in other
    view.refresh_from_db()
    assert view.name == "Ours"


def test_no_views_is_a_sentence_not_an_empty_table(bob):
    """Its one long cell was cut off inside the card on a phone."""
    page = logged_in(bob).get("/views/").content.decode()
    assert "No saved views yet. Filter and sort the" in page
    assert 'id="views-table"' not in page


def test_the_views_page_says_what_each_view_shows_in_words(synced, ann):
    account = Account.objects.order_by("pk").first()
    SavedView.objects.create(
        owner=ann,
        name="Theirs, soonest last",
        query=f"account={account.pk}&ends=within&within_days=14&sort=-end_date",
    )
    SavedView.objects.create(owner=ann, name="Everything", query="per_page=50")
    page = logged_in(ann).get("/views/").content.decode()
    words = re.findall(r'<span class="sub">([^<]*)</span>', page)
    assert f"Account: {account}; End date: within 14 days; sorted by Ends, descending" in [
        html.unescape(w) for w in words
    ]
    assert "All segments" in words
    assert "account=" not in page.split("<tbody")[1]
