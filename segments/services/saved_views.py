"""Saved views: create, change, share, delete; each user's default view."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from segments.models import SavedView, ViewPreference
from segments.selectors.saved_views import canonical_table_query


class ViewInUse(Exception):
    """The view is the scope of expiry policies: it cannot be deleted or made personal."""

    def __init__(self, users: list[str]):
        self.users = users
        super().__init__(
            "This view is the scope of: " + ", ".join(users) + ". Change or delete them first."
        )


def _users_of(view: SavedView) -> list[str]:
    return [f"expiry policy “{name}”" for name in view.policies.values_list("name", flat=True)]


def _owned(view: SavedView, user) -> None:
    if view.owner_id != user.pk:
        raise PermissionDenied("Only the owner of a view can change or delete it.")


def saved_view_create(*, owner, name: str, params, shared: bool) -> SavedView:
    """A view of the table ``params`` (a QueryDict) show; stored canonically."""
    return SavedView.objects.create(
        owner=owner, name=name, shared=shared, query=canonical_table_query(params)
    )


def saved_view_update(*, view: SavedView, user, name: str, shared: bool, params=None) -> SavedView:
    """Rename, share or unshare the view; with ``params``, also store that table."""
    _owned(view, user)
    if view.shared and not shared and (users := _users_of(view)):
        raise ViewInUse(users)
    view.name, view.shared = name, shared
    if params is not None:
        view.query = canonical_table_query(params)
    view.updated_at = timezone.now()
    view.save()
    return view


def saved_view_delete(*, view: SavedView, user) -> None:
    """Delete the view, unless a policy uses it (``ViewInUse`` lists them)."""
    _owned(view, user)
    with transaction.atomic():
        if users := _users_of(view):
            raise ViewInUse(users)
        view.delete()


def default_view_set(*, user, view: SavedView | None) -> None:
    """The view ``user`` opens the segments page with (``None``: the plain table)."""
    ViewPreference.objects.update_or_create(user=user, defaults={"default_view": view})
