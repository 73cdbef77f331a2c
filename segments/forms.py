"""The operator's action forms: each validated on the server, each submitted once.
(The tables' filter forms are the FilterSets' forms, in ``segments.filters``.)"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django import forms
from django.core import signing
from django.template.defaultfilters import pluralize
from django.utils import timezone

from segments.fields import BoundedDateTimeField, IdField
from segments.models import BulkRun
from segments.remote.records import parse_datetime
from segments.selectors.deletes import extend_blocked_by_delete
from segments.services.end_dates import (
    end_date_horizon_problem,
    end_date_problem,
    extension_base,
)
from segments.widgets import DateTimeLocalInput

PRESET_DAYS = (7, 30, 90)
# One-time form tokens are signed: only a token this server rendered is accepted.
FORM_TOKEN_SIGNER = signing.Signer(salt="segments.form-token")


def new_form_token() -> str:
    return FORM_TOKEN_SIGNER.sign(uuid.uuid4().hex)


class FormTokenField(forms.CharField):
    """A token this server signed; cleans to its unsigned value (what is claimed once)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(max_length=200, **kwargs)

    def clean(self, value):
        try:
            return FORM_TOKEN_SIGNER.unsign(super().clean(value))
        except signing.BadSignature:
            raise forms.ValidationError("This form is out of date: reload the page.") from None


class FocusFirstError(forms.Form):
    """Sent back with errors, the form's first visible field in error takes the focus
    (``autofocus``: the page on load, htmx once the swapped content is in); without
    one, the template's own default (a dialog's Cancel link) does."""

    field_in_error: str | None = None

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        names = [field] if field else list(error) if isinstance(error, dict) else []
        for name in names:
            if self.field_in_error is None and name in self.fields:
                widget = self.fields[name].widget
                if not widget.is_hidden:
                    self.field_in_error = name
                    widget.attrs["autofocus"] = True


class SubmissionForm(FocusFirstError):
    """A form with a one-time token, so a double submission is processed once."""

    form_token = FormTokenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_token"].initial = new_form_token()

    def renew_token(self) -> None:
        """After a processed submission, a re-rendered form is a new submission."""
        data = self.data.copy()
        data["form_token"] = new_form_token()
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


# A datetime-local input wants both: a day alone is "incomplete" to the browser.
END_DATE_HINT = "A day and a time, in your time zone."


class ExtendForm(SubmissionForm):
    preset = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(d, f"+{d} days") for d in PRESET_DAYS],
        widget=forms.HiddenInput,
    )
    new_end_date = BoundedDateTimeField(
        required=False,
        label="New end date",
        widget=DateTimeLocalInput,
        help_text=END_DATE_HINT,
    )
    expected_updated = SeenUpdatedField()

    def __init__(self, *args, segment, **kwargs):
        super().__init__(*args, **kwargs)
        self.segment = segment
        self.fields["expected_updated"].initial = segment.updated.isoformat()

    def preset_dates(self) -> list[tuple[int, datetime]]:
        """The presets that give an acceptable date (none past the horizon, or
        past the calendar for a segment whose end date is already that far)."""
        base = extension_base(self.segment.end_date)
        dates = []
        for days in PRESET_DAYS:
            try:
                moved = base + timedelta(days=days)
            except OverflowError:
                break
            if end_date_problem(new_end=moved, current_end=self.segment.end_date) is None:
                dates.append((days, moved))
        return dates

    @property
    def presets_from(self) -> str:
        expired = not self.segment.end_date or self.segment.end_date <= timezone.now()
        return "From now (the segment has ended)" if expired else "From the current end date"

    def clean(self):
        data = super().clean()
        if blocked := extend_blocked_by_delete(segment_id=self.segment.segment_id):
            raise forms.ValidationError(blocked)
        preset, chosen = data.get("preset"), data.get("new_end_date")
        if preset:
            try:
                data["new_end_date"] = extension_base(self.segment.end_date) + timedelta(
                    days=preset
                )
            except OverflowError:
                self.add_error("new_end_date", "This segment cannot be extended any further.")
                return data
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
    end_date = BoundedDateTimeField(
        required=False,
        label="Or set every end date to",
        widget=DateTimeLocalInput,
    )
    confirm_count = IdField(required=False, label="Type the number of segments")

    def __init__(self, *args, run, to_send: int, **kwargs):
        """``to_send``: the run's segments not being deleted already (those are only
        reported): the number a delete's confirmation asks for."""
        super().__init__(*args, **kwargs)
        self.run, self.to_send = run, to_send

    def clean(self):
        data = super().clean()
        if self.run.action == BulkRun.Action.EXTEND:
            if not data.get("days") and not data.get("end_date"):
                self.add_error("days", "Choose how far to extend, or a new end date.")
            if data.get("days") and data.get("end_date"):
                self.add_error("end_date", "Choose days or a date, not both.")
            if data.get("end_date") and (
                problem := end_date_problem(new_end=data["end_date"], current_end=None)
            ):
                self.add_error("end_date", problem)
        elif data.get("confirm_count") != self.to_send:
            self.add_error(
                "confirm_count",
                f"Type {self.to_send} to delete {self.to_send} "
                f"segment{pluralize(self.to_send)}: nothing was deleted.",
            )
        return data


class CreateAudienceForm(SubmissionForm):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    campaign_id = IdField(label="Campaign id")


class ActivateForm(SubmissionForm):
    account = forms.TypedChoiceField(coerce=int, label="Platform account")
    name = forms.CharField(max_length=200, label="Segment name")
    description = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = BoundedDateTimeField(widget=DateTimeLocalInput)
    end_date = BoundedDateTimeField(
        required=False,
        widget=DateTimeLocalInput,
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
        elif end and (problem := end_date_horizon_problem(end)):
            self.add_error("end_date", problem)
        return data


class RefreshForm(forms.Form):
    """What "Refresh from platform" refreshes: everything, one audience or one segment."""

    scope = forms.ChoiceField(
        choices=[("all", "all"), ("audience", "audience"), ("segment", "segment")],
        required=False,
    )
    id = IdField(required=False)
    full = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("scope") in ("audience", "segment") and not data.get("id"):
            self.add_error("id", f"which {data['scope']} to refresh is missing.")
        return data

    def problem(self) -> str:
        """What is wrong, in one clause: a scope or id the form does not know."""
        if "scope" in self.errors:
            return "unknown scope (it is all, audience or segment)."
        return self.errors["id"][0] if "id" in self.errors else "the request was not understood."
