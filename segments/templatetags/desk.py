"""Template filters over ``segments.presentation``, so pages and tables agree."""

from django import template

from segments import presentation

register = template.Library()

register.filter("when", presentation.when)
register.filter("number", presentation.number)
register.filter("status_badge", presentation.status_badge)
register.filter("country", presentation.country_name)
register.filter("days_left", presentation.days_left_badge)
register.filter("pipeline_bar", presentation.pipeline_bar)


@register.filter
def lookup_label(form, name: str) -> str:
    field = form.fields.get(name)
    return field.label or name.replace("_", " ").capitalize() if field else name


@register.filter
def share(value, total) -> float:
    """``value`` as a percentage of ``total``, for chart bar lengths."""
    try:
        return round(100 * (value or 0) / total, 2) if total else 0
    except TypeError:
        return 0
