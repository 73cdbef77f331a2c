"""Form inputs the browser shows natively: one declaration each."""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's ``datetime-local`` picker: the operator's wall time, to the minute."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format="%Y-%m-%dT%H:%M"):
        super().__init__(attrs, format)
