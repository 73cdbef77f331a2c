"""Creating a CRM audience and activating an audience through the views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments.models import Segment
from tests.actions.support import HTMX, open_form, remote_segment

pytestmark = pytest.mark.django_db


def test_create_crm_audience(op_client, synced):
    fields = open_form(op_client, "/audiences/new/")
    response = op_client.post(
        "/audiences/new/",
        {**fields, "name": "CRM Winback 2027", "description": "", "campaign_id": "302"},
        headers=HTMX,
    )
    target = response.headers["HX-Redirect"]
    assert "CRM Winback 2027" in op_client.get(target).text


def test_activate_audience_on_an_account(op_client, synced):
    from segments.models import Account

    account = Account.objects.first()
    fields = open_form(op_client, "/audiences/1001/activate/")
    start = timezone.localtime() + timedelta(hours=1)
    response = op_client.post(
        "/audiences/1001/activate/",
        {
            **fields,
            "account": account.id,
            "name": "Lapsed buyers – activation",
            "description": "From Segment Desk",
            "start_date": start.strftime("%Y-%m-%dT%H:%M"),
            "end_date": (start + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        },
        headers=HTMX,
    )
    segment = Segment.objects.get(name="Lapsed buyers – activation")
    assert response.headers["HX-Redirect"] == f"/segments/{segment.segment_id}/"
    assert remote_segment(segment.segment_id).account_id == account.id


def test_activate_refuses_an_end_before_the_start(op_client, synced):
    fields = open_form(op_client, "/audiences/1001/activate/")
    response = op_client.post(
        "/audiences/1001/activate/",
        {
            **fields,
            "account": "201",
            "name": "x",
            "start_date": "2030-01-02T00:00",
            "end_date": "2030-01-01T00:00",
        },
        headers=HTMX,
    )
    assert "must be after the start date" in response.text
    assert synced.requests.count("activate_audience") == 0
