"""The segments table's active filters as chips: "label: value", each with the URL
of the same table without that filter, or on one line for a saved view (pure: it
reads the validated form only)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.formats import date_format

from segments.filters import EXPIRING_DAYS

# A filter whose value is spelled out by other fields of the form: removing the
# chip removes those too.
PARTS = {"ends": ("within_days", "end_from", "end_to")}
NOT_FILTERS = ("per_page", *(part for parts in PARTS.values() for part in parts))
# The URL of a table with no filter left: a plain /segments/ would open the
# user's default view instead.
NO_FILTERS = "view=all"


@dataclass(frozen=True)
class Chip:
    name: str
    label: str
    value: str
    url: str


def filter_chips(*, form, params: QueryDict) -> tuple[list[Chip], str]:
    """One chip per valid active filter of the bound ``form``, in the form's order, and
    the URL that clears them all (sort, page size and columns kept; page reset)."""
    chips = [
        Chip(name, label, text, _without(params, name, *PARTS.get(name, ())))
        for name, label, text in _active_filters(form)
    ]
    clear = _without(params, *(name for name in form.fields if name != "per_page"))
    return chips, clear


def filters_in_words(*, form) -> str:
    """The bound ``form``'s valid active filters on one line ("" for none):
    "Account: Acme Retail · The Trade Desk; End date: within 14 days"."""
    return "; ".join(f"{label}: {text}" for _, label, text in _active_filters(form))


def _active_filters(form):
    """(name, label, value in words) of each valid active filter, in the form's order."""
    values = form.valid_values()
    for name, field in form.fields.items():
        value = values.get(name)
        if name not in NOT_FILTERS and _active(field, value):
            yield name, str(field.label), _value_text(name, field, value, values)


def _active(field, value) -> bool:
    # A checkbox's False is "not asked"; a yes/no choice's False is "no".
    if isinstance(field, forms.BooleanField):
        return bool(value)
    return value not in (None, "")


def _value_text(name: str, field, value, values: dict) -> str:
    if name == "ends" and value == "within":
        return f"within {values.get('within_days') or EXPIRING_DAYS} days"
    if name == "ends" and value == "between":
        start, end = values.get("end_from"), values.get("end_to")
        return " – ".join(date_format(day, "j M Y") if day else "…" for day in (start, end))
    if isinstance(field, forms.BooleanField):
        return "yes"
    choices = {str(key): label for key, label in getattr(field, "choices", ())}
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return str(choices.get(str(value), value))


def _without(params: QueryDict, *names: str) -> str:
    kept = params.copy()
    for name in (*names, "page"):
        kept.pop(name, None)
    query = kept.urlencode() or NO_FILTERS
    return f"{reverse('segment-list')}?{query}"
