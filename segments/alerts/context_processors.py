"""``alerts_unread``: the header's unread count, for signed-in users."""

from django.utils.functional import SimpleLazyObject

from segments.alerts.selectors import unread_count


def alerts(request) -> dict:
    """Counted only if a template shows it (a table partial does not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"alerts_unread": SimpleLazyObject(lambda: unread_count(user=user))}
