"""Login throttling: repeated wrong passwords lock out the user name and the
address, with a clear page; an admin can lift the lockout."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_repeated_wrong_passwords_lock_the_user_out(viewer, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "vera", "wrong").status_code == 200
    locked = attempt(client, "vera", "wrong")
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.text
    # The right password no longer logs in, from this address or another one.
    assert attempt(client, "vera", "pw-for-tests-only").status_code == 429
    assert attempt(Client(), "vera", "pw-for-tests-only", ip="10.9.9.9").status_code == 429
    assert "_auth_user_id" not in client.session

    call_command("axes_reset_username", "vera")
    response = attempt(client, "vera", "pw-for-tests-only")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(viewer.pk)


def test_one_address_guessing_many_users_is_locked_out(viewer, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{i}", "wrong", ip="10.6.6.6")
    assert attempt(client, "vera", "pw-for-tests-only", ip="10.6.6.6").status_code == 429
    assert attempt(Client(), "vera", "pw-for-tests-only", ip="10.1.1.1").status_code == 302


def test_an_admin_sees_and_can_delete_the_attempts(admin_client, viewer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "vera", "wrong")
    page = admin_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "vera" in page.text
