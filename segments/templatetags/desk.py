"""Template filters over ``segments.presentation``, so pages and tables agree.
None of them reads the database."""

from django import template

from segments import presentation
from segments.alerts.messages import alert_detail_html

register = template.Library()

register.filter("when", presentation.when)
register.filter("local_times", presentation.local_times)
register.filter("iso_when", presentation.iso_when)
register.filter("url_masked", presentation.url_masked)
register.filter("number", presentation.number)
register.filter("status_badge", presentation.status_badge)
register.filter("country", presentation.country_name)
register.filter("days_left", presentation.days_left_badge)
register.filter("pipeline_bar", presentation.pipeline_bar)
register.filter("pipeline_rows", presentation.pipeline_rows)
register.filter("alert_detail", alert_detail_html)


@register.filter
def field_label(form, name: str) -> str:
    """The label of the form's field ``name``, for naming it in an error summary."""
    field = form.fields.get(name)
    return field.label or name.replace("_", " ").capitalize() if field else name


@register.filter
def shown_when(field, rule: str) -> bool:
    """Whether a field marked ``data-show-when="name=a,b"`` shows for its form's current
    value, as desk.js decides: rendered hidden already, the page does not shift on load."""
    name, _, values = rule.partition("=")
    try:
        current = field.form[name].value()
    except KeyError:
        return True
    return str(current or "") in values.split(",")
