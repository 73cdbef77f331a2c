"""Template tags of deletes with undo."""

from django import template
from django.conf import settings

from segments import presentation

register = template.Library()
register.filter("countdown", presentation.countdown)


@register.simple_tag
def undo_window_text() -> str:
    """The undo window in words ("5 minutes"), or "" when deletes are sent at once."""
    seconds = settings.DELETE_UNDO_SECONDS
    if seconds <= 0:
        return ""
    if seconds % 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
