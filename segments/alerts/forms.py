"""Forms of the alert pages: a subscription, a team webhook."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from segments.alerts.recipients import DEFAULT_DAYS
from segments.alerts.webhooks import webhook_url_validate
from segments.fields import as_id
from segments.models import Account, AlertSubscription, Condition
from segments.permissions import OPERATE
from segments.selectors.audiences import audiences_in_catalogue

Scope = AlertSubscription.Scope


def _audience_ids(text: str) -> list[int]:
    """The audience ids ``text`` lists, each one in the catalogue."""
    parts = text.replace(",", " ").split()
    ids = [as_id(part) for part in parts]
    if None in ids:
        raise ValidationError("Enter audience ids as numbers, separated by commas.")
    unknown = sorted(set(ids) - audiences_in_catalogue(audience_ids=ids))
    if unknown:
        listed = ", ".join(str(i) for i in unknown[:5])
        plural = "ids" if len(unknown) > 1 else "id"
        raise ValidationError(f"No audience in the catalogue has the {plural} {listed}.")
    return sorted(set(ids))


class SubscriptionForm(forms.Form):
    condition = forms.ChoiceField(choices=Condition.choices)
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.ALL, label="Segments")
    accounts = forms.TypedMultipleChoiceField(
        coerce=int, required=False, help_text="For “chosen accounts”."
    )
    audiences = forms.CharField(
        required=False, label="Audience ids", help_text="For “chosen audiences”: 1001, 1002"
    )
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        initial=DEFAULT_DAYS,
        label="Ends within (days)",
        help_text="For “ends soon”.",
    )
    email = forms.BooleanField(required=False, initial=True, label="Also by email")
    urgent = forms.BooleanField(
        required=False, label="Mail at once (otherwise in the daily digest)"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = Account.objects.values_list("id", "name")
        if not user.has_perm(OPERATE):  # a viewer is assigned no segment
            scope = self.fields["scope"]
            scope.choices = [c for c in Scope.choices if c[0] != Scope.ASSIGNED]
            scope.error_messages["invalid_choice"] = (
                "Choose which segments: “assigned to me” is for operators, who are assigned"
                " segments; a viewer is assigned none."
            )

    def clean_audiences(self) -> list[int]:
        return _audience_ids(self.cleaned_data["audiences"])

    def clean(self):
        data = super().clean()
        condition, scope = data.get("condition"), data.get("scope")
        if scope == Scope.ACCOUNTS and not data.get("accounts"):
            self.add_error("accounts", "Choose at least one account.")
        if scope == Scope.AUDIENCES and not (data.get("audiences") or self.has_error("audiences")):
            self.add_error("audiences", "Enter at least one audience id.")
        if condition == Condition.SYNC_FAILING and scope and scope != Scope.ALL:
            self.add_error(
                "scope",
                "“Scheduled sync failing” concerns the whole platform: choose all segments.",
            )
        if data.get("days") is None and not self.has_error("days"):
            if condition == Condition.ENDS_SOON:
                self.add_error("days", "Enter within how many days a segment ending concerns you.")
            data["days"] = DEFAULT_DAYS  # kept, unused by the other conditions
        if data.get("urgent") and not data.get("email"):
            self.add_error("urgent", "Mail at once needs “Also by email”.")
        return data


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(max_length=1000, label="URL", assume_scheme="https")
    secret = forms.CharField(
        min_length=16,
        max_length=200,
        widget=forms.PasswordInput,
        help_text="At least 16 characters; the receiver checks the signature with it. "
        "It is never shown again.",
    )
    conditions = forms.MultipleChoiceField(
        choices=Condition.choices, widget=forms.CheckboxSelectMultiple
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        webhook_url_validate(url)
        return url
