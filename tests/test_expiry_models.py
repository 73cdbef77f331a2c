"""The database keeps the rules of policies, scheduled deletes and saved views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from segments.models import ExpiryPolicy, SavedView, ScheduledDelete
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_one_open_delete_per_segment_but_history_is_kept():
    deadline = timezone.now() + timedelta(minutes=5)
    first = ScheduledDelete.objects.create(segment_id=1, deadline=deadline)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledDelete.objects.create(segment_id=1, deadline=deadline)
    first.state = ScheduledDelete.State.CANCELLED
    first.save()
    again = ScheduledDelete.objects.create(segment_id=1, deadline=deadline)
    assert again.is_open
    assert not ScheduledDelete.objects.get(pk=first.pk).is_open


def test_a_policy_needs_a_ceiling_and_positive_days():
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpiryPolicy.objects.create(name="a", scope="status", min_days_ahead=1, step_days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpiryPolicy.objects.create(
            name="b", scope="status", min_days_ahead=0, step_days=1, ceiling_days=10
        )
    policy = ExpiryPolicy.objects.create(
        name="c", scope="status", min_days_ahead=14, step_days=30, ceiling_days=180
    )
    assert policy.rule.ceiling(timezone.now()) is not None


def test_a_view_a_policy_uses_cannot_be_deleted_and_visibility():
    ann, bob = make_user("ann", "Operator"), make_user("bob", "Viewer")
    shared = SavedView.objects.create(name="Team", owner=ann, shared=True, query="status=Ready")
    mine = SavedView.objects.create(name="Mine", owner=ann, query="q=x")
    ExpiryPolicy.objects.create(
        name="p", scope="view", scope_view=shared, min_days_ahead=1, step_days=1, ceiling_days=9
    )
    with pytest.raises(ProtectedError):
        shared.delete()
    assert list(SavedView.objects.visible_to(bob)) == [shared]
    assert set(SavedView.objects.visible_to(ann)) == {shared, mine}
