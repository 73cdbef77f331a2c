"""Filter forms. Every value comes from the URL, so every value is validated:
an invalid one is reported on the form and left out of the query."""

from __future__ import annotations

from django import forms

PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]
DEFAULT_PER_PAGE = 25
TRI_STATE = [("", "Any"), ("yes", "Yes"), ("no", "No")]
CONDITIONS = [("", "Any time"), ("gt", "after"), ("lt", "before"), ("eq", "on"), ("bt", "between")]


class TriStateField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=TRI_STATE,
            coerce=lambda v: v == "yes",
            empty_value=None,
            required=False,
            **kwargs,
        )


class PerPageField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=PER_PAGE_CHOICES,
            coerce=int,
            empty_value=DEFAULT_PER_PAGE,
            required=False,
            label="Rows",
            **kwargs,
        )


class FilterForm(forms.Form):
    """Base: ``filters()`` gives the cleaned values of the valid fields only."""

    def filters(self) -> dict:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

    @property
    def per_page(self) -> int:
        return self.filters().get("per_page") or DEFAULT_PER_PAGE

    @property
    def active_count(self) -> int:
        ignored = {"per_page", "sort", "page"}
        return sum(
            1 for k, v in self.filters().items() if k not in ignored and v not in (None, "", False)
        )


class SegmentFilterForm(FilterForm):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"placeholder": "Name, segment id or ref id", "type": "search"}
        ),
    )
    audience = forms.IntegerField(required=False, min_value=1, label="Audience id")
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    platform = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(required=False)
    country = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    active = TriStateField()
    is_recurring = TriStateField(label="Recurring")
    extend = TriStateField(label="Auto-extend")
    is_system_generated = TriStateField(label="System generated")
    ends = forms.ChoiceField(
        required=False,
        label="End date",
        choices=[
            ("", "Any"),
            ("expired", "Expired"),
            ("within", "Ends within N days"),
            ("between", "Ends between"),
        ],
    )
    within_days = forms.IntegerField(required=False, min_value=1, max_value=3650, label="N days")
    end_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    problems = forms.BooleanField(required=False, label="Has failed or no-data items")
    per_page = PerPageField()

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account"), *choices["account"]]
        self.fields["platform"].choices = [("", "Any platform"), *choices["platform"]]
        self.fields["status"].choices = [("", "Any status"), *choices["status"]]
        self.fields["country"].choices = [("", "Any country"), *choices["country"]]

    def clean(self):
        data = super().clean()
        start, end = data.get("end_from"), data.get("end_to")
        if start and end and start > end:
            self.add_error("end_to", "The end of the range must not be before its start.")
        return data


class AudienceFilterForm(FilterForm):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Name",
        widget=forms.TextInput(attrs={"placeholder": "Name contains", "type": "search"}),
    )
    type = forms.ChoiceField(
        required=False,
        choices=[("", "Lists and segments"), ("list", "Lists"), ("segment", "Segments")],
    )
    ids = forms.CharField(
        required=False,
        max_length=2000,
        label="Audience ids",
        widget=forms.TextInput(attrs={"placeholder": "e.g. 1001, 1002"}),
    )
    updated_condition = forms.ChoiceField(required=False, choices=CONDITIONS, label="Last updated")
    updated_value = forms.DateTimeField(
        required=False, label="Date", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    updated_from = forms.DateTimeField(
        required=False, label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    updated_to = forms.DateTimeField(
        required=False, label="To", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    refreshed_condition = forms.ChoiceField(
        required=False, choices=CONDITIONS, label="Last refreshed"
    )
    refreshed_value = forms.DateTimeField(
        required=False, label="Date", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    refreshed_from = forms.DateTimeField(
        required=False, label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    refreshed_to = forms.DateTimeField(
        required=False, label="To", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    per_page = PerPageField()

    def clean_ids(self) -> list[int]:
        text = self.cleaned_data["ids"]
        ids = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(
                    f"“{part[:20]}” is not an audience id: use whole numbers separated by commas."
                )
            ids.append(int(part))
        return ids

    def clean(self):
        data = super().clean()
        for prefix in ("updated", "refreshed"):
            condition = data.get(f"{prefix}_condition")
            if condition in ("gt", "lt", "eq") and not data.get(f"{prefix}_value"):
                self.add_error(f"{prefix}_value", "Give a date for this condition.")
            if condition == "bt":
                lower, upper = data.get(f"{prefix}_from"), data.get(f"{prefix}_to")
                if not lower:
                    self.add_error(f"{prefix}_from", "“Between” needs both dates.")
                if not upper:
                    self.add_error(f"{prefix}_to", "“Between” needs both dates.")
                if lower and upper and lower > upper:
                    self.add_error(
                        f"{prefix}_to", "The end of the range must not be before its start."
                    )
        return data
