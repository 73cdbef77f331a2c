"""Reads for expiry policies: the segments each one covers, runs and their reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max, QuerySet, Subquery

from segments.fields import as_id
from segments.models import (
    Account,
    Audience,
    ExpiryPolicy,
    PolicyRunItem,
    ScheduledDelete,
    Segment,
)
from segments.models.policies import FAILURES_FLAGGED
from segments.policy_rules import Candidate, Scope
from segments.selectors.saved_views import saved_view_problems, saved_view_segments
from segments.selectors.segments import segment_names


def policy_segments(*, policy: ExpiryPolicy) -> QuerySet[Segment]:
    """Every visible segment in the policy's scope."""
    kind = ExpiryPolicy.Scope
    if policy.scope == kind.VIEW:
        return saved_view_segments(view=policy.scope_view)
    qs = Segment.objects.visible()
    value = policy.scope_value
    if policy.scope == kind.ACCOUNT:
        return qs.filter(account_id=int(value))
    if policy.scope == kind.AUDIENCE:
        return qs.filter(audience_id=int(value))
    if policy.scope == kind.NAME:
        return qs.filter(name__icontains=value)
    return qs.filter(status=value)


def policy_covers_any(*, policy: ExpiryPolicy) -> bool:
    """Whether any visible segment is in the policy's scope now."""
    return policy_segments(policy=policy).exists()


def policy_scopes(*, policies: list[ExpiryPolicy], now: datetime) -> list[Scope]:
    """Each policy with the segments it may change now: those ending before its minimum
    (the rest cannot change), without segments whose delete is scheduled."""
    deleting = ScheduledDelete.objects.filter(state__in=ScheduledDelete.OPEN).values("segment_id")
    scopes = []
    for policy in policies:
        rows = (
            policy_segments(policy=policy)
            .filter(end_date__gt=now, end_date__lt=now + timedelta(days=policy.min_days_ahead))
            .exclude(segment_id__in=deleting)
            .order_by()
            .values_list("segment_id", "end_date", "updated", "name")
        )
        scopes.append(
            Scope(
                policy_id=policy.pk or 0,
                rule=policy.rule,
                candidates=[Candidate(*row) for row in rows],
                excluded=frozenset(int(i) for i in policy.excluded),
            )
        )
    return scopes


def policy_flagged(*, policy: ExpiryPolicy) -> QuerySet[PolicyRunItem]:
    """Segments whose latest attempt under this policy was its 3rd (or later) failure in a row."""
    latest = (
        PolicyRunItem.objects.filter(policy=policy)
        .values("segment_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    return PolicyRunItem.objects.filter(
        id__in=Subquery(latest), failures_in_a_row__gte=FAILURES_FLAGGED
    ).order_by("segment_id")


def policy_extension_count(*, policy: ExpiryPolicy) -> int:
    """How many segments the policy has extended (its report's lines that were done)."""
    return policy.items.filter(outcome="done").count()


def policy_list() -> list[ExpiryPolicy]:
    return policy_scope_names(
        policies=list(ExpiryPolicy.objects.select_related("owner", "scope_view"))
    )


def policy_find(*, policy_id: int) -> ExpiryPolicy | None:
    return ExpiryPolicy.objects.select_related("owner", "scope_view").filter(pk=policy_id).first()


def policy_scope_names(*, policies: list[ExpiryPolicy]) -> list[ExpiryPolicy]:
    """Each policy with ``scope_name``: the name of the account or audience its scope
    holds the id of ("" when the mirror has none of that id), so a page need not show
    a bare number."""
    models = {ExpiryPolicy.Scope.ACCOUNT: Account, ExpiryPolicy.Scope.AUDIENCE: Audience}
    named = [(p, as_id(p.scope_value)) for p in policies if p.scope in models]
    names = {
        scope: dict(
            model.objects.filter(pk__in={i for p, i in named if p.scope == scope}).values_list(
                "pk", "name"
            )
        )
        for scope, model in models.items()
    }
    for policy in policies:
        policy.scope_name = ""
    for policy, scope_id in named:
        policy.scope_name = names[policy.scope].get(scope_id, "")
    return policies


def policy_exclusions(*, policy: ExpiryPolicy) -> list[tuple[int, str]]:
    """The segments the policy leaves alone, as (id, name) in its order ("" when the
    mirror has none of that id)."""
    names = segment_names(segment_ids=policy.excluded)
    return [(segment_id, names.get(segment_id, "")) for segment_id in policy.excluded]


def policy_recent_items(*, policy: ExpiryPolicy, limit: int = 50) -> list[PolicyRunItem]:
    """The policy's latest extensions with their audit events, newest first."""
    items = list(policy.items.select_related("event", "run").order_by("-id")[:limit])
    names = segment_names(segment_ids=[i.segment_id for i in items])
    for item in items:
        item.segment_name = names.get(item.segment_id, "")
    return items


def policy_scope_problems(*, policy: ExpiryPolicy) -> list[str]:
    """Why the policy currently covers nothing it should (its view's filters no longer hold)."""
    if policy.scope == ExpiryPolicy.Scope.VIEW and policy.scope_view is not None:
        return saved_view_problems(view=policy.scope_view)
    return []
