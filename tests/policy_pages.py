"""Helpers of the expiry policy page tests: a logged-in client, the form's fields."""

from __future__ import annotations

import re

from django.test import Client

from tests.test_policies import busiest_account


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**fields) -> dict:
    return {
        "name": "Keep ahead",
        "scope": "account",
        "scope_value": str(busiest_account()),
        "min_days_ahead": "60",
        "step_days": "30",
        "ceiling_days": "180",
        "ceiling_date": "",
        "excluded": "",
        **fields,
    }


def loaded_form(client, policy) -> dict:
    """The edit form's fields as the page sends them (the version it was loaded with)."""
    page = client.get(f"/policies/{policy.pk}/edit/").text
    loaded = re.search(r'name="loaded" value="([^"]+)"', page).group(1)
    return {**form_data(), "loaded": loaded, "intent": "save"}
