"""Who hears of which alert: every user's subscriptions and the defaults (admins hear
of a failing sync, a policy's owner of their policy failing), as recipients, and
whether an alert is within a recipient's scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import batched

from django.contrib.auth import get_user_model
from django.db.models import Q

from segments.models import Alert, AlertSubscription, Condition, ExpiryPolicy, Segment
from segments.selectors.team import assignees_of

DEFAULT_DAYS = 7
# The scope of a policy owner's default recipient: the segments their own policies
# keep failing on (not a choice of the subscription form).
OWN_POLICIES = "own_policies"
CHUNK = 900  # ids per query: below SQLite's oldest limit of 999 parameters


@dataclass(frozen=True)
class Recipient:
    """A subscription as the fan-out needs it (or an admin's default for the sync)."""

    user_id: int
    condition: str
    scope: str
    account_ids: frozenset
    audience_ids: frozenset
    days: int
    email: bool
    urgent: bool


def recipients() -> list[Recipient]:
    """Every active user's subscriptions, and the defaults (``default_recipients``)."""
    subscriptions = AlertSubscription.objects.filter(user__is_active=True)
    subscribed = [recipient(s) for s in subscriptions]
    return subscribed + default_recipients(subscribed=subscribed)


def default_recipients(*, subscribed: list[Recipient], user=None) -> list[Recipient]:
    """The defaults, given the subscriptions (of ``user`` alone, if given): admins hear
    of a failing sync unless they chose their own subscription for it; an expiry
    policy's owner always hears of their policy failing on a segment, by immediate mail
    unless their own subscriptions to that condition say otherwise (their channels)."""
    defaults = []
    chose = {r.user_id for r in subscribed if r.condition == Condition.SYNC_FAILING}
    admins = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__name="Admin"), is_active=True
    )
    owners = ExpiryPolicy.objects.filter(owner__is_active=True)
    if user is not None:
        admins, owners = admins.filter(pk=user.pk), owners.filter(owner=user)
    for user_id in set(admins.values_list("pk", flat=True)) - chose:
        defaults.append(_default(user_id, Condition.SYNC_FAILING, AlertSubscription.Scope.ALL))
    channels = defaultdict(list)
    for r in subscribed:
        if r.condition == Condition.POLICY_FAILING:
            channels[r.user_id].append(r)
    for user_id in set(owners.values_list("owner_id", flat=True)):
        own = channels.get(user_id)
        defaults.append(
            _default(
                user_id,
                Condition.POLICY_FAILING,
                OWN_POLICIES,
                email=any(r.email for r in own) if own else True,
                urgent=any(r.email and r.urgent for r in own) if own else True,
            )
        )
    return defaults


def recipient(s: AlertSubscription) -> Recipient:
    return Recipient(
        s.user_id,
        s.condition,
        s.scope,
        frozenset(s.account_ids),
        frozenset(s.audience_ids),
        s.days,
        s.email,
        s.urgent,
    )


def _default(user_id: int, condition: str, scope: str, *, email=True, urgent=True) -> Recipient:
    return Recipient(
        user_id, condition, scope, frozenset(), frozenset(), DEFAULT_DAYS, email, urgent
    )


def hearers(
    *, alerts: Sequence[Alert], recipients: Iterable[Recipient], segments: dict[int, tuple]
) -> Iterator[tuple[Alert, Recipient]]:
    """Each alert with each recipient who hears of it (``segments``: ``segment_rows``
    of the alerts' segments)."""
    assignees = assignees_of(segment_ids=[a.segment_id for a in alerts if a.segment_id])
    by_condition = defaultdict(list)
    for recipient in recipients:
        by_condition[recipient.condition].append(recipient)
    for alert in alerts:
        segment, assignee = segments.get(alert.segment_id), assignees.get(alert.segment_id)
        for recipient in by_condition[alert.condition]:
            if _matches(recipient, alert, segment, assignee):
                yield alert, recipient


def _matches(recipient: Recipient, alert: Alert, segment: tuple | None, assignee) -> bool:
    """Whether an alert of the recipient's condition is within its scope."""
    if alert.segment_id is None:
        return True
    days_left = alert.values.get("days_left", 0)
    if alert.condition == Condition.ENDS_SOON and days_left > recipient.days:
        return False
    _, account_id, audience_id = segment or (None, None, None)
    scope = recipient.scope
    if scope == OWN_POLICIES:
        return recipient.user_id in {p["owner_id"] for p in alert.values.get("policies", [])}
    return (
        scope == AlertSubscription.Scope.ALL
        or (scope == AlertSubscription.Scope.ACCOUNTS and account_id in recipient.account_ids)
        or (scope == AlertSubscription.Scope.AUDIENCES and audience_id in recipient.audience_ids)
        or (scope == AlertSubscription.Scope.ASSIGNED and assignee == recipient.user_id)
    )


def segment_rows(segment_ids: Sequence[int]) -> dict[int, tuple]:
    rows = {}
    for chunk in batched(segment_ids, CHUNK, strict=False):
        for row in Segment.objects.filter(segment_id__in=chunk).values_list(
            "segment_id", "name", "account_id", "audience_id"
        ):
            rows[row[0]] = row[1:]
    return rows
