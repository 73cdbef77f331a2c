"""After a failure that may have reached the platform, the dashboard reads the
segment back and tells the truth: applied, not applied, or not known. "Nothing
was sent" only when nothing was."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from segments import remote
from segments.models import AuditEvent, Segment
from segments.services.audit import Actor
from segments.services.platform_writes import segment_delete, segment_extend

pytestmark = pytest.mark.django_db
Outcome = AuditEvent.Outcome


@pytest.fixture
def target(synced):
    return (
        Segment.objects.visible()
        .filter(end_date__gt=synced.anchor + timedelta(days=2))
        .order_by("segment_id")
        .first()
    )


def platform(sandbox, segment_id):
    return remote.Segment.parse(sandbox.store.get_segment(segment_id))


def extend(operator, target, days=5):
    new_end = target.end_date + timedelta(days=days)
    result = segment_extend(
        actor=Actor(user=operator),
        segment_id=target.segment_id,
        new_end_date=new_end,
        expected_updated=target.updated,
    )
    return result, new_end


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500, "apply": True},
        {"status": 429, "apply": True, "retry_after": 1},
        {"kind": "disconnect", "apply": True},
        {"status": 502, "kind": "html", "apply": True},
    ],
)
def test_an_extend_applied_but_answered_with_an_error_is_reported_applied(
    synced, operator, target, fault
):
    synced.faults.set("update_end_date", **fault)
    result, new_end = extend(operator, target)
    assert result.outcome == Outcome.DONE, result.message
    assert "moved to" in result.message
    assert "read back shows it" in result.message
    target.refresh_from_db()
    assert target.end_date == new_end == platform(synced, target.segment_id).end_date
    event = AuditEvent.objects.get(action="extend")
    assert event.outcome == Outcome.DONE
    assert event.after["end_date"] == new_end.isoformat()
    if "status" in fault:
        assert event.remote_status == fault["status"]
        assert event.remote_request_id


def test_an_extend_answered_500_and_not_applied_says_not_applied(synced, operator, target):
    synced.faults.set("update_end_date", status=500)
    before = platform(synced, target.segment_id).end_date
    result, _ = extend(operator, target)
    assert result.outcome == Outcome.FAILED
    assert result.message.startswith("Not applied: the platform is unavailable")
    assert platform(synced, target.segment_id).end_date == before
    assert "may have been" not in result.message


@pytest.mark.parametrize(
    ("endpoint", "fault"),
    [("login", {"status": 500}), ("segment", {"status": 503}), ("login", {"status": 401})],
)
def test_a_failed_login_or_pre_read_says_nothing_was_sent(
    synced, operator, target, endpoint, fault
):
    synced.faults.set(endpoint, **fault)
    synced.store.expire_sessions()
    synced.requests.clear()
    result, _ = extend(operator, target)
    assert result.message.startswith("Nothing was sent:"), result.message
    assert synced.requests.count("update_end_date") == 0


def test_refused_credentials_say_who_can_fix_them(synced, operator, target, settings):
    settings.REMOTE = {**settings.REMOTE, "SEGMENT_API_PASSWORD": "wrong"}
    result, _ = extend(operator, target)
    assert result.message.startswith("Nothing was sent: the platform refused")
    assert "An admin must correct" in result.message
    assert "Try again in a minute" not in result.message


def test_an_unreadable_platform_after_the_write_is_not_known(synced, operator, target):
    synced.faults.set("update_end_date", status=500, apply=True)
    synced.faults.set("segment", status=503, after=1)  # the pre-read works, the read-back not
    result, _ = extend(operator, target)
    assert result.outcome == Outcome.UNKNOWN
    assert result.message.startswith("Not confirmed:")
    assert "may or may not have been applied" in result.message
    assert f"check segment {target.segment_id} on the platform" in result.message


def test_a_delete_applied_but_answered_500_is_reported_done(synced, operator, target):
    synced.faults.set("delete_segment", status=500, apply=True)
    result = segment_delete(
        actor=Actor(user=operator), segment_id=target.segment_id, expected_updated=target.updated
    )
    assert result.outcome == Outcome.DONE
    assert "gone when read back" in result.message
    target.refresh_from_db()
    assert target.is_deleted


def test_a_delete_answered_500_and_not_applied_says_so(synced, operator, target):
    synced.faults.set("delete_segment", status=500)
    result = segment_delete(
        actor=Actor(user=operator), segment_id=target.segment_id, expected_updated=target.updated
    )
    assert result.outcome == Outcome.FAILED
    assert result.message.startswith("Not applied:")
    assert "it still exists" in result.message
    target.refresh_from_db()
    assert not target.is_deleted


def test_a_preset_extend_moves_the_end_date_by_exactly_n_days(synced, operator, client, target):
    """The platform counts in 100-ns ticks: +7 days keeps the seventh digit."""
    from sandbox.data import TICKS_PER_SECOND, parse_ticks

    seven_digits = "2030-03-04T05:06:07.1234567Z"
    synced.store.touch_segment(target.segment_id, endDate=seven_digits)
    ticks = parse_ticks(seven_digits)
    end = remote.Segment.parse(synced.store.get_segment(target.segment_id))
    client.force_login(operator)
    url = f"/segments/{target.segment_id}/extend/"
    page = client.get(url).text
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    response = client.post(
        url,
        {"form_token": token, "expected_updated": end.updated.isoformat(), "preset": "7"},
    )
    assert response.status_code == 302
    moved = parse_ticks(synced.store.get_segment(target.segment_id)["endDate"])
    assert moved - ticks == 7 * 86_400 * TICKS_PER_SECOND


def test_a_create_applied_but_answered_500_is_found_by_name(synced, operator):
    from segments.models import Audience
    from segments.services.audience_writes import audience_create

    synced.faults.set("create_crm_audience", status=500, apply=True)
    result = audience_create(actor=Actor(user=operator), name="Lost answer list", campaign_id=1)
    assert result.outcome == Outcome.DONE, result.message
    assert "the platform lists it" in result.message
    assert Audience.objects.get(id=result.details["audience_id"]).name == "Lost answer list"
    assert synced.requests.count("create_crm_audience") == 1


def test_a_create_not_applied_offers_a_retry(synced, operator):
    from segments.services.audience_writes import audience_create

    synced.faults.set("create_crm_audience", status=500)
    result = audience_create(actor=Actor(user=operator), name="Never made", campaign_id=1)
    assert result.outcome == Outcome.FAILED
    assert result.message.startswith("Not applied:")
    assert "no audience named “Never made” was found" in result.message
    assert "refresh the segment" not in result.message.lower()


def test_an_activation_applied_but_answered_500_is_found_by_name(synced, operator):
    from segments.models import Account, Audience
    from segments.services.audience_writes import audience_activate

    audience = Audience.objects.filter(is_deleted=False).order_by("id").first()
    account = Account.objects.order_by("id").first()
    synced.faults.set("activate_audience", status=500, apply=True)
    result = audience_activate(
        actor=Actor(user=operator),
        audience_id=audience.id,
        account_id=account.id,
        name="Lost answer segment",
        description="",
        start_date=synced.anchor,
        end_date=synced.anchor + timedelta(days=30),
    )
    assert result.outcome == Outcome.DONE, result.message
    assert result.segment.name == "Lost answer segment"
    assert Segment.objects.filter(name="Lost answer segment", account_id=account.id).count() == 1
