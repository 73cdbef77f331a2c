"""Saved views: create, change, share, delete; each user's default view."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from segments.models import ExpiryPolicyEdit, SavedView, ViewPreference
from segments.permissions import OPERATE
from segments.selectors.saved_views import canonical_table_query, table_selects_all


class SharingNotAllowed(PermissionDenied):
    """Only operators (and admins) share views: a shared view is the team's, listed for
    everyone and usable as a policy's scope. A viewer's views stay personal."""

    def __init__(self):
        super().__init__(
            "Only operators can share a view with the team; a viewer’s views stay personal."
        )


class ViewInUse(Exception):
    """The view is the scope of expiry policies: it cannot be deleted or made personal."""

    def __init__(self, users: list[str]):
        self.users = users
        them = "them" if len(users) > 1 else "it"
        super().__init__(
            f"This view is the scope of: {', '.join(users)}. Change or delete {them} first."
        )


class ScopeWouldWiden(Exception):
    """A view that scopes expiry policies is not given a table without filters: they
    would extend every segment (the views page offered "Update to this table" from
    page 2 of the plain table)."""

    def __init__(self, users: list[str]):
        super().__init__(
            f"This view is the scope of {', '.join(users)}: a table without filters would "
            "have it extend every segment. Filter the table first, or change the policy's "
            "scope."
        )


class ScopeChangedMeanwhile(Exception):
    """The views page that asked to update the view's table showed other policies on
    it than it has now: its confirmation did not say what the update changes."""

    def __init__(self, users: list[str]):
        now = f"it is the scope of {', '.join(users)}" if users else "no policy uses it now"
        super().__init__(
            f"This view changed since the page was loaded ({now}): nothing was updated."
            " Look at what an update would change, then update again."
        )


def _users_of(view: SavedView) -> list[str]:
    return _named(view.policies.values_list("name", flat=True))


def _named(policy_names) -> list[str]:
    return [f"expiry policy “{name}”" for name in policy_names]


def _owned(view: SavedView, user) -> None:
    if view.owner_id != user.pk:
        raise PermissionDenied("Only the owner of a view can change or delete it.")


def may_share(user) -> bool:
    """Whether ``user`` may share a view with the team (a viewer may save personal ones)."""
    return user.has_perm(OPERATE)


def _may_share(user, shared: bool) -> None:
    if shared and not may_share(user):
        raise SharingNotAllowed


def saved_view_create(*, owner, name: str, params, shared: bool) -> SavedView:
    """A view of the table ``params`` (a QueryDict) show; stored canonically.
    ``SharingNotAllowed`` if ``owner`` may not share it; ``IntegrityError`` if the
    owner has a view of that name."""
    _may_share(owner, shared)
    with transaction.atomic():
        return SavedView.objects.create(
            owner=owner, name=name, shared=shared, query=canonical_table_query(params)
        )


def saved_view_update(
    *, view: SavedView, user, name: str, shared: bool, params=None, policies_seen=None
) -> SavedView:
    """Rename, share or unshare the view; with ``params``, also store that table.
    ``policies_seen``: the ids of the policies scoped on it that the asking page showed
    (``ScopeChangedMeanwhile`` if they are not the ones now)."""
    _owned(view, user)
    policies = dict(view.policies.values_list("pk", "name"))  # one read for the checks
    users = _named(policies.values())
    if params is not None and policies_seen is not None and set(policies_seen) != set(policies):
        raise ScopeChangedMeanwhile(users)
    _may_share(user, shared and not view.shared)
    if view.shared and not shared and users:
        raise ViewInUse(users)
    if params is not None and users and table_selects_all(params, user=user):
        raise ScopeWouldWiden(users)
    unshared = view.shared and not shared
    before = {"name": view.name, "table": view.query}
    view.name, view.shared = name, shared
    if params is not None:
        view.query = canonical_table_query(params)
    view.updated_at = timezone.now()
    with transaction.atomic():
        view.save()
        _policies_note_scope_change(view=view, user=user, before=before)
        if unshared:  # no longer theirs to open with (sharing it again does not make it so)
            ViewPreference.objects.filter(default_view=view).exclude(user=user).update(
                default_view=None
            )
    return view


def _policies_note_scope_change(*, view: SavedView, user, before: dict) -> None:
    """A view that is policies' scope changes what they extend: each policy's edit
    history records it, as if the policy itself had been edited."""
    changes = {}
    if before["table"] != view.query:
        changes["Scope view’s table"] = [before["table"], view.query]
    if before["name"] != view.name:
        changes["Scope view’s name"] = [before["name"], view.name]
    if not changes:
        return
    ExpiryPolicyEdit.objects.bulk_create(
        ExpiryPolicyEdit(policy=policy, user=user, username=user.get_username(), changes=changes)
        for policy in view.policies.all()
    )


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
