"""Expiry policies applied through the normal write path, against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments import remote
from segments.models import Account, AuditEvent, ExpiryPolicy, PolicyRunItem, Segment
from segments.services.audit import Actor
from segments.services.policies import (
    policies_apply,
    policy_delete,
    policy_dry_run,
    policy_save,
    policy_set_paused,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def owner(synced):
    return make_user("ann", "Operator")


def busiest_account() -> int:
    from django.db.models import Count

    now = timezone.now()
    return (
        Segment.objects.visible()
        .filter(end_date__gt=now, end_date__lt=now + 60 * DAY)
        .values("account_id")
        .annotate(n=Count("segment_id"))
        .order_by("-n")
        .first()["account_id"]
    )


def new_policy(owner, **fields) -> ExpiryPolicy:
    values = {
        "name": "Keep ahead",
        "scope": ExpiryPolicy.Scope.ACCOUNT,
        "scope_value": str(busiest_account()),
        "min_days_ahead": 60,
        "step_days": 30,
        "ceiling_days": 180,
        **fields,
    }
    return policy_save(policy=ExpiryPolicy(**values), user=owner)


def remote_end(segment_id: int):
    with remote.segment_api() as client:
        return client.segment(segment_id=segment_id).end_date


def test_the_dry_run_is_what_the_run_changes(synced, owner):
    policy = new_policy(owner)
    now = timezone.now()
    planned = policy_dry_run(policies=[policy], now=now)
    assert planned, "the busiest account has segments ending within 60 days"
    synced.requests.clear()
    run = policies_apply(now=now)
    assert run.planned == len(planned)
    assert synced.requests.count("update_end_date") == len(planned)
    items = {i.segment_id: i for i in PolicyRunItem.objects.filter(run=run)}
    assert set(items) == {c.segment_id for c in planned}
    for change in planned:
        assert items[change.segment_id].outcome == AuditEvent.Outcome.DONE
        assert abs(remote_end(change.segment_id) - change.new_end) < timedelta(microseconds=1)
    # The audit names the policy and its creator as the actor.
    event = items[planned[0].segment_id].event
    assert event.username == "policy “Keep ahead” (created by ann)"
    assert event.action == AuditEvent.Action.EXTEND
    # Applied once: nothing left to do.
    assert policy_dry_run(policies=[policy]) == []


def test_a_ceiling_is_never_crossed(synced, owner):
    policy = new_policy(owner, min_days_ahead=60, step_days=90, ceiling_days=45)
    now = timezone.now()
    planned = policy_dry_run(policies=[policy], now=now)
    assert planned
    policies_apply(now=now)
    for change in planned:
        assert remote_end(change.segment_id) <= now + 45 * DAY


def test_two_policies_apply_the_larger_extension_once(synced, owner):
    small = new_policy(owner, name="small", step_days=10)
    large = new_policy(owner, name="large", step_days=40)
    now = timezone.now()
    alone = {
        p.pk: {c.segment_id: c.new_end for c in policy_dry_run(policies=[p], now=now)}
        for p in (small, large)
    }
    planned = policy_dry_run(policies=[small, large], now=now)
    assert {c.segment_id for c in planned} == set(alone[small.pk]) == set(alone[large.pk])
    for change in planned:
        assert change.new_end == max(
            alone[small.pk][change.segment_id], alone[large.pk][change.segment_id]
        )
    assert large.pk in {c.policy_id for c in planned}
    synced.requests.clear()
    policies_apply(now=now)
    assert synced.requests.count("update_end_date") == len(planned)
    items = PolicyRunItem.objects.values_list("segment_id", "policy_id")
    assert sorted(items) == sorted((c.segment_id, c.policy_id) for c in planned)


def test_paused_policies_and_exclusions_change_nothing(synced, owner):
    policy = new_policy(owner)
    planned = policy_dry_run(policies=[policy])
    policy.excluded = [planned[0].segment_id]
    policy_save(policy=policy, user=owner)
    assert planned[0].segment_id not in {c.segment_id for c in policy_dry_run(policies=[policy])}
    policy_set_paused(policy=policy, user=make_user("bob", "Operator"), paused=True)
    synced.requests.clear()
    run = policies_apply()
    assert run.planned == 0
    assert synced.requests.count("update_end_date") == 0
    edits = list(policy.edits.order_by("id"))
    assert [e.username for e in edits] == ["ann", "ann", "bob"]
    excluded = Segment.objects.get(segment_id=planned[0].segment_id)
    # Ids in the history come with the names they had (a bare number says little).
    account = Account.objects.get(pk=policy.scope_value)
    assert edits[0].changes["scope value"] == [None, f"{account.name} ({account.pk})"]
    assert edits[1].changes == {"exclusions": ["", f"{excluded.name} ({excluded.segment_id})"]}
    assert edits[2].changes == {"paused": ["no", "yes"]}
    policy_delete(policy=policy, actor=Actor(user=owner))
    gone = AuditEvent.objects.get(action=AuditEvent.Action.DELETE_POLICY)
    assert f"scope value {account.name} ({account.pk})" in gone.message
    assert f"exclusions {excluded.name} ({excluded.segment_id})" in gone.message


def test_a_policy_paused_while_its_run_goes_on_changes_nothing_more(synced, owner, monkeypatch):
    """Paused by an operator once the run had planned its changes (set up inside
    the planning: a moment the sandbox cannot choose)."""
    from segments.services import policies as services

    policy = new_policy(owner)
    planned = services.policy_dry_run

    def plan_then_pause(**kwargs):
        changes = planned(**kwargs)
        policy_set_paused(policy=policy, user=make_user("bob", "Operator"), paused=True)
        return changes

    monkeypatch.setattr(services, "policy_dry_run", plan_then_pause)
    synced.requests.clear()
    run = policies_apply()
    assert run.planned > 0
    assert synced.requests.count("update_end_date") == 0
    assert not run.items.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_policy_deleted_while_its_write_goes_out_leaves_the_run_whole(
    remote_settings, fresh_sandbox, monkeypatch
):
    """Deleted by an operator while the run's write was on its way (set up inside
    the write: a moment the sandbox cannot choose). Committed transactions: the
    run's report line would break the policy's foreign key at its commit."""
    from segments.services import policies as services
    from segments.services.sync import sync_run

    assert sync_run(full=True).ok
    owner = make_user("ann", "Operator")
    doomed = new_policy(owner)
    sent = services.segment_extend

    def send_then_delete(**kwargs):
        result = sent(**kwargs)
        services.policy_delete(policy=doomed, actor=Actor(user=owner))
        return result

    monkeypatch.setattr(services, "segment_extend", send_then_delete)
    run = policies_apply()
    assert run.finished_at is not None
    assert not ExpiryPolicy.objects.filter(pk=doomed.pk).exists()
    # The extension that went out is in the activity, in the deleted policy's name.
    assert AuditEvent.objects.filter(username__contains="Keep ahead", outcome="done").exists()


def test_a_segment_a_policy_extended_no_longer_ends_soon_in_the_alerts(synced, owner):
    from segments.alerts.services import alerts_evaluate
    from segments.models import Alert, AlertSubscription, Condition

    AlertSubscription.objects.create(user=owner, condition=Condition.ENDS_SOON, days=60)
    alerts_evaluate()
    policy = new_policy(owner)
    extended = {c.segment_id for c in policy_dry_run(policies=[policy])}
    assert extended
    ending = Alert.objects.filter(condition=Condition.ENDS_SOON, segment_id__in=extended)
    assert ending.filter(cleared_at__isnull=True).exists()
    policies_apply()
    # Cleared by the run itself, not at the next sync.
    assert ending.filter(cleared_at__isnull=False).exists()


def test_an_alert_on_a_segment_extended_within_the_window_says_its_new_end(synced, owner):
    from segments.alerts.services import alerts_evaluate
    from segments.models import Alert, AlertSubscription, Condition

    # Kept 60 days ahead, watched 120 days ahead: extended, still "ending soon".
    AlertSubscription.objects.create(user=owner, condition=Condition.ENDS_SOON, days=120)
    alerts_evaluate()
    policy = new_policy(owner)
    extended = {c.segment_id for c in policy_dry_run(policies=[policy])}
    policies_apply()
    alerts = Alert.objects.filter(
        condition=Condition.ENDS_SOON, segment_id__in=extended, cleared_at__isnull=True
    ).select_related("segment")
    assert alerts
    for alert in alerts:
        assert alert.values["end_date"] == alert.segment.end_date.isoformat()
        assert alert.segment.end_date.strftime("%Y-%m-%d") in alert.detail


def test_a_policy_racing_a_manual_extend_loses_cleanly(synced, owner):
    """An operator extends a segment on the platform after the policy read it: the
    policy's write is refused by the conflict guard, and the operator's date stands."""
    policy = new_policy(owner)
    now = timezone.now()
    [first, *_] = policy_dry_run(policies=[policy], now=now)
    manual_end = first.current_end + 7 * DAY
    with remote.segment_api() as client:
        client.update_end_date(segment_id=first.segment_id, end_date=manual_end)
    synced.requests.clear()
    run = policies_apply(now=now)
    item = PolicyRunItem.objects.get(run=run, segment_id=first.segment_id)
    assert item.outcome == AuditEvent.Outcome.CONFLICT
    assert item.failures_in_a_row == 0
    assert synced.requests.count("update_end_date") == run.planned - 1
    assert abs(remote_end(first.segment_id) - manual_end) < timedelta(microseconds=1)
    # The mirror now holds the platform's state; the next run plans from it.
    assert Segment.objects.get(pk=first.segment_id).end_date == remote_end(first.segment_id)


def test_three_failures_in_a_row_are_flagged_to_the_owner(
    synced, owner, mailoutbox, django_capture_on_commit_callbacks
):
    """Through the alerts: one alert per segment in the owner's inbox, mailed at once;
    a fourth failure raises nothing new; the next success clears them."""
    from segments.models import Alert, Condition, Notification
    from segments.selectors.policies import policy_flagged

    owner.email = "ann@example.com"
    owner.save()
    bystander = make_user("bob", "Operator")
    policy = new_policy(owner)
    synced.faults.set("update_end_date", status=503)
    for _ in range(2):
        policies_apply()
    assert not Alert.objects.filter(condition=Condition.POLICY_FAILING).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the urgent mail's task
        policies_apply()
    flagged = {i.segment_id for i in policy_flagged(policy=policy)}
    assert flagged
    alerts = Alert.objects.filter(condition=Condition.POLICY_FAILING, cleared_at__isnull=True)
    assert {a.segment_id for a in alerts} == flagged
    assert "“Keep ahead” could not extend it in 3 runs in a row" in alerts[0].detail
    inbox = Notification.objects.filter(user=owner, alert__condition=Condition.POLICY_FAILING)
    assert {n.alert.segment_id for n in inbox} == flagged
    assert not Notification.objects.filter(user=bystander).exists()
    # One immediate mail to the owner carrying every flagged segment.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ann@example.com"]
    assert "Policy keeps failing" in mailoutbox[0].body
    assert all(n.mailed_at for n in inbox)
    # A fourth failure: the same alerts, nothing new to hear.
    with django_capture_on_commit_callbacks(execute=True):
        policies_apply()
    assert Alert.objects.filter(condition=Condition.POLICY_FAILING).count() == len(flagged)
    assert len(mailoutbox) == 1
    # The next run succeeds: the streak ends and the alerts clear.
    synced.faults.clear()
    policies_apply()
    assert not policy_flagged(policy=policy).exists()
    assert not Alert.objects.filter(
        condition=Condition.POLICY_FAILING, cleared_at__isnull=True
    ).exists()


def test_the_owner_s_own_subscription_sets_the_channels_of_a_failing_policy(synced, owner):
    """An owner who subscribed to "policy keeps failing" without mail hears of their own
    policy in the app only; another operator subscribed to all segments hears too."""
    from segments.models import AlertSubscription, Condition, Notification

    owner.email = "ann@example.com"
    owner.save()
    AlertSubscription.objects.create(
        user=owner, condition=Condition.POLICY_FAILING, scope="audiences", email=False
    )
    watcher = make_user("wes", "Operator")
    AlertSubscription.objects.create(user=watcher, condition=Condition.POLICY_FAILING, urgent=True)
    new_policy(owner)
    synced.faults.set("update_end_date", status=503)
    for _ in range(3):
        policies_apply()
    mine = Notification.objects.filter(user=owner)
    assert mine.exists()
    assert not mine.filter(email=True).exists()
    assert Notification.objects.filter(user=watcher, urgent=True).count() == mine.count()


def test_a_sync_applies_the_active_policies(synced, owner):
    from segments.models import PolicyRun
    from segments.tasks import sync_platform

    policy = new_policy(owner)
    planned = policy_dry_run(policies=[policy])
    assert planned
    synced.requests.clear()
    assert sync_platform.call()["errors"] == []
    run = PolicyRun.objects.get()
    assert run.planned == len(planned)
    assert synced.requests.count("update_end_date") == len(planned)
    # Paused: the next sync changes nothing.
    policy_set_paused(policy=policy, user=owner, paused=True)
    sync_platform.call()
    assert PolicyRun.objects.count() == 1


@pytest.mark.parametrize("writes_fail", [False, True])
def test_after_a_sync_ends_soon_waits_for_the_policy_run(synced, owner, writes_fail):
    """A segment the policies are about to extend is not alerted (mailed, sent to the
    webhooks) and cleared a moment later; one the run fails to extend is alerted."""
    from segments.models import Alert, AlertSubscription, Condition, Notification
    from segments.tasks import sync_platform

    AlertSubscription.objects.create(user=owner, condition=Condition.ENDS_SOON, days=60)
    planned = {c.segment_id for c in policy_dry_run(policies=[new_policy(owner)])}
    assert planned
    if writes_fail:
        synced.faults.set("update_end_date", status=400, kind="json")
    assert sync_platform.call()["errors"] == []
    ends_soon = Alert.objects.filter(condition=Condition.ENDS_SOON)
    assert ends_soon.exclude(segment_id__in=planned).exists()  # the others, as ever
    of_planned = ends_soon.filter(segment_id__in=planned)
    if writes_fail:  # raised by the run's own evaluation, once it had failed
        assert of_planned.exists()
        assert not of_planned.filter(cleared_at__isnull=False).exists()
    else:
        assert not of_planned.exists()  # neither raised nor cleared
        assert not Notification.objects.filter(alert__segment_id__in=planned).exists()


def test_a_policy_run_that_crashes_still_evaluates_the_alerts(synced, owner, monkeypatch):
    """A bug in the run, not a platform fault (the sandbox cannot make the run itself
    crash): the segments it was to extend are alerted all the same, as is the sync's
    own evaluation after it."""
    from segments.models import Alert, AlertSubscription, Condition
    from segments.services import policies
    from segments.tasks import sync_platform

    def crash(*args, **kwargs):
        raise RuntimeError("a bug in the run")

    AlertSubscription.objects.create(user=owner, condition=Condition.ENDS_SOON, days=60)
    planned = {c.segment_id for c in policy_dry_run(policies=[new_policy(owner)])}
    monkeypatch.setattr(policies, "_apply_one", crash)
    alerted = Alert.objects.filter(condition=Condition.ENDS_SOON, segment_id__in=planned)
    with pytest.raises(RuntimeError):
        policies_apply()
    assert alerted.exists()
    alerted.delete()
    assert sync_platform.call()["alerts"] is not None  # the crash is logged, not raised
    assert alerted.exists()
