"""Operator writes that create something on the platform: a CRM audience, and a
segment by activating an audience on an account.

A create that fails after it may have reached the platform is looked up by
name before the operator is offered a retry: a retry of a create that was in
fact applied would make a second audience or segment.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from segments import remote
from segments.models import Account, Audience, AuditEvent, Segment
from segments.remote import AudienceQuery, DateRange, RemoteError, ValidationError
from segments.services.audit import Actor, audit_record, snapshot
from segments.services.mirror_store import segment_store
from segments.services.outcomes import (
    ActionResult,
    Outcome,
    despite,
    explain,
    failure_reason,
    no_answer,
    not_sent,
)

logger = logging.getLogger(__name__)
# How far around the create the catalogue is searched by its last-updated time.
LOOKUP_MARGIN = timedelta(minutes=10)


def _failed(actor, action, error, *, name: str, lookup_error=None, audience_id=None):
    """A create or activate failed and nothing by its name appeared: say which
    case it is (not sent, refused, not applied, or not known) and audit it."""
    reason, advice = failure_reason(error)
    what = "audience" if action == AuditEvent.Action.CREATE_AUDIENCE else "segment"
    if error.operation == "login":
        outcome, message = not_sent(error)
    elif isinstance(error, ValidationError):
        outcome, message = explain(error)
    elif lookup_error is not None:
        lookup_reason, _ = failure_reason(lookup_error)
        outcome, message = (
            Outcome.UNKNOWN,
            (
                f"Not confirmed: {reason} after the request was sent, and the platform could not "
                f"be searched for it ({lookup_reason}). Look for a {what} named “{name}” on the "
                "platform before trying again, so as not to create it twice."
            ),
        )
    elif no_answer(error):
        outcome, message = (
            Outcome.UNKNOWN,
            (
                f"Not confirmed: {reason} after the request was sent, and no {what} named "
                f"“{name}” is on the platform yet. It may still appear: look again in a minute "
                "before trying again, so as not to create it twice."
            ),
        )
    else:
        outcome = Outcome.FAILED
        message = (
            f"Not applied: {reason}, and no {what} named “{name}” was found on the "
            f"platform. {advice}"
        )
    audit_record(
        actor=actor,
        action=action,
        outcome=outcome,
        audience_id=audience_id,
        message=message,
        error=error,
    )
    logger.warning("%s of %s failed: %r", action, name, error)
    return ActionResult(outcome, message, error=error)


def _created_audience(*, name: str, since: datetime) -> int | None:
    """The id of a list audience named ``name``, updated around ``since``, that the
    mirror does not know yet (the one this create made); None if there is none."""
    window = DateRange("bt", lower=since - LOOKUP_MARGIN, upper=timezone.now() + LOOKUP_MARGIN)
    query = AudienceQuery(audience_type="list", page_size=100, last_updated=window)
    with remote.list_api() as client:
        found = [r.audience_id for r in client.iter_audiences(query) if r.audience_name == name]
    known = set(Audience.objects.filter(id__in=found).values_list("id", flat=True))
    new = [i for i in found if i not in known]
    return max(new) if new else None


def audience_create(
    *, actor: Actor, name: str, campaign_id: int, description: str = ""
) -> ActionResult:
    """Create a CRM audience on the platform and add it to the catalogue mirror."""
    action = AuditEvent.Action.CREATE_AUDIENCE
    started = timezone.now()
    error = answer = None
    try:
        with remote.segment_api() as client:
            created = client.create_crm_audience(
                name=name, campaign_id=campaign_id, description=description
            )
            answer = client.last_answer
        audience_id, last_updated = created.id, created.updated or created.created
    except RemoteError as exc:
        if exc.operation == "login" or isinstance(exc, ValidationError):
            return _failed(actor, action, exc, name=name)
        try:
            audience_id = _created_audience(name=name, since=started)
        except RemoteError as lookup_error:
            return _failed(actor, action, exc, name=name, lookup_error=lookup_error)
        if audience_id is None:
            return _failed(actor, action, exc, name=name)
        error, last_updated = exc, timezone.now()
    message = f"CRM audience “{name}” created (id {audience_id})."
    if error is not None:
        message += despite(error, "the platform lists it")
    with transaction.atomic():
        Audience.objects.update_or_create(
            id=audience_id,
            defaults={
                "type": Audience.Type.LIST,
                "name": name,
                "last_updated": last_updated,
                "synced_at": timezone.now(),
                "segments_dirty": True,
                "is_deleted": False,
            },
        )
        audit_record(
            actor=actor,
            action=action,
            outcome=Outcome.DONE,
            audience_id=audience_id,
            after={"name": name, "campaign_id": campaign_id},
            message=message,
            error=error,
            answer=answer,
        )
    return ActionResult(Outcome.DONE, message, details={"audience_id": audience_id})


def _activated(client, *, audience_id: int, account_id: int, name: str) -> remote.Segment | None:
    """The segment named ``name`` of this audience on this account that the mirror
    does not know yet (the one this activation made); None if there is none."""
    candidates = [
        s
        for s in client.segments_of_audience(audience_id=audience_id)
        if s.name == name and s.account_id == account_id
    ]
    known = set(
        Segment.objects.filter(segment_id__in=[s.segment_id for s in candidates]).values_list(
            "segment_id", flat=True
        )
    )
    new = [s for s in candidates if s.segment_id not in known]
    return max(new, key=lambda s: s.segment_id) if new else None


def audience_activate(
    *,
    actor: Actor,
    audience_id: int,
    account_id: int,
    name: str,
    description: str,
    start_date: datetime,
    end_date: datetime | None,
) -> ActionResult:
    """Activate an audience on a platform account: a new platform segment."""
    action = AuditEvent.Action.ACTIVATE
    error = answer = None
    with remote.segment_api() as client:
        try:
            created = client.activate_audience(
                audience_id=audience_id,
                account_id=account_id,
                name=name,
                description=description,
                start_date=start_date,
                end_date=end_date,
            )
            answer = client.last_answer
        except RemoteError as exc:
            if exc.operation == "login" or isinstance(exc, ValidationError):
                return _failed(actor, action, exc, name=name, audience_id=audience_id)
            try:
                created = _activated(
                    client, audience_id=audience_id, account_id=account_id, name=name
                )
            except RemoteError as lookup_error:
                return _failed(
                    actor,
                    action,
                    exc,
                    name=name,
                    lookup_error=lookup_error,
                    audience_id=audience_id,
                )
            if created is None:
                return _failed(actor, action, exc, name=name, audience_id=audience_id)
            error = exc
        try:
            confirmed = client.segment(segment_id=created.segment_id)
        except RemoteError as exc:
            logger.warning("read-back of segment %s failed: %r", created.segment_id, exc)
            confirmed = created
    account = Account.objects.filter(id=account_id).values_list("name", flat=True).first()
    message = f"Segment “{confirmed.name}” created on account {account or account_id}."
    if error is not None:
        message += despite(error, "the platform lists it")
    with transaction.atomic():
        stored = segment_store(record=confirmed)
        audit_record(
            actor=actor,
            action=action,
            outcome=Outcome.DONE,
            segment_id=confirmed.segment_id,
            audience_id=audience_id,
            after=snapshot(confirmed),
            message=message,
            error=error,
            answer=answer,
        )
    return ActionResult(Outcome.DONE, message, segment=stored)
