"""The reading side's views: access, HTMX partials, bad input, export, refresh."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from segments.models import Audience, Segment, SyncState
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PAGES = ["/", "/segments/", "/audiences/", "/accounts/", "/segments/export.csv"]


@pytest.mark.parametrize("url", PAGES)
def test_login_is_required(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_the_login(client):
    """Not the login page swapped into a dialog or a panel: the page goes to the login,
    which brings the user back to it, not to the partial's URL."""
    page = "http://testserver/segments/123/?tab=notes"
    answer = client.post(
        "/segments/123/extend/",
        {"preset": "7"},
        headers={"HX-Request": "true", "HX-Current-URL": page},
    )
    assert answer.status_code == 200
    assert answer["HX-Redirect"] == "/login/?next=/segments/123/%3Ftab%3Dnotes"
    assert not answer.content
    plain = client.get("/segments/123/extend/")  # without HTMX: Django's redirect
    assert plain.status_code == 302
    assert plain.url == "/login/?next=/segments/123/extend/"


@pytest.mark.parametrize("url", PAGES)
def test_a_user_without_a_role_is_refused(client, url):
    client.force_login(make_user("nobody", None))
    assert client.get(url).status_code == 403


def test_login_page_logs_in(client, viewer):
    response = client.post(
        reverse("login"), {"username": "vera", "password": "pw-for-tests-only"}, follow=True
    )
    assert response.resolver_match.url_name == "overview"
    client.logout()
    bad = client.post(reverse("login"), {"username": "vera", "password": "nope"})
    assert "Please enter a correct username and password" in bad.text


def test_overview_counts_link_to_filtered_tables(viewer_client, synced):
    response = viewer_client.get("/")
    active = Segment.objects.visible().filter(status="Active").count()
    assert 'href="/segments/?status=Active"' in response.text
    assert re.search(rf"Active</span></span><span class=\"value\">{active:,}<", response.text)


def test_segments_full_page_and_htmx_partial(viewer_client, synced):
    full = viewer_client.get("/segments/?status=Active")
    assert "<html" in full.text
    assert 'id="table"' in full.text
    partial = viewer_client.get("/segments/?status=Active", headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    assert partial.text.lstrip().startswith('<div id="table"')
    rows = re.findall(r'<tr id="segment-(\d+)"', partial.text)
    assert len(rows) == 25
    statuses = Segment.objects.filter(segment_id__in=rows).values_list("status", flat=True)
    assert set(statuses) == {"Active"}


def test_sorting_paging_and_page_size(viewer_client, synced):
    response = viewer_client.get("/segments/?sort=-total_log_count&per_page=50&page=2")
    rows = [int(i) for i in re.findall(r'<tr id="segment-(\d+)"', response.text)]
    expected = list(
        Segment.objects.visible()
        .order_by("-total_log_count", "segment_id")
        .values_list("segment_id", flat=True)[50:100]
    )
    assert len(expected) == 50
    assert rows == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("ends=between&end_from=2026-13-45", "Enter a valid date"),
        ("audience=abc", "Enter a whole number"),
        ("within_days=-4&ends=within", "<strong>N days</strong>: Enter a whole number of days"),
        ("within_days=soon&ends=within", "<strong>N days</strong>: Enter a whole number of days"),
        ("per_page=100000", "“100000” rows a page is not offered: choose 25, 50 or 100."),
        (
            "status=NoSuchStatus",
            "<strong>Status</strong>: “NoSuchStatus” is not one of its choices.",
        ),
        ("active=maybe", "“maybe” is not one of its choices."),
    ],
)
def test_bad_filter_values_are_reported_not_fatal(viewer_client, synced, query, message):
    response = viewer_client.get(f"/segments/?{query}")
    assert response.status_code == 200
    assert "Some filters were ignored" in response.text
    assert message in response.text
    assert len(re.findall(r'<tr id="segment-', response.text)) == 25


@pytest.mark.parametrize(
    "query", ["page=99999", "page=-1", "page=abc", "sort=no_such_column", "sort=&page=0"]
)
def test_bad_paging_and_sorting_fall_back_to_a_valid_page(viewer_client, synced, query):
    response = viewer_client.get(f"/segments/?{query}")
    assert response.status_code == 200
    assert len(re.findall(r'<tr id="segment-', response.text)) > 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("ids=1001,abc", "is not an audience id"),
        ("updated_condition=bt&updated_from=2026-01-01T00:00", "needs both dates"),
        ("updated_condition=xx", "“xx” is not one of its choices."),
        ("refreshed_condition=eq&refreshed_value=yesterday", "Enter a valid date/time"),
    ],
)
def test_bad_audience_filters_are_reported(viewer_client, synced, query, message):
    response = viewer_client.get(f"/audiences/?{query}")
    assert response.status_code == 200
    assert message in response.text


def test_audiences_by_ids_and_between_dates(viewer_client, synced):
    response = viewer_client.get("/audiences/?ids=1001,%201003")
    assert re.findall(r'href="/audiences/(\d+)/"', response.text) == ["1001", "1003"]
    # Spaces alone separate them too, as in the policies' exclusions and the alerts.
    response = viewer_client.get("/audiences/?ids=1001%201003")
    assert re.findall(r'href="/audiences/(\d+)/"', response.text) == ["1001", "1003"]
    dates = sorted(Audience.objects.values_list("last_updated", flat=True))
    lower, upper = dates[10], dates[30]
    # datetime-local inputs carry the operator's wall time.
    response = viewer_client.get(
        "/audiences/",
        {
            "updated_condition": "bt",
            "updated_from": timezone.localtime(lower).strftime("%Y-%m-%dT%H:%M:%S"),
            "updated_to": timezone.localtime(upper).strftime("%Y-%m-%dT%H:%M:%S"),
            "per_page": 100,
        },
    )
    shown = {int(i) for i in re.findall(r'href="/audiences/(\d+)/"', response.text)}
    expected = set(
        Audience.objects.filter(last_updated__gte=lower, last_updated__lte=upper).values_list(
            "id", flat=True
        )
    )
    assert shown == expected
    assert len(expected) >= 20


