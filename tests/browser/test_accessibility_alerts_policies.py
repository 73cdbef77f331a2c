"""axe-core on the pages of alerts (issue 10) and of expiry policies, deletes with
undo and saved views (issue 11), at a laptop and a phone width, with the same
helpers and bar as ``test_accessibility``: 0 violations of any impact, and no
sideways scrolling on a phone.

The pages are filled through the real services first (an inbox with alerts of
several conditions, a webhook whose deliveries failed, a policy with runs, a
flagged segment and edits, shared and personal views, a delete waiting out its
window), so axe sees the tables and badges a user sees, not empty states.

With ``SEGMENT_DESK_SCREENSHOTS`` set to a directory, each audited state is also
saved there as ``<width>-<name>.png`` (for a person to look at).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import User
from django.http import QueryDict
from playwright.sync_api import Page, expect

from segments.alerts.services import alerts_evaluate, subscription_create
from segments.alerts.webhook_endpoints import webhook_endpoint_create
from segments.models import Alert, Condition, ExpiryPolicy, Segment
from segments.services.audit import Actor
from segments.services.deletes import segment_delete_schedule
from segments.services.policies import policies_apply, policy_save
from segments.services.saved_views import saved_view_create
from segments.services.sync import sync_run
from tests.browser import BROWSER_TEST
from tests.browser.accessibility import (
    LAPTOP,
    PHONE,
    audit,
    dialog_open,
    sized_page,
)
from tests.browser.conftest import login
from tests.browser.pages import settled
from tests.test_policies import busiest_account

pytestmark = BROWSER_TEST

SHOTS = os.environ.get("SEGMENT_DESK_SCREENSHOTS")


def closed_port() -> int:
    """A local port nothing listens on: webhook posts to it fail at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def filled(mirror, sandbox, undo_window):
    """Alerts, a failing webhook, a policy with a flagged segment, views, a pending delete."""
    operator = User.objects.get(username="operator")
    admin = User.objects.get(username="admin")
    account = busiest_account()
    for condition in (Condition.ENDS_SOON, Condition.ANOMALY, Condition.PROBLEMS_ROSE):
        subscription_create(
            user=operator,
            condition=condition,
            scope="accounts" if condition == Condition.ENDS_SOON else "all",
            accounts=[account],
            audiences=[],
            days=14,
            email=False,
            urgent=False,
            time_zone="America/New_York",
        )
    webhook_endpoint_create(
        actor=Actor(user=admin),
        name="Ops channel",
        url=f"http://127.0.0.1:{closed_port()}/hooks/segment-desk",
        secret="s3cret",
        conditions=[Condition.ENDS_SOON, Condition.ANOMALY],
    )
    alerts_evaluate()
    # A day on the platform, and its sync: history, anomalies and rises.
    requests.post(f"{sandbox.control_url}/advance", json={"days": 1}, timeout=30)
    assert sync_run().ok
    alerts_evaluate()

    policy = policy_save(
        policy=ExpiryPolicy(
            name="Keep the busiest account ahead",
            scope=ExpiryPolicy.Scope.ACCOUNT,
            scope_value=str(account),
            min_days_ahead=60,
            step_days=30,
            ceiling_days=180,
        ),
        user=operator,
    )
    policy.step_days = 20
    policy_save(policy=policy, user=operator)
    sandbox.faults.set("update_end_date", status=503)
    for _ in range(3):  # three failures in a row: flagged, and alerted to the owner
        policies_apply()
    sandbox.faults.clear()

    saved_view_create(
        owner=operator,
        name="Active, by end",
        params=QueryDict("status=Active&sort=end_date"),
        shared=True,
    )
    saved_view_create(
        owner=operator,
        name="Mine: ending soon",
        params=QueryDict("ends=within&within_days=7"),
        shared=False,
    )
    doomed = Segment.objects.visible().order_by("end_date").first()
    scheduled = segment_delete_schedule(
        actor=Actor(user=operator), segment_id=doomed.pk, expected_updated=doomed.updated
    )
    assert scheduled.scheduled is not None
    anomalous = (
        Alert.objects.filter(condition=Condition.ANOMALY, cleared_at__isnull=True)
        .values_list("segment_id", flat=True)
        .first()
    )
    assert anomalous, "a day on the sandbox flags some anomaly"
    return {"policy": policy, "doomed": doomed, "anomalous": anomalous}


