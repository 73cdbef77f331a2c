"""Forms of the alert pages: a subscription, a team webhook."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from segments.alerts.webhooks import webhook_url_validate
from segments.models import Account, AlertSubscription, Condition

Scope = AlertSubscription.Scope


def _ids(text: str) -> list[int]:
    try:
        return sorted({int(part) for part in text.replace(",", " ").split()})
    except ValueError:
        raise ValidationError("Enter audience ids as numbers, separated by commas.") from None


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
        min_value=1,
        max_value=365,
        initial=7,
        label="Ends within (days)",
        help_text="For “ends soon”.",
    )
    email = forms.BooleanField(required=False, initial=True, label="Also by email")
    urgent = forms.BooleanField(
        required=False, label="Mail at once (otherwise in the daily digest)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = Account.objects.values_list("id", "name")

    def clean_audiences(self) -> list[int]:
        return _ids(self.cleaned_data["audiences"])

    def clean(self):
        data = super().clean()
        if data.get("scope") == Scope.ACCOUNTS and not data.get("accounts"):
            self.add_error("accounts", "Choose at least one account.")
        if data.get("scope") == Scope.AUDIENCES and not data.get("audiences"):
            self.add_error("audiences", "Enter at least one audience id.")
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
