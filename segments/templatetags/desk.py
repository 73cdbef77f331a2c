"""Template filters over ``segments.presentation``, so pages and tables agree."""

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

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


@register.simple_tag
def table_row(row) -> str:
    """One table row in Python: the same cells as django-tables2's template loop,
    without resolving ``column.attrs`` and a dozen template variables per cell
    (most of a 25-row partial's time, measured with bench/). Cell attributes are
    fixed per column here, so they are built once per table."""
    table = row.table
    td_attrs = table.__dict__.setdefault("_td_attrs", {})
    cells = []
    for column, cell in row.items():
        attrs = td_attrs.get(column.name)
        if attrs is None:
            attrs = td_attrs[column.name] = column.attrs["td"].as_html()
        cells.append(f"<td {attrs}>{conditional_escape(cell)}</td>")
    attrs = " ".join(f'{name}="{escape(value)}"' for name, value in row.attrs.items())
    return mark_safe(f"<tr {attrs}>{''.join(cells)}</tr>")  # noqa: S308 - escaped


@register.inclusion_tag("segments/_sync_banner.html")
def sync_banner() -> dict:
    from segments.selectors import sync_banner as banner

    return {"sync_banner": banner()}
