"""Values every page's layout shows."""

from django.utils.functional import SimpleLazyObject

from segments.selectors import sync_banner as sync_banner_data


def sync_banner(request) -> dict:
    """The sync banner of the layout, read only if a template shows it (a table
    partial does not)."""
    return {"sync_banner": SimpleLazyObject(sync_banner_data)}
