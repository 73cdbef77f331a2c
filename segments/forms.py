"""Filter forms. Every value comes from the URL, so every value is validated:
an invalid one is reported on the form and left out of the query."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from segments.models import AuditEvent, Review
from segments.remote.records import parse_datetime
from segments.services.actions import end_date_problem, extension_base

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
    review = forms.ChoiceField(
        required=False,
        label="Review",
        choices=[("", "Any review state"), ("none", "Not reviewed"), *Review.State.choices],
    )
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
        # A condition chosen before its dates is not an error yet: it filters nothing.
        for prefix in ("updated", "refreshed"):
            condition = data.get(f"{prefix}_condition")
            if condition == "bt":
                lower, upper = data.get(f"{prefix}_from"), data.get(f"{prefix}_to")
                if bool(lower) != bool(upper):
                    missing = f"{prefix}_to" if lower else f"{prefix}_from"
                    self.add_error(missing, "“Between” needs both dates.")
                if lower and upper and lower > upper:
                    self.add_error(
                        f"{prefix}_to", "The end of the range must not be before its start."
                    )
        return data


# --- operator actions ------------------------------------------------------------

SUBMISSION_ID_PATTERN = r"^[0-9a-f]{32}$"
PRESET_DAYS = (7, 30, 90)


class SubmissionForm(forms.Form):
    """A form with a one-time token, so a double submission is processed once."""

    form_token = forms.RegexField(regex=SUBMISSION_ID_PATTERN, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_token"].initial = uuid.uuid4().hex

    def renew_token(self) -> None:
        """After a processed submission, a re-rendered form is a new submission."""
        data = self.data.copy()
        data["form_token"] = uuid.uuid4().hex
        self.data = data


class SeenUpdatedField(forms.DateTimeField):
    """The segment's ``updated`` as the operator saw it, exact to the microsecond."""

    widget = forms.HiddenInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_datetime(value)
        except (TypeError, ValueError):
            raise forms.ValidationError("This form is out of date: reload the page.") from None


class ExtendForm(SubmissionForm):
    preset = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(d, f"+{d} days") for d in PRESET_DAYS],
        widget=forms.HiddenInput,
    )
    new_end_date = forms.DateTimeField(
        required=False,
        label="New end date",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    expected_updated = SeenUpdatedField()

    def __init__(self, *args, segment, **kwargs):
        super().__init__(*args, **kwargs)
        self.segment = segment
        self.fields["expected_updated"].initial = segment.updated.isoformat()

    def preset_dates(self) -> list[tuple[int, datetime]]:
        base = extension_base(self.segment.end_date)
        return [(days, base + timedelta(days=days)) for days in PRESET_DAYS]

    @property
    def presets_from(self) -> str:
        expired = not self.segment.end_date or self.segment.end_date <= timezone.now()
        return "From now (the segment has ended)" if expired else "From the current end date"

    def clean(self):
        data = super().clean()
        preset, chosen = data.get("preset"), data.get("new_end_date")
        if preset:
            data["new_end_date"] = extension_base(self.segment.end_date) + timedelta(days=preset)
        elif not chosen:
            if "new_end_date" not in self.errors:
                self.add_error("new_end_date", "Choose a preset or enter the new end date.")
            return data
        problem = end_date_problem(new_end=data["new_end_date"], current_end=self.segment.end_date)
        if problem:
            self.add_error("new_end_date", problem)
        return data


def _comparable(name: str) -> str:
    """A typed name matches whatever dashes, spacing and case the keyboard gave."""
    return " ".join(re.sub(r"[\u2010-\u2015\u2212]", "-", name).casefold().split())


class DeleteForm(SubmissionForm):
    confirm_name = forms.CharField(label="Type the segment's name to confirm", max_length=500)
    expected_updated = SeenUpdatedField()

    def __init__(self, *args, segment, **kwargs):
        super().__init__(*args, **kwargs)
        self.segment = segment
        self.fields["expected_updated"].initial = segment.updated.isoformat()

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"]
        if _comparable(typed) != _comparable(self.segment.name):
            raise forms.ValidationError("That is not the segment's name: nothing was deleted.")
        return typed


class BulkConfirmForm(SubmissionForm):
    days = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Add to each end date",
        choices=[("", "—"), *[(d, f"+{d} days") for d in PRESET_DAYS]],
    )
    end_date = forms.DateTimeField(
        required=False,
        label="Or set every end date to",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    confirm_count = forms.IntegerField(required=False, label="Type the number of segments")

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run

    def clean(self):
        data = super().clean()
        if self.run.action == "extend":
            if not data.get("days") and not data.get("end_date"):
                self.add_error("days", "Choose how far to extend, or a new end date.")
            if data.get("days") and data.get("end_date"):
                self.add_error("end_date", "Choose days or a date, not both.")
            if data.get("end_date") and data["end_date"] <= timezone.now():
                self.add_error("end_date", "The new end date must be in the future.")
        elif data.get("confirm_count") != self.run.total:
            self.add_error(
                "confirm_count",
                f"Type {self.run.total} to delete {self.run.total} segments: nothing was deleted.",
            )
        return data


class CreateAudienceForm(SubmissionForm):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    campaign_id = forms.IntegerField(min_value=1, label="Campaign id")


class ActivateForm(SubmissionForm):
    account = forms.TypedChoiceField(coerce=int, label="Platform account")
    name = forms.CharField(max_length=200, label="Segment name")
    description = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    end_date = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Choose an account"), *accounts]
        self.fields["start_date"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", "The end date must be after the start date.")
        return data


class ReviewForm(forms.Form):
    state = forms.ChoiceField(choices=Review.State.choices)


class NoteForm(forms.Form):
    text = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class ActivityFilterForm(FilterForm):
    user = forms.CharField(required=False, max_length=150, label="User")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *AuditEvent.Action.choices]
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditEvent.Outcome.choices]
    )
    segment = forms.IntegerField(required=False, min_value=1, label="Segment id")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    per_page = PerPageField()
