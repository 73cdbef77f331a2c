"""Expiry policy edits that must not undo, duplicate or widen anything: two operators
at once, a stale tab, a retried form, a tampered one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from segments.models import ExpiryPolicy
from segments.policy_forms import PolicyForm
from segments.services.policies import PolicyNameTaken, policy_save
from tests.conftest import make_user
from tests.policy_pages import form_data, loaded_form, logged_in

pytestmark = pytest.mark.django_db


def test_two_operators_editing_one_policy_the_later_save_undoes_nothing_unseen(synced):
    ann, bob = logged_in(make_user("ann", "Operator")), logged_in(make_user("bob", "Operator"))
    ann.post("/policies/new/", {**form_data(), "intent": "save"})
    policy = ExpiryPolicy.objects.get()
    ann_form, bob_form = loaded_form(ann, policy), loaded_form(bob, policy)
    assert (
        bob.post(f"/policies/{policy.pk}/edit/", {**bob_form, "ceiling_days": "150"}).status_code
        == 302
    )
    # Ann's tab still shows 180 days: her change of the step must not put 180 back.
    stale = ann.post(f"/policies/{policy.pk}/edit/", {**ann_form, "step_days": "45"})
    assert stale.status_code == 200
    assert "Not saved: this policy was changed since you loaded it" in stale.text
    assert "never beyond (days from now) “180” → “150”" in stale.text  # what bob changed
    assert re.search(r'name="ceiling_days" value="150"', stale.text)  # the form, as it is now
    policy.refresh_from_db()
    assert (policy.ceiling_days, policy.step_days) == (150, 30)
    assert [e.username for e in policy.edits.order_by("id")] == ["ann", "bob"]
    # Made again from the form as it is now, it saves.
    again = {**loaded_form(ann, policy), "ceiling_days": "150", "step_days": "45"}
    assert ann.post(f"/policies/{policy.pk}/edit/", again).status_code == 302
    policy.refresh_from_db()
    assert (policy.ceiling_days, policy.step_days) == (150, 45)
    # The same form sent twice (a retry): the second finds what it asks and says saved.
    assert ann.post(f"/policies/{policy.pk}/edit/", again).status_code == 302
    assert policy.edits.count() == 3


def test_a_policy_created_twice_at_once_is_made_once_and_the_second_is_told(synced):
    """Two creates of one name at once both pass the form's checks before either saves
    (a race no test times reliably): the second save meets the constraint and is told."""
    ann = make_user("ann", "Operator")
    first = PolicyForm(form_data())
    second = PolicyForm(form_data())
    assert first.is_valid()
    assert second.is_valid()
    policy_save(policy=first.instance, user=ann)
    with pytest.raises(PolicyNameTaken):
        policy_save(policy=second.instance, user=ann)
    assert ExpiryPolicy.objects.count() == 1


def test_a_policy_on_a_view_that_filters_nothing_is_refused(synced):
    from segments.models import SavedView

    ann = make_user("ann", "Operator")
    view = SavedView.objects.create(owner=ann, name="Sorted", shared=True, query="sort=name")
    response = logged_in(ann).post(
        "/policies/new/",
        {**form_data(scope="view", scope_view=str(view.pk), scope_value=""), "intent": "save"},
    )
    assert "This view filters nothing: the policy would extend every segment." in response.text
    assert not ExpiryPolicy.objects.exists()


def test_a_save_that_changes_nothing_writes_nothing_and_a_pause_meanwhile_is_no_conflict(
    synced,
):
    ann = logged_in(make_user("ann", "Operator"))
    ceiling = (timezone.now() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    ann.post("/policies/new/", {**form_data(ceiling_date=ceiling), "intent": "save"})
    policy = ExpiryPolicy.objects.get()
    version = policy.updated_at
    form = {**loaded_form(ann, policy), "ceiling_date": ceiling}
    # Saved unchanged (the ceiling date given in the operator's zone, stored in UTC).
    assert ann.post(f"/policies/{policy.pk}/edit/", form).status_code == 302
    policy.refresh_from_db()
    assert policy.updated_at == version
    assert policy.edits.count() == 1
    # Pause twice (a stale tab): the second says so and changes nothing.
    ann.post(f"/policies/{policy.pk}/pause/", {"paused": "1"})
    again = ann.post(f"/policies/{policy.pk}/pause/", {"paused": "1"}, follow=True).text
    assert "Policy “Keep ahead” was paused already: nothing changed." in again
    assert policy.edits.count() == 2
    # The form loaded before the pause holds no pause to undo: it saves.
    assert ann.post(f"/policies/{policy.pk}/edit/", {**form, "step_days": "45"}).status_code == 302
    policy.refresh_from_db()
    assert (policy.step_days, policy.paused) == (45, True)


def test_a_tampered_version_or_an_odd_name_scope_is_an_error_not_a_500(synced):
    ann = logged_in(make_user("ann", "Operator"))
    ann.post("/policies/new/", {**form_data(), "intent": "save"})
    policy = ExpiryPolicy.objects.get()
    for loaded in ("0001-01-01T00:00:00+05:00", "0001-01-01T00:00", "9999-12-31T23:59", "x", ""):
        form = {**form_data(step_days="45"), "loaded": loaded, "intent": "save"}
        response = ann.post(f"/policies/{policy.pk}/edit/", form)
        assert response.status_code == 200, loaded
        assert ("out of date" in response.text) or ("valid date" in response.text), loaded
    ExpiryPolicy.objects.filter(pk=policy.pk).update(scope="name", scope_value="²")
    assert ann.get("/policies/").status_code == 200
    assert ann.get(f"/policies/{policy.pk}/").status_code == 200
