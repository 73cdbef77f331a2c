"""The expiry policy form: scope, rule, ceiling and exclusions, checked together."""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.http import QueryDict
from django.utils import timezone

from segments.fields import as_id
from segments.models import ExpiryPolicy, SavedView
from segments.selectors.audiences import account_ids_for, audience_in_catalogue
from segments.selectors.saved_views import table_selects_all
from segments.selectors.segments import segment_ids_known, segment_statuses

MAX_DAYS = 1825  # five years: no policy needs to look further


def days_field(label: str, *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, min_value=1, max_value=MAX_DAYS)


class PolicyForm(forms.ModelForm):
    min_days_ahead = days_field("Keep the end date at least (days ahead)")
    step_days = days_field("Extending by (days at a time)")
    ceiling_days = days_field("Never beyond (days from now)", required=False)
    excluded = forms.CharField(
        required=False,
        label="Exclusions",
        help_text="Segment ids this policy leaves alone, separated by commas or spaces.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The version of the policy this form was loaded with (its ``updated_at``), so that
    # saving it cannot undo, unseen, a change someone saved meanwhile.
    loaded = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ExpiryPolicy
        fields = (
            "name",
            "scope",
            "scope_view",
            "scope_value",
            "min_days_ahead",
            "step_days",
            "ceiling_days",
            "ceiling_date",
            "excluded",
        )
        labels = {
            "name": "Policy name",
            "scope_view": "Shared view",
            "scope_value": "Account, audience id, name part or status",
            "ceiling_date": "Never beyond (date)",
        }
        help_texts = {
            "scope_value": (
                "An account: its name or id (the Accounts page lists both). An audience:"
                " its id (the Audiences page). A name: part of the segments' names. A"
                " status: one, such as Active."
            ),
        }
        widgets = {"ceiling_date": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_view"].queryset = SavedView.objects.filter(shared=True)
        self.fields["scope_view"].required = False
        # A list in the model, ids separated by commas in the form.
        self.initial["excluded"] = ", ".join(str(i) for i in self.instance.excluded or [])
        if self.instance.pk:
            self.initial["loaded"] = self.instance.updated_at.isoformat()

    def clean_loaded(self):
        """The version sent back as it was given; anything else is a tampered or broken
        form, refused before it reaches a query (a year 1 date overflows SQLite's UTC)."""
        loaded = self.cleaned_data.get("loaded")
        now = timezone.now()
        if loaded is None:
            stale = bool(self.instance.pk)  # an edit's form without its version
        else:
            stale = not now - timedelta(days=36500) < loaded <= now
        if stale:
            raise forms.ValidationError("This form is out of date: open the policy again.")
        return loaded

    def clean_name(self) -> str:
        """A name no other policy has, in any case ("Keep ahead" and "keep ahead" would
        be two policies nobody tells apart in the activity)."""
        name = self.cleaned_data["name"].strip()
        others = ExpiryPolicy.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                f"A policy named “{others.first().name}” exists already: choose another name."
            )
        return name

    def clean_excluded(self) -> list[int]:
        raw = self.cleaned_data.get("excluded") or ""
        parts = [p for p in re.split(r"[\s,;]+", raw) if p]
        bad = [p for p in parts if not re.fullmatch(r"[0-9]{1,18}", p)]
        if bad:
            raise forms.ValidationError(f"Not segment ids: {', '.join(bad[:5])}.")
        ids = sorted({int(p) for p in parts})
        # A new id the mirror never held is a typo (one excluded before stays, gone or not).
        new = set(ids) - set(self.instance.excluded or [])
        if unknown := sorted(new - segment_ids_known(segment_ids=sorted(new))):
            listed = ", ".join(str(i) for i in unknown[:5])
            raise forms.ValidationError(
                f"No segment has the id{'s' if len(unknown) > 1 else ''} {listed}."
            )
        return ids

    def clean_ceiling_date(self):
        value = self.cleaned_data.get("ceiling_date")
        if value is not None:
            now = timezone.now()
            if value <= now:
                raise forms.ValidationError("The ceiling must be in the future.")
            if value > now + timedelta(days=MAX_DAYS):
                raise forms.ValidationError("The ceiling must be within five years.")
        return value

    def clean(self):
        data = super().clean()
        scope, value = data.get("scope"), (data.get("scope_value") or "").strip()
        kind = ExpiryPolicy.Scope
        if scope == kind.VIEW:
            view = data.get("scope_view")
            if not view:
                self.add_error("scope_view", "Choose the shared view this policy covers.")
            elif table_selects_all(QueryDict(view.query), user=view.owner):
                self.add_error(
                    "scope_view",
                    "This view filters nothing: the policy would extend every segment. "
                    "Choose a view with a filter.",
                )
            data["scope_value"] = ""
        elif scope:
            data["scope_view"] = None
            if "scope_value" in self.errors:
                pass  # said already (too long)
            elif scope == kind.ACCOUNT:
                value = self._account_id(value)
            elif scope == kind.AUDIENCE:
                value = self._audience_id(value)
            elif not value:
                self.add_error("scope_value", "Enter what the segments' name or status must be.")
            elif scope == kind.STATUS:
                value = self._status(value)
            data["scope_value"] = value
        self._check_ceiling(data)
        return data

    def _check_ceiling(self, data: dict) -> None:
        """A ceiling is given, and it lies beyond the end date the policy keeps (one
        nearer would have every run extend by a day or nothing)."""
        if "ceiling_days" in self.errors or "ceiling_date" in self.errors:
            return  # said already, of the field given
        days, date = data.get("ceiling_days"), data.get("ceiling_date")
        keep = data.get("min_days_ahead")
        if days is None and date is None:
            self.add_error("ceiling_days", "Give a ceiling: a number of days, a date, or both.")
        elif keep is not None:
            if days is not None and days <= keep:
                self.add_error(
                    "ceiling_days",
                    f"The ceiling must be further than the {keep} days ahead the policy keeps.",
                )
            if date is not None and date <= timezone.now() + timedelta(days=keep):
                self.add_error(
                    "ceiling_date",
                    f"The ceiling must be later than {keep} days from now, the end date the"
                    " policy keeps.",
                )

    def _account_id(self, text: str) -> str:
        """The id of the one account ``text`` names (its id or its name), as the policy
        stores it, or an error."""
        if not text:
            self.add_error("scope_value", "Enter the account's name or id.")
            return text
        ids = account_ids_for(text=text)
        if len(ids) == 1:
            return str(ids[0])
        if not ids:
            self.add_error("scope_value", "No account has that name or id.")
        else:
            self.add_error(
                "scope_value", f"{len(ids)} accounts have that name: enter the id of one."
            )
        return text

    def _status(self, text: str) -> str:
        """The status as the platform spells it (a policy matches it exactly), or an error."""
        statuses = segment_statuses()
        for status in statuses:
            if status.casefold() == text.casefold():
                return status
        self.add_error(
            "scope_value",
            f"No segment has that status. The statuses now are: {', '.join(statuses)}."
            if statuses
            else "No segment has that status (the mirror holds no segments yet).",
        )
        return text

    def _audience_id(self, text: str) -> str:
        """The audience id ``text`` gives, as the policy stores it, or an error."""
        if (audience_id := as_id(text)) is None:
            digits = re.fullmatch(r"[0-9]+", text)
            self.add_error(
                "scope_value",
                "No audience in the catalogue has that id."
                if digits
                else "Enter the audience id (digits only).",
            )
        elif not audience_in_catalogue(audience_id=audience_id):
            self.add_error("scope_value", "No audience in the catalogue has that id.")
        else:
            return str(audience_id)
        return text