def check(page: Page, what: str, found: dict, *, phone: bool) -> None:
    """``audit`` (axe, and no sideways scrolling on a phone), plus the screenshot."""
    audit(page, what, found, phone=phone)
    if SHOTS:
        name = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        height = min(page.evaluate("document.documentElement.scrollHeight"), 2400)
        page.screenshot(
            path=f"{SHOTS}/{width}-{name}.png",
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
        )


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1400px", "390px"])
def test_axe_finds_nothing_on_the_alert_policy_view_and_undo_pages(new_context, filled, viewport):
    phone = viewport["width"] < 600
    found: dict[str, list[str]] = {}
    page = sized_page(new_context, viewport)
    login(page, "operator")
    policy, doomed = filled["policy"], filled["doomed"]

    # Alerts: the header's count, the inbox (with a failing policy among them).
    expect(page.locator("#alerts-unread")).to_have_text(re.compile(r"^\d+ unread"))
    page.goto("/alerts/")
    expect(page.locator("#inbox")).to_contain_text("Policy keeps failing")
    check(page, "alert inbox", found, phone=phone)
    page.goto("/alerts/?show=unread")
    check(page, "alert inbox, unread only", found, phone=phone)
    page.goto("/alerts/subscriptions/")
    check(page, "alert subscriptions", found, phone=phone)
    page.get_by_label("Segments", exact=True).select_option("accounts")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.locator(".error").first).to_contain_text("Choose at least one account")
    check(page, "alert subscriptions with an error", found, phone=phone)

    # The segment an anomaly was found on: the values compared, the chart's marker.
    page.goto(f"/segments/{filled['anomalous']}/")
    expect(page.locator("#anomaly")).to_be_visible()
    expect(page.locator(".anomaly-mark")).to_have_count(1)
    check(page, "segment detail with an anomaly", found, phone=phone)

    # Policies: the list, the detail (runs, the flagged segment, edit history), the
    # edit form, the delete confirmation, a new one with its dry run, and the form
    # with errors.
    page.goto("/policies/")
    check(page, "policy list", found, phone=phone)
    page.goto(f"/policies/{policy.pk}/")
    expect(page.locator("#flagged")).to_be_visible()
    check(page, "policy detail", found, phone=phone)
    page.goto(f"/policies/{policy.pk}/edit/")
    check(page, "policy edit form", found, phone=phone)
    page.goto(f"/policies/{policy.pk}/delete/")
    expect(page.get_by_role("link", name="Cancel")).to_be_focused()
    check(page, "policy delete confirmation", found, phone=phone)
    page.goto("/policies/new/")
    page.get_by_label("Policy name").fill("Dry run only")
    page.get_by_label("Scope").select_option("account")
    page.get_by_label("Account, audience id, name part or status").fill(str(busiest_account()))
    page.get_by_label("Keep the end date at least (days ahead)").fill("90")
    page.get_by_label("Extending by (days at a time)").fill("30")
    page.get_by_label("Never beyond (days from now)").fill("180")
    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("#dry-run h2")).to_have_text("Dry run: what this policy would change now")
    check(page, "policy form with a dry run", found, phone=phone)
    # No ceiling and an account id that is not one (the browser lets both through).
    page.goto("/policies/new/")
    page.get_by_label("Policy name").fill("No ceiling")
    page.get_by_label("Scope").select_option("account")
    page.get_by_label("Account, audience id, name part or status").fill("not an id")
    page.get_by_label("Keep the end date at least (days ahead)").fill("14")
    page.get_by_label("Extending by (days at a time)").fill("30")
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator("main")).to_contain_text("Give a ceiling")
    check(page, "policy form with errors", found, phone=phone)

    # Saved views: the page, the bar above the table with its save form and the
    # column chooser open.
    page.goto("/views/")
    check(page, "saved views", found, phone=phone)
    page.goto("/segments/")
    bar = page.locator("#saved-views")
    expect(bar.get_by_role("link", name="Active, by end")).to_be_visible()
    bar.get_by_text("Save this view").click()
    expect(bar.get_by_label("View name")).to_be_visible()
    page.locator(".column-chooser summary").click()
    expect(page.locator(".column-chooser input[type=checkbox]").first).to_be_visible()
    check(page, "segments with the view and column choosers open", found, phone=phone)

    # The delete waiting out its window: the row and the detail page count down.
    page.goto("/segments/?sort=end_date")
    row = page.locator(f"#segment-{doomed.pk}")
    expect(row.locator(".deleting [data-deadline]")).to_have_text(re.compile(r"^[0-5]:[0-5]\d$"))
    expect(row.get_by_role("button", name=f"Undo the delete of {doomed.name}")).to_be_visible()
    check(page, "segments with a delete to undo", found, phone=phone)
    page.goto(f"/segments/{doomed.pk}/")
    expect(page.locator("main")).to_contain_text("Deleting in")
    check(page, "segment detail with a delete to undo", found, phone=phone)
    page.goto(f"/segments/{doomed.pk}/delete/")
    check(page, "delete page with a delete scheduled", found, phone=phone)

    # A row's delete dialog, as the window announces it.
    page.goto("/segments/?sort=-end_date")
    page.locator("#table tbody tr").first.locator(".row-actions").get_by_text(
        "Delete", exact=True
    ).click()
    dialog_open(page)
    expect(page.locator("#dialog")).to_contain_text("in 5 minutes")
    check(page, "delete dialog with an undo window", found, phone=phone)
    page.keyboard.press("Escape")
    settled(page)

    # Team webhooks and the delivery log (as an admin).
    admin = sized_page(new_context, viewport)
    login(admin, "admin")
    admin.goto("/alerts/webhooks/")
    expect(admin.locator("#deliveries")).to_contain_text("Failed")
    check(admin, "team webhooks and delivery log", found, phone=phone)
    # A URL the dashboard refuses, and no condition chosen.
    admin.get_by_label("Name").fill("Not http")
    admin.get_by_label("URL").fill("ftp://example.com/hook")
    admin.get_by_label("Secret").fill("a-secret-of-twenty-chars")
    admin.get_by_role("button", name="Add webhook").click()
    expect(admin.locator(".error").first).to_be_visible()
    check(admin, "team webhooks with an error", found, phone=phone)

    assert not found, "\n".join(f"{what}: {problems}" for what, problems in found.items())
