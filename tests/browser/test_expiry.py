"""Expiry policies and saved views in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from segments.models import ExpiryPolicy, SavedView
from tests.browser.conftest import login
from tests.test_policies import busiest_account

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def operator_page(page: Page, mirror) -> Page:
    login(page, "operator")
    return page


def dry_run_ids(page: Page) -> list[str]:
    links = page.locator("#dry-run-table tbody a")
    return [
        re.search(r"/segments/(\d+)/", h).group(1)
        for h in links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    ]


def test_create_a_policy_with_a_dry_run(operator_page: Page):
    page = operator_page
    page.get_by_role("link", name="Policies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Expiry policies")
    page.get_by_role("link", name="New policy").click()
    page.get_by_label("Policy name").fill("Keep the busiest account alive")
    page.get_by_label("Scope").select_option("account")
    expect(page.get_by_label("Shared view")).to_be_hidden()
    page.get_by_label("Account id, audience id, name part or status").fill(str(busiest_account()))
    page.get_by_label("Keep the end date at least (days ahead)").fill("60")
    page.get_by_label("Extending by (days at a time)").fill("30")
    page.get_by_label("Never beyond (days from now)").fill("180")
    page.get_by_role("button", name="Dry run").click()

    expect(page.locator("#dry-run h2")).to_have_text("Dry run: what this policy would change now")
    planned = dry_run_ids(page)
    assert planned
    expect(page.locator("#dry-run")).to_contain_text(f"{len(planned)} segment")
    assert not ExpiryPolicy.objects.exists()
    # The form kept what was typed.
    expect(page.get_by_label("Policy name")).to_have_value("Keep the busiest account alive")

    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Keep the busiest account alive")
    expect(page.locator("#messages .banner-success")).to_contain_text("saved")
    assert dry_run_ids(page) == planned
    expect(page.get_by_role("button", name="Pause")).to_be_visible()


def test_save_and_share_a_view(operator_page: Page, browser):
    page = operator_page
    page.goto("/segments/")
    status = page.get_by_label("Status")
    chosen = status.locator("option").nth(1).get_attribute("value")
    status.select_option(chosen)
    expect(page).to_have_url(re.compile(r"status="))
    page.locator("#table th a", has_text="Log events").click()
    expect(page).to_have_url(re.compile(r"sort="))
    rows = page.locator("#table tbody tr").evaluate_all("rows => rows.map(r => r.id)")

    bar = page.locator("#saved-views")
    bar.get_by_text("Save this view").click()
    bar.get_by_label("View name").fill("Team status view")
    bar.get_by_label("Share with the team").check()
    bar.get_by_role("button", name="Save view").click()

    expect(page.locator("#messages .banner-success")).to_contain_text(
        "View “Team status view” saved and shared with the team."
    )
    view = SavedView.objects.get(name="Team status view")
    assert view.shared
    assert "sort=" in view.query
    assert f"status={chosen}" in view.query.replace("+", " ")
    expect(page.locator("#saved-views a.current")).to_have_text("Team status view")
    assert page.locator("#table tbody tr").evaluate_all("rows => rows.map(r => r.id)") == rows

    # A colleague sees it above the table and opens exactly that table.
    other = browser.new_context(base_url=page.url.split("/segments")[0])
    colleague = other.new_page()
    login(colleague, "viewer")
    colleague.goto("/segments/")
    colleague.locator("#saved-views").get_by_role("link", name="Team status view").click()
    expect(colleague).to_have_url(re.compile(r"sort="))
    expect(colleague.locator("#saved-views a.current")).to_have_text("Team status view")
    got = colleague.locator("#table tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    assert got == rows
    other.close()
