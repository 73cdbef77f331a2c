"""Reads of the audience catalogue and the platform accounts."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from segments.fields import as_id
from segments.filters import AudienceFilter
from segments.models import Account, Audience


def audience_filter(*, data: Any = None) -> AudienceFilter:
    """The catalogue filters bound to ``data`` over the catalogue, with segment counts."""
    queryset = Audience.objects.filter(is_deleted=False).annotate(
        segment_count=Count("segments", filter=Q(segments__is_deleted=False))
    )
    return AudienceFilter(data or {}, queryset)


def audience_list(*, filters: Any = None) -> QuerySet[Audience]:
    """Catalogue rows matching ``filters`` (the URL's query), with their segment counts."""
    return audience_filter(data=filters).qs


def audience_get(*, audience_id: int, active: bool = False) -> Audience:
    """One audience; 404 if unknown (or retired from the catalogue, if ``active``)."""
    conditions = {"is_deleted": False} if active else {}
    return get_object_or_404(Audience, id=audience_id, **conditions)


def account_list() -> QuerySet[Account]:
    return Account.objects.annotate(
        segment_count=Count("segments", filter=Q(segments__is_deleted=False))
    )


def account_choices() -> list[tuple[int, str]]:
    """Every platform account as (id, label), for a choice of account."""
    return [(account.id, str(account)) for account in Account.objects.all()]


def account_ids_for(*, text: str) -> list[int]:
    """The account ``text`` names: the one with that id if there is one, else the ids
    of the accounts whose name is ``text``, whatever its case (a name may be digits)."""
    account_id = as_id(text)
    if account_id is not None and Account.objects.filter(id=account_id).exists():
        return [account_id]
    return list(Account.objects.filter(name__iexact=text.strip()).values_list("id", flat=True))


def audience_in_catalogue(*, audience_id: int) -> bool:
    return Audience.objects.filter(id=audience_id, is_deleted=False).exists()


def audiences_in_catalogue(*, audience_ids: list[int]) -> set[int]:
    """Those of ``audience_ids`` the catalogue has."""
    found = Audience.objects.filter(id__in=set(audience_ids), is_deleted=False)
    return set(found.values_list("id", flat=True))
