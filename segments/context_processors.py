"""Values every page's layout shows."""

from django.utils.functional import SimpleLazyObject

from segments.selectors import assigned_count
from segments.selectors import sync_banner as sync_banner_data


def sync_banner(request) -> dict:
    """The sync banner of the layout, read only if a template shows it (a table
    partial does not)."""
    return {"sync_banner": SimpleLazyObject(sync_banner_data)}


def assigned_to_me(request) -> dict:
    """The header's "Assigned to me" count for a signed-in user, counted only if shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"assigned_to_me": SimpleLazyObject(lambda: assigned_count(user=user))}
