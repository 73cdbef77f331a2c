"""Expiry policies: saving them with their edit history, and applying them.

A run plans every active policy at one moment (``segments.policy_rules``) and
writes each change through ``segment_extend``: platform first, the conflict
guard on the ``updated`` the policy saw, read-back, audit. A segment that
changed meanwhile (an operator extended it) is a conflict and is planned again
from its new state at the next run; a failure is retried at the next run, and
the third failure in a row of one segment under one policy is flagged on the
policy page and, through the alerts ("policy keeps failing", evaluated at the end
of each run), to the policy's owner.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from segments import remote
from segments.alerts.services import alerts_evaluate
from segments.models import (
    AuditEvent,
    Condition,
    ExpiryPolicy,
    ExpiryPolicyEdit,
    PolicyRun,
    PolicyRunItem,
)
from segments.models.policies import FAILURES_FLAGGED
from segments.policy_rules import Change, plan
from segments.selectors.policies import (
    policy_extension_count,
    policy_scope_names,
    policy_scopes,
)
from segments.selectors.segments import segment_names
from segments.services.audit import Actor, audit_record
from segments.services.platform_writes import segment_extend

logger = logging.getLogger(__name__)
Outcome = AuditEvent.Outcome
FAILURES = (Outcome.FAILED, Outcome.REFUSED)

# The fields an edit history records, by the label it gives them (the form's labels
# speak of N, M and K days, which a history line does not explain).
EDITED_FIELDS = {
    "name": "name",
    "scope": "scope",
    "scope_view": "shared view",
    "scope_value": "scope value",
    "min_days_ahead": "days kept ahead",
    "step_days": "days per extension",
    "ceiling_date": "never beyond (date)",
    "ceiling_days": "never beyond (days from now)",
    "excluded": "exclusions",
    "paused": "paused",
}


def policy_dry_run(*, policies: list[ExpiryPolicy], now: datetime | None = None) -> list[Change]:
    """What applying ``policies`` (saved or not) would change now."""
    now = now or timezone.now()
    return plan(policy_scopes(policies=policies, now=now), now=now)


def _shown(policy: ExpiryPolicy, name: str, segment_names: dict[int, str]) -> str:
    """A field as a history line says it: an id with the name it has now."""
    if name == "scope":
        return policy.get_scope_display()
    value = getattr(policy, name)
    if name == "scope_value" and policy.scope_name:
        return f"{policy.scope_name} ({value})"
    if name == "excluded":
        return ", ".join(
            f"{segment_names[i]} ({i})" if i in segment_names else str(i) for i in value
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):  # the form's are in the operator's zone, stored UTC
        return value.astimezone(UTC).isoformat()
    return "" if value is None else str(value)


class PolicyChanged(Exception):
    """The policy was saved by someone else since the form was loaded: saving the form
    would undo their change unseen. ``edits``: what they changed, oldest first."""

    def __init__(self, policy: ExpiryPolicy, edits: list[ExpiryPolicyEdit]):
        super().__init__(f"policy {policy.pk} changed since it was loaded")
        self.policy, self.edits = policy, edits


class PolicyNameTaken(Exception):
    """Another policy took the name meanwhile (two creates at once)."""


def _as_shown(*policies: ExpiryPolicy) -> list[dict[str, str]]:
    """Each policy's edited fields as its history says them, by label."""
    policy_scope_names(policies=list(policies))
    names = segment_names(segment_ids={i for p in policies for i in p.excluded})
    return [
        {label: _shown(p, name, names) for name, label in EDITED_FIELDS.items()} for p in policies
    ]


def _changes(before: ExpiryPolicy | None, policy: ExpiryPolicy) -> dict:
    if before is None:
        return {label: [None, new] for label, new in _as_shown(policy)[0].items()}
    old, new = _as_shown(before, policy)
    return {label: [old[label], new[label]] for label in new if old[label] != new[label]}


def policy_save(*, policy: ExpiryPolicy, user, loaded: datetime | None = None) -> ExpiryPolicy:
    """Create or update ``policy``; every change is recorded with who made it.

    ``loaded``: the ``updated_at`` the form was loaded with. If fields the form holds
    were saved since, ``PolicyChanged``. A save that changes nothing writes nothing.
    Raises ``ExpiryPolicy.DoesNotExist`` if it was deleted meanwhile, and
    ``PolicyNameTaken`` if a policy of that name was made meanwhile."""
    with transaction.atomic():
        before = None
        if policy.pk:
            before = ExpiryPolicy.objects.select_for_update().get(pk=policy.pk)
        changes = _changes(before, policy)
        if before is not None and not changes:
            return before  # what is asked is what it is: a second submit, a stale Pause
        if before is not None and loaded is not None and before.updated_at != loaded:
            since = [
                edit
                for edit in before.edits.filter(at__gt=loaded).order_by("at")
                if set(edit.changes) - {EDITED_FIELDS["paused"]}
            ]
            if since:  # a pause or resume meanwhile is not in the form: nothing to undo
                raise PolicyChanged(before, since)
        if before is None:
            policy.owner = policy.owner or user
        policy.updated_at = timezone.now()
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError as error:
            if ExpiryPolicy.objects.filter(name__iexact=policy.name).exclude(pk=policy.pk).exists():
                raise PolicyNameTaken(policy.name) from error
            raise
        if changes:
            ExpiryPolicyEdit.objects.create(
                policy=policy,
                user=user,
                username=user.get_username(),
                changes=changes,
                at=policy.updated_at,
            )
    return policy