def test_export_is_the_filtered_view_as_csv(viewer_client, synced):
    response = viewer_client.get("/segments/export.csv?status=Active")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["segment_id", "name", "status"]
    assert len(rows) - 1 == Segment.objects.visible().filter(status="Active").count()
    assert {row[2] for row in rows[1:]} == {"Active"}
    assert "sbx-secret" not in repr(rows)


def test_detail_page_and_unknown_segment(viewer_client, synced):
    segment = Segment.objects.visible().first()
    response = viewer_client.get(f"/segments/{segment.segment_id}/")
    assert segment.name in response.text
    assert f"{segment.total_segment_upload_count:,}" in response.text
    assert viewer_client.get("/segments/999999999/").status_code == 404


def test_refresh_with_the_remote_down_keeps_the_data_and_says_so(viewer_client, synced):
    before = Segment.objects.visible().count()
    synced.faults.set("*", status=503, kind="html")
    response = viewer_client.post(
        "/refresh/", {"scope": "all", "next": "/segments/"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "banner-error" in response.text
    assert "The refresh failed" in response.text
    assert "last successful sync" in response.text
    assert Segment.objects.visible().count() == before


def test_refresh_one_segment_reads_it_back(viewer_client, synced):
    segment = Segment.objects.visible().first()
    synced.store.touch_segment(segment.segment_id, name="Renamed on the platform")
    response = viewer_client.post(
        "/refresh/", {"scope": "segment", "id": segment.segment_id}, headers={"HX-Request": "true"}
    )
    assert response.headers["HX-Refresh"] == "true"
    segment.refresh_from_db()
    assert segment.name == "Renamed on the platform"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"scope": "bogus"}, "unknown scope (it is all, audience or segment)."),
        ({"scope": "segment"}, "which segment to refresh is missing."),
        ({"scope": "audience", "id": "x"}, "Nothing was refreshed: "),
    ],
)
def test_a_refresh_of_something_unknown_refreshes_nothing(viewer_client, synced, data, said):
    """It had fallen back to a refresh of the whole platform."""
    synced.requests.clear()
    response = viewer_client.post("/refresh/", data, headers={"HX-Request": "true"})
    assert said in response.text
    assert "Nothing was refreshed: " in response.text
    assert not synced.requests.count("platform_accounts")  # a sync's first call
    assert not SyncState.objects.filter(running_since__isnull=False).exists()


def test_pages_carry_a_nonce_csp(viewer_client, synced):
    response = viewer_client.get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert f'nonce="{nonce}"' in response.text
    assert "unsafe-inline" not in policy


def test_every_page_says_when_the_last_refresh_failed(viewer_client, synced):
    synced.faults.set("*", status=503, kind="html")
    viewer_client.post("/refresh/", {"scope": "all"})
    page = viewer_client.get("/segments/").text
    banner = page.split('id="sync-banner"')[1].split("</div>")[0]
    assert "The last refresh from the platform failed" in banner
    assert "last synced copy" in banner
    synced.faults.clear()
    viewer_client.post("/refresh/", {"scope": "all"})
    assert "The last refresh from the platform failed" not in viewer_client.get("/").text


def test_fields_shown_only_for_a_choice_are_rendered_hidden_until_chosen(viewer_client, synced):
    """Hidden by the server already (not only by the script after load), so the filter
    bar does not shift the page as it loads."""
    days = re.compile(r'<div class="field"\s+data-show-when="ends=within"( hidden)?>')
    plain = days.search(viewer_client.get("/segments/?view=all").text)
    chosen = days.search(viewer_client.get("/segments/?ends=within&within_days=7").text)
    assert plain
    assert plain.group(1) == " hidden"
    assert chosen
    assert chosen.group(1) is None


def test_a_deleted_segments_page_shows_it_deleted_not_its_last_status(viewer_client, synced):
    segment = Segment.objects.visible().filter(status="Active", end_date__gt=timezone.now()).first()
    live = viewer_client.get(f"/segments/{segment.segment_id}/").text
    assert re.search(r"<h1>.*Active</span></h1>", live)
    assert " d left" in live
    Segment.objects.filter(pk=segment.pk).update(is_deleted=True, deleted_at=timezone.now())

    page = viewer_client.get(f"/segments/{segment.segment_id}/").text
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert "Deleted" in heading
    assert "Active" not in heading
    assert " d left" not in page
    assert "its last status there: Active" in page


def test_pages_are_not_kept_by_the_browser(viewer_client, synced):
    """Back must show the table as it is now, not from the browser's cache."""
    for url in ("/", "/segments/", f"/segments/{Segment.objects.first().pk}/"):
        assert "no-store" in viewer_client.get(url)["Cache-Control"], url


def test_a_refusal_is_logged_in_one_line(client, caplog):
    """A 403 is an answer, not a fault: its traceback buried real errors in the log."""
    client.force_login(make_user("nobody", None))
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get("/segments/").status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /segments/"
    assert record.exc_info is None
