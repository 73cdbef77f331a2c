"""``alerts_unread``: the header's unread count, for signed-in users."""

from segments.alerts.selectors import unread_count


def alerts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"alerts_unread": unread_count(user=user)}
