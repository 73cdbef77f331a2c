"""Form fields bounded to what the database and Python's dates can hold.

Every number and date from a URL or a form goes through one of these: an id
beyond 64 bits, a Unicode digit such as "²", or a date whose next day does not
exist is reported as invalid instead of reaching the database or date
arithmetic (and failing there with a 500).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django import forms

ID_MIN, ID_MAX = 1, 2**63 - 1  # the ids are 64-bit integer columns
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2999, 12, 31)
DATE_RANGE_ERROR = "Enter a date between 1900 and 2999."


class IdField(forms.IntegerField):
    """A positive 64-bit id."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", ID_MIN)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


def as_id(value: str) -> int | None:
    """``value`` as an id if it is one, else ``None`` (for search boxes)."""
    try:
        return IdField().clean(value)
    except forms.ValidationError:
        return None


class IdsField(forms.CharField):
    """Ids separated by commas, semicolons or spaces (as the policies' exclusions and
    the alert subscriptions take them); ``what`` names them in errors."""

    def __init__(self, *, what: str = "id", **kwargs):
        self.what = what
        super().__init__(**kwargs)

    def clean(self, value) -> list[int]:
        ids = []
        for part in re.split(r"[\s,;]+", super().clean(value)):
            if not part:
                continue
            if (number := as_id(part)) is None:
                raise forms.ValidationError(
                    f"“{part[:20]}” is not an {self.what}: use whole numbers separated by "
                    "commas or spaces."
                )
            ids.append(number)
        return ids


class MultipleIdsField(forms.Field):
    """A list of ids (e.g. the checked rows); values that are not ids are dropped."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return [number for v in values if (number := as_id(str(v))) is not None]


class BoundedDateField(forms.DateField):
    def clean(self, value):
        day = super().clean(value)
        if day is not None and not DATE_MIN <= day <= DATE_MAX:
            raise forms.ValidationError(DATE_RANGE_ERROR)
        return day


class BoundedDateTimeField(forms.DateTimeField):
    def clean(self, value):
        moment = super().clean(value)
        if moment is not None and not DATE_MIN <= _utc_date(moment) <= DATE_MAX:
            raise forms.ValidationError(DATE_RANGE_ERROR)
        return moment


def _utc_date(moment: datetime) -> date:
    try:
        return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    except OverflowError:
        return date.max if moment.year > 1 else date.min
