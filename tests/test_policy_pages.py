"""Expiry policy pages: operators create with a dry run, edit, pause; viewers read."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict
from django.utils.html import escape

from segments.models import Account, Audience, ExpiryPolicy, Segment
from tests.conftest import make_user
from tests.policy_pages import form_data, loaded_form, logged_in
from tests.test_policies import busiest_account

pytestmark = pytest.mark.django_db


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
        ({"scope_value": "12x"}, "No account has that name or id."),
        ({"scope_value": "999999"}, "No account has that name or id."),
        ({"scope_value": " "}, "Enter the account&#x27;s name or id."),
        ({"scope": "audience", "scope_value": "12x"}, "digits only"),
        ({"scope": "audience", "scope_value": "999999"}, "No audience in the catalogue"),
        ({"ceiling_days": ""}, "Give a ceiling"),
        ({"min_days_ahead": "0"}, "greater than or equal to 1"),
        ({"excluded": "12, abc"}, "Not segment ids: abc"),
        ({"scope": "view"}, "Choose the shared view"),
        ({"ceiling_date": "9999-12-31T23:59", "ceiling_days": ""}, "within five years"),
        ({"ceiling_days": "30"}, "further than the 60 days ahead the policy keeps"),
        ({"ceiling_days": "", "ceiling_date": "2027-01-01T00:00"}, "later than 60 days from now"),
        ({"scope": "status", "scope_value": "Banana"}, "No segment has that status."),
        ({"scope": "audience", "scope_value": "9" * 40}, "No audience in the catalogue"),
        ({"excluded": "999999999"}, "No segment has the id 999999999."),
        ({"scope": "name", "scope_value": "x" * 600}, "at most 500 characters"),
    ):
        response = client.post("/policies/new/", {**form_data(**bad), "intent": "save"})
        assert response.status_code == 200, bad
        assert error in response.content.decode(), bad
    assert not ExpiryPolicy.objects.exists()
    # A value too long is said once: not also "Enter what the segments' name … must be".
    long = client.post(
        "/policies/new/", {**form_data(scope="name", scope_value="x" * 600), "intent": "save"}
    ).text
    assert "Enter what the segments" not in long
    # A ceiling date that is wrong is said once: not also "Give a ceiling".
    past = client.post(
        "/policies/new/",
        {**form_data(ceiling_days="", ceiling_date="2020-01-01T00:00"), "intent": "save"},
    ).content.decode()
    assert "The ceiling must be in the future." in past
    assert "Give a ceiling" not in past


def test_a_status_is_matched_as_the_platform_spells_it_and_an_empty_scope_is_said(synced):
    client = logged_in(make_user("ann", "Operator"))
    dry = client.post(
        "/policies/new/",
        {
            **form_data(
                scope="status", scope_value="active", min_days_ahead="1800", ceiling_days="1825"
            ),
            "intent": "dry-run",
        },
    ).content.decode()
    assert "would be extended" in dry  # "active" is the platform's "Active"
    saved = client.post(
        "/policies/new/",
        {**form_data(scope="status", scope_value="active"), "intent": "save"},
    )
    assert saved.status_code == 302
    assert ExpiryPolicy.objects.get().scope_value == "Active"
    nothing = client.post(
        "/policies/new/",
        {**form_data(name="None", scope="name", scope_value="zzzzqqq"), "intent": "dry-run"},
    ).content.decode()
    assert "no segment is in this policy's scope" in nothing
    assert "every segment in scope ends far enough ahead" not in nothing


def test_an_account_is_named_or_given_by_its_id_which_the_accounts_page_shows(synced):
    client = logged_in(make_user("ann", "Operator"))
    account = Account.objects.get(pk=busiest_account())
    accounts_page = client.get("/accounts/").content.decode()
    assert re.search(r'<th [^>]*data-col="id"[^>]*>\s*<a [^>]*>ID</a>', accounts_page)
    row = rf"<td >{account.pk}</td>\s*<td >{re.escape(account.name)}</td>"
    assert re.search(row, accounts_page)
    by_name = form_data(scope_value=account.name.upper())
    client.post("/policies/new/", {**by_name, "intent": "save"})
    policy = ExpiryPolicy.objects.get()
    assert policy.scope_value == str(account.pk)
    # Pages name the account, with its id beside the name.
    named = (
        f'account <a href="/segments/?account={account.pk}">{escape(account.name)}</a> '
        f'<span class="muted">({account.pk})</span>'
    )
    assert named in client.get("/policies/").content.decode()
    assert named in client.get(f"/policies/{policy.pk}/").content.decode()
    # Two accounts of one name: the id tells them apart.
    twin = Account.objects.exclude(pk=account.pk).first()
    Account.objects.filter(pk=twin.pk).update(name=account.name)
    response = client.post("/policies/new/", {**by_name, "name": "Twin", "intent": "save"})
    assert "2 accounts have that name: enter the id of one." in response.content.decode()
    # A name of digits that is no account's id is a name.
    Account.objects.filter(pk=twin.pk).update(name="999999")
    client.post(
        "/policies/new/", {**form_data(scope_value="999999"), "name": "Digits", "intent": "save"}
    )
    assert ExpiryPolicy.objects.get(name="Digits").scope_value == str(twin.pk)


def test_an_audience_scope_is_named_and_an_id_gone_from_the_mirror_shown_as_it_is(synced):
    client = logged_in(make_user("ann", "Operator"))
    audience = Audience.objects.order_by("pk").first()
    client.post(
        "/policies/new/",
        {**form_data(scope="audience", scope_value=str(audience.pk)), "intent": "save"},
    )
    policy = ExpiryPolicy.objects.get()
    link = f'audience <a href="/segments/?audience={audience.pk}">'
    assert f"{link}{escape(audience.name)}</a>" in client.get("/policies/").content.decode()
    # Gone from the catalogue since: the id alone, not an empty link.
    ExpiryPolicy.objects.filter(pk=policy.pk).update(scope_value="987654321")
    gone = client.get(f"/policies/{policy.pk}/").content.decode()
    assert 'audience <a href="/segments/?audience=987654321">987654321</a>' in gone
    assert '<span class="muted">(987654321)</span>' not in gone
    # Its exclusions are named too, an id the mirror lacks shown as it is.
    excluded = Segment.objects.visible().order_by("segment_id").first()
    ExpiryPolicy.objects.filter(pk=policy.pk).update(excluded=[excluded.pk, 987654321])
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    named = f'{escape(excluded.name)} <span class="muted">({excluded.pk})</span></a>'
    assert named in page
    assert '<a href="/segments/987654321/">987654321</a>' in page


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
    bob.post(f"/policies/{policy.pk}/edit/", {**loaded_form(bob, policy), "step_days": "45"})
    bob.post(f"/policies/{policy.pk}/pause/", {"paused": "1"})
    policy.refresh_from_db()
    assert policy.paused
    assert policy.step_days == 45
    assert policy.owner == ann
    page = viewer.get(f"/policies/{policy.pk}/").content.decode()
    assert "Paused" in page
    assert "days per extension “30” → “45”" in page  # not "extend by M days at a time"
    assert "paused “no” → “yes”" in page
    assert [e.username for e in policy.edits.order_by("id")] == ["ann", "bob", "bob"]


def test_a_change_to_a_policy_s_view_is_in_the_policy_s_history(synced):
    """Whoever edits a shared view changes what the policies scoped on it extend."""
    from segments.models import SavedView
    from segments.services.saved_views import saved_view_update

    ann = make_user("ann", "Operator")
    view = SavedView.objects.create(owner=ann, name="Paused", shared=True, query="status=Paused")
    admin = logged_in(make_user("ada", "Admin"))
    admin.post(
        "/policies/new/",
        {**form_data(scope="view", scope_view=str(view.pk), scope_value=""), "intent": "save"},
    )
    policy = ExpiryPolicy.objects.get()
    params = QueryDict("status=Active&sort=name")
    saved_view_update(view=view, user=ann, name="Paused", shared=True, params=params)
    saved_view_update(view=view, user=ann, name="Paused only", shared=True)
    page = admin.get(f"/policies/{policy.pk}/").content.decode()
    assert "Scope view’s table “status=Paused” → “status=Active&amp;sort=name”" in page
    assert "Scope view’s name “Paused” → “Paused only”" in page
    assert [e.username for e in policy.edits.order_by("id")] == ["ada", "ann", "ann"]


def test_a_policy_s_view_is_not_given_a_table_without_filters_and_the_page_counts(synced):
    """ "Update to this table" from page 2 of the plain table stored "every segment" in
    a view that scoped a policy: the policy would have extended them all."""
    from segments.models import SavedView, Segment

    ann = make_user("ann", "Operator")
    view = SavedView.objects.create(owner=ann, name="Paused", shared=True, query="status=Paused")
    client = logged_in(ann)
    client.post(
        "/policies/new/",
        {**form_data(scope="view", scope_view=str(view.pk), scope_value=""), "intent": "save"},
    )
    seen = str(ExpiryPolicy.objects.get().pk)  # the policies on it the page showed
    paused = Segment.objects.visible().filter(status="Paused").count()
    active = Segment.objects.visible().filter(status="Active").count()
    plain = client.get("/views/", {"table": "page=2"}).text
    assert "The table you came from has no filter: this view, a policy's scope" in plain
    assert "Update view Paused to the table" not in plain
    edit = f"/views/{view.pk}/edit/"
    refused = client.post(edit, {"table": "page=2", "policies_seen": seen}, follow=True).text
    assert "a table without filters would have it extend every segment" in refused
    # "N days" without "Ends" filters nothing either (sent without JavaScript, or made up).
    days = client.post(edit, {"table": "within_days=30", "policies_seen": seen}, follow=True)
    assert "a table without filters would have it extend every segment" in days.text
    view.refresh_from_db()
    assert view.query == "status=Paused"
    # A filtered table: the confirmation says what the policy would then cover.
    filtered = client.get("/views/", {"table": "status=Active"}).text
    assert f"it covers {paused} segments now, and would then cover {active}." in filtered
    assert f'name="policies_seen" value="{seen}"' in filtered
    # A page loaded before the view became a policy's scope did not say so: refused.
    stale = client.post(edit, {"table": "status=Active", "policies_seen": ""}, follow=True)
    assert "This view changed since the page was loaded (it is the scope of expiry" in stale.text
    view.refresh_from_db()
    assert view.query == "status=Paused"
    client.post(edit, {"table": "status=Active", "policies_seen": seen})
    view.refresh_from_db()
    assert view.query == "status=Active"
    # "Assigned to me" is the owner's, who updates the view (and whose the policy's is).
    from segments.services.assignment import assignments_set
    from segments.services.audit import Actor

    mine = list(Segment.objects.visible().values_list("segment_id", flat=True)[:3])
    assignments_set(actor=Actor(user=ann), segment_ids=mine, assignee=ann)
    assigned = client.get("/views/", {"table": "assigned=me"}).text
    assert f"and would then cover {len(mine)}." in assigned


def test_a_fields_help_text_is_shown_and_describes_its_input(synced):
    page = logged_in(make_user("ann", "Operator")).get("/policies/new/").content.decode()
    for name, words in (("excluded", "leaves alone"), ("scope_value", "the Accounts page")):
        described = rf'<[a-z]+ [^>]*name="{name}"[^>]*aria-describedby="id_{name}_helptext"'
        assert re.search(described, page)
        hint = re.search(rf'<p class="hint" id="id_{name}_helptext">([^<]*)</p>', page)
        assert hint, name
        assert words in hint.group(1)


def test_a_view_whose_filters_no_longer_hold_is_explained_once_by_label(synced):
    from segments.models import SavedView

    ann = make_user("ann", "Operator")
    view = SavedView.objects.create(
        owner=ann, name="Bananas", shared=True, query="status=Banana&within_days=-5"
    )
    client = logged_in(ann)
    dry = client.post(
        "/policies/new/",
        {**form_data(scope="view", scope_view=str(view.pk), scope_value=""), "intent": "dry-run"},
    ).content.decode()
    assert dry.count("The view's filters no longer hold") == 1
    assert "is not one of its choices.</li>" in dry.split("<li>Status: ")[1]
    assert "<li>N days: Enter a whole number of days from 1 to 3,650.</li>" in dry
    assert "no segment is in this policy's scope" not in dry  # the problem says why


def test_a_policy_is_deleted_after_a_confirmation_and_its_extensions_stay_audited(synced):
    from segments.models import AuditEvent
    from segments.services.policies import policies_apply

    ann = make_user("ann", "Operator")
    client = logged_in(ann)
    client.post("/policies/new/", {**form_data(), "intent": "save"})
    policy = ExpiryPolicy.objects.get()
    run = policies_apply()
    assert run.planned > 0
    extended = AuditEvent.objects.filter(action="extend", outcome="done").count()
    assert extended == run.planned
    # A viewer may not; an operator is asked first, and Cancel keeps it.
    viewer = logged_in(make_user("vera", "Viewer"))
    assert viewer.get(f"/policies/{policy.pk}/delete/").status_code == 403
    assert viewer.post(f"/policies/{policy.pk}/delete/").status_code == 403
    asked = client.get(f"/policies/{policy.pk}/delete/").content.decode()
    assert f"the {extended} extensions it made stay in the activity log" in asked
    assert f'href="/policies/{policy.pk}/" autofocus>Cancel' in asked
    assert ExpiryPolicy.objects.filter(pk=policy.pk).exists()
    deleted = client.post(f"/policies/{policy.pk}/delete/", follow=True).content.decode()
    assert "Policy “Keep ahead” deleted." in deleted
    assert not ExpiryPolicy.objects.exists()
    assert AuditEvent.objects.filter(action="extend", outcome="done").count() == extended
    # The deletion itself is audited: who, and what the policy was.
    deletion = AuditEvent.objects.get(action="delete_policy")
    assert (deletion.username, deletion.outcome) == ("ann", "done")
    assert deletion.before["name"] == "Keep ahead"
    assert f"it had made {extended} extensions" in deletion.message
    row = client.get("/activity/?action=delete_policy").content.decode()
    row = row.split('id="activity-table"', 1)[1].split("</table>", 1)[0]
    assert "Expiry policy “Keep ahead” deleted" in row
    assert "days kept ahead 60; days per extension 30" in row  # what it was, shown
    # Its name is free again; the deleted one is gone for good.
    assert client.post("/policies/new/", {**form_data(), "intent": "save"}).status_code == 302
    # Taken, in any case, it says so plainly.
    taken = client.post("/policies/new/", {**form_data(name="keep AHEAD "), "intent": "save"})
    assert "A policy named “Keep ahead” exists already: choose another name." in taken.text
    # A stale tab's action on it, or its page, says it is gone: not a 404 about segments.
    again = client.post(f"/policies/{policy.pk}/delete/", follow=True)
    assert f"No expiry policy has the id {policy.pk}: it was deleted" in again.text
    for gone in (f"/policies/{policy.pk}/", f"/policies/{policy.pk}/edit/"):
        page = client.get(gone)
        assert page.status_code == 404
        assert f"No expiry policy has the id {policy.pk}: it was deleted" in page.text
    paused = client.post(f"/policies/{policy.pk}/pause/", {"paused": "1"}, follow=True)
    assert f"No expiry policy has the id {policy.pk}" in paused.text
    # One that made nothing says so, instead of "the 0 extensions".
    fresh = ExpiryPolicy.objects.get()
    asked = client.get(f"/policies/{fresh.pk}/delete/").content.decode()
    assert "extensions it made" not in asked
    assert "Its edit history and its report go with it. No segment" in asked
    client.post(f"/policies/{fresh.pk}/delete/")
    assert (
        "it had made no extension."
        in AuditEvent.objects.filter(action="delete_policy").first().message
    )
