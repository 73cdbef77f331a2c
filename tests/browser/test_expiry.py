"""Expiry policies and saved views in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from segments.models import ExpiryPolicy, SavedView, ScheduledDelete, Segment
from segments.services.deletes import scheduled_deletes_run_due
from tests.browser import BROWSER_TEST
from tests.browser.conftest import login
from tests.test_policies import busiest_account

pytestmark = BROWSER_TEST


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
    page.get_by_label("Account, audience id, name part or status").fill(str(busiest_account()))
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
    # Saved again under that name: refused, and the earlier success is no longer shown.
    bar.get_by_text("Save this view").click()
    bar.get_by_label("View name").fill("Team status view")
    bar.get_by_role("button", name="Save view").click()
    expect(bar.locator(".error, .errorlist").first).to_contain_text("already")
    expect(page.locator("#messages .banner-success")).to_have_count(0)

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
    # The colleague opens with it; its owner, deleting it, is asked first and told so.
    colleague.goto("/views/")
    colleague.get_by_role("row", name=re.compile("Team status view")).get_by_role(
        "button", name="Make default"
    ).click()
    expect(colleague.locator("#messages")).to_contain_text("now opens with “Team status view”")
    other.close()
    page.goto("/views/")
    delete = page.get_by_role("button", name="Delete view Team status view")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    delete.click()
    expect(page.get_by_role("cell", name=re.compile("default view of viewer"))).to_be_visible()
    assert len(asked) == 1
    assert "It is the default view of viewer" in asked[0]
    assert SavedView.objects.filter(name="Team status view").exists()
    page.once("dialog", lambda d: d.accept())
    delete.click()
    expect(page.locator("#messages")).to_contain_text(
        "View “Team status view” deleted. It was the default view of viewer"
    )
    assert not SavedView.objects.filter(name="Team status view").exists()


def test_a_taken_view_name_is_refused_beside_the_field_and_the_filters_stay(
    operator_page: Page,
):
    page = operator_page
    SavedView.objects.create(
        owner=User.objects.get(username="operator"), name="Mine", query="per_page=50"
    )
    page.goto("/segments/")
    page.get_by_label("Status").select_option(index=1)
    expect(page).to_have_url(re.compile(r"status="))
    filtered = page.url
    bar = page.locator("#saved-views")
    bar.get_by_text("Save this view").click()
    bar.get_by_label("View name").fill("Mine")
    bar.get_by_role("button", name="Save view").click()

    # The error shows at once, beside the name, which has the focus and keeps the text.
    name = page.locator("#saved-views").get_by_label("View name")
    expect(page.locator("#id_name_error")).to_have_text("You already have a view named “Mine”.")
    expect(page.locator("#id_name_error")).to_be_visible()
    expect(name).to_be_focused()
    expect(name).to_have_value("Mine")
    expect(name).to_have_attribute("aria-describedby", "id_name_error")
    assert page.url == filtered

    name.fill("Mine, filtered")
    page.locator("#saved-views").get_by_role("button", name="Save view").click()
    expect(page.locator("#messages .banner-success")).to_contain_text("“Mine, filtered” saved")
    assert "status=" in SavedView.objects.get(name="Mine, filtered").query
    expect(page).to_have_url(re.compile(r"status="))


def test_a_viewer_saves_a_personal_view_and_has_no_share_box(page: Page, mirror):
    login(page, "viewer")
    page.goto("/segments/?q=a")
    bar = page.locator("#saved-views")
    bar.get_by_text("Save this view").click()
    expect(bar.get_by_label("View name")).to_be_visible()
    expect(bar.get_by_label("Share with the team")).to_have_count(0)
    bar.get_by_label("View name").fill("Vera's view")
    bar.get_by_role("button", name="Save view").click()
    expect(page.locator("#messages .banner-success")).to_contain_text("“Vera's view” saved.")
    view = SavedView.objects.get(name="Vera's view")
    assert not view.shared
    assert view.owner.username == "viewer"


def test_undo_on_a_segment_s_page_leaves_focus_on_what_happened(
    operator_page: Page, sandbox, undo_window
):
    """The page reloads after Undo; focus had been on the body, Undo being gone."""
    page = operator_page
    segment = Segment.objects.visible().filter(end_date__gt=timezone.now()).first()
    page.goto(f"/segments/{segment.pk}/")
    page.get_by_role("link", name="Delete…").click()
    box = page.locator("#dialog")
    box.get_by_label("Type the segment's name to confirm").fill(segment.name)
    box.get_by_role("button", name="Delete segment").click()
    expect(page.locator("#deleting")).to_contain_text("Deleting in")
    page.locator("#deleting").get_by_role("button", name="Undo").press("Enter")
    outcome = page.locator("#messages .banner-success")
    expect(outcome).to_contain_text("undone: nothing was sent")
    expect(outcome).to_be_focused()
    page.keyboard.press("Tab")  # and the keyboard goes on from there, into the page
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_back_after_a_bulk_delete_shows_the_table_as_it_is_now(
    operator_page: Page, sandbox, undo_window
):
    """Back restored the page from the browser's cache: the row still ticked and
    offering Delete, for a segment already being deleted."""
    page = operator_page
    segment = Segment.objects.visible().filter(end_date__gt=timezone.now()).first()
    page.goto(f"/segments/?q={segment.pk}")
    row = page.locator(f"#table tbody tr#segment-{segment.pk}")
    row.locator("input[type=checkbox]").check()
    page.locator("#bulk-form").get_by_role("button", name="Delete…").click()
    box = page.locator("#dialog")
    box.get_by_label("Type 1 to delete 1 segment").fill("1")
    box.get_by_role("button", name="Delete 1").click()
    expect(page).to_have_url(re.compile(r"/bulk/\d+/$"))
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/segments/\?q={segment.pk}$"))
    row = page.locator(f"#table tbody tr#segment-{segment.pk}")
    expect(row.locator(".deleting")).to_contain_text("Deleting in")
    expect(row.locator("input[type=checkbox]")).not_to_be_checked()


def test_undo_a_delete_before_its_deadline(operator_page: Page, sandbox, undo_window):
    page = operator_page
    page.goto("/segments/?ends=within&within_days=30")
    target = page.locator("#table tbody tr").nth(1)
    segment_id = int(target.get_attribute("id").removeprefix("segment-"))
    name = Segment.objects.get(pk=segment_id).name
    sandbox.requests.clear()

    target.locator(".row-actions").get_by_text("Delete", exact=True).click()
    box = page.locator("#dialog")
    expect(box).to_contain_text("in 5 minutes")
    box.get_by_label("Type the segment's name to confirm").fill(name)
    box.get_by_role("button", name="Delete segment").click()
    expect(box).to_be_hidden()
    expect(page.locator("#messages .banner-success")).to_contain_text("until then it can be undone")

    # The row counts down, with Undo.
    row = page.locator(f"#table tbody tr#segment-{segment_id}")
    countdown = row.locator(".deleting [data-deadline]")
    expect(countdown).to_have_text(re.compile(r"^[45]:[0-5]\d$"))
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first)  # it ticks
    row.get_by_role("button", name=f"Undo the delete of {name}").click()
    expect(page.locator("#messages .banner-success")).to_contain_text("undone: nothing was sent")
    expect(row.locator(".row-actions").get_by_text("Delete", exact=True)).to_be_visible()

    scheduled = ScheduledDelete.objects.get(segment_id=segment_id)
    assert scheduled.state == ScheduledDelete.State.CANCELLED
    assert scheduled_deletes_run_due(now=scheduled.deadline + timedelta(seconds=1)) == 0
    assert sandbox.requests.count("delete_segment") == 0


def test_a_policy_saved_meanwhile_is_not_undone_by_a_stale_form(operator_page: Page):
    """Another operator saves the policy while this page's form is open: Save shows
    what they changed, focused (read out), and the form as the policy now is."""
    from segments.services.policies import policy_save

    page = operator_page
    policy = ExpiryPolicy.objects.create(
        name="Keep ahead",
        scope="account",
        scope_value=str(busiest_account()),
        min_days_ahead=60,
        step_days=30,
        ceiling_days=180,
    )
    page.goto(f"/policies/{policy.pk}/edit/")
    other = User.objects.create_user("olga")
    policy.ceiling_days = 150
    policy_save(policy=policy, user=other)
    page.get_by_label("Extending by (days at a time)").fill("45")
    page.get_by_role("button", name="Save policy").click()
    banner = page.locator("#policy-changed")
    expect(banner).to_contain_text("Not saved: this policy was changed since you loaded it")
    expect(banner).to_contain_text("never beyond (days from now) “180” → “150”")
    expect(banner).to_be_focused()
    expect(page.get_by_label("Never beyond (days from now)")).to_have_value("150")
    expect(page.get_by_label("Extending by (days at a time)")).to_have_value("30")
    policy.refresh_from_db()
    assert (policy.ceiling_days, policy.step_days) == (150, 30)