def policy_set_paused(*, policy: ExpiryPolicy, user, paused: bool) -> bool:
    """Pause or resume the policy as it is now (not as the caller loaded it); returns
    whether that changed it (a stale tab's second Pause does not)."""
    with transaction.atomic():
        current = ExpiryPolicy.objects.select_for_update().get(pk=policy.pk)
        if current.paused == paused:
            return False
        current.paused = paused
        policy_save(policy=current, user=user)
    return True


def policy_delete(*, policy: ExpiryPolicy, actor: Actor) -> bool:
    """Delete the policy with its edit history and its report lines, and audit who
    deleted it and what it was. The extensions it made stay in the activity (audit
    events), attributed to it by name. Returns whether it was there to delete."""
    extensions = policy_extension_count(policy=policy)
    was = _as_shown(policy)[0]
    described = "; ".join(f"{k} {v}" for k, v in was.items() if v and k != "name")
    with transaction.atomic():
        deleted, _ = ExpiryPolicy.objects.filter(pk=policy.pk).delete()
        if not deleted:
            return False
        made = f"{extensions} extension{pluralize(extensions)}" if extensions else "no extension"
        audit_record(
            actor=actor,
            action=AuditEvent.Action.DELETE_POLICY,
            outcome=Outcome.DONE,
            before=was,
            message=f"Expiry policy “{policy.name}” deleted; it had made {made}. "
            f"It was: {described}.",
        )
        # Its "keeps failing" alerts are about nothing now: cleared at once.
        transaction.on_commit(lambda: alerts_evaluate(only={Condition.POLICY_FAILING}), robust=True)
    return True


def policy_actor(policy: ExpiryPolicy) -> Actor:
    """A policy acts in its own name: the activity page shows it, and who created it."""
    owner = policy.owner.get_username() if policy.owner else "a deleted user"
    name = f"policy “{policy.name}” (created by {owner})"[:150]
    return Actor(user=get_user_model()(username=name))


def policies_after_sync() -> None:
    """After every sync (whether or not it completed: each write reads the segment
    first), in the sync's own task, apply the active policies."""
    if ExpiryPolicy.objects.filter(paused=False).exists():
        policies_apply()


def policies_apply(*, now: datetime | None = None) -> PolicyRun:
    """Apply every active policy once, through the normal write path."""
    now = now or timezone.now()
    try:
        policies = {
            p.pk: p for p in ExpiryPolicy.objects.filter(paused=False).select_related("owner")
        }
        changes = policy_dry_run(policies=list(policies.values()), now=now)
        run = PolicyRun.objects.create(started_at=now, planned=len(changes))
        if changes:
            with remote.segment_api() as client:
                for change in changes:
                    # Paused or deleted since the run began: it changes nothing more.
                    if ExpiryPolicy.objects.filter(pk=change.policy_id, paused=False).exists():
                        _apply_one(run, policies[change.policy_id], change, client)
        PolicyRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    finally:
        # A streak that reached 3 (or ended) is raised (or cleared) now, not at the next
        # sync; so is "ends soon" of a segment the run extended (a digest would say it)
        # or failed to: after a crash of the run too.
        try:
            alerts_evaluate(only={Condition.POLICY_FAILING, Condition.ENDS_SOON})
        except Exception:  # the run and its report stand; the next sync evaluates again
            logger.exception("alert evaluation after a policy run failed")
    run.refresh_from_db()
    return run


def _apply_one(run: PolicyRun, policy: ExpiryPolicy, change: Change, client) -> None:
    actor = policy_actor(policy)
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = segment_extend(
        actor=actor,
        segment_id=change.segment_id,
        new_end_date=change.new_end,
        expected_updated=change.updated,
        client=client,
    )
    event = AuditEvent.objects.filter(
        id__gt=last_event, segment_id=change.segment_id, username=actor.user.username
    ).first()
    failures = 0
    if result.outcome in FAILURES:
        last = (
            PolicyRunItem.objects.filter(policy=policy, segment_id=change.segment_id)
            .order_by("-id")
            .values_list("failures_in_a_row", flat=True)
            .first()
        )
        failures = (last or 0) + 1
    try:
        with transaction.atomic():
            PolicyRunItem.objects.create(
                run=run,
                policy=policy,
                segment_id=change.segment_id,
                outcome=result.outcome,
                event=event,
                failures_in_a_row=failures,
            )
    except IntegrityError:  # deleted while its write went out: the audit event has it
        logger.info("policy %s was deleted during run %s", policy.pk, run.pk)
        return
    if failures == FAILURES_FLAGGED:
        logger.warning(
            "policy %s failed %s runs in a row on segment %s: %s",
            policy.pk,
            FAILURES_FLAGGED,
            change.segment_id,
            result.message,
        )
