"""What expiry policies would do to segments, as pure functions.

The dry run and the scheduled run both call ``plan()``, so the dry run shows
exactly what a run at the same moment changes. No database, no remote here:
the callers pass the segments each policy covers.

A policy keeps a segment's end date at least ``min_days_ahead`` days after
now. A segment below that is moved in whole steps of ``step_days``: the fewest
steps that bring it to ``min_days_ahead``, in one write. The ceiling (a date,
``days`` from now, or both: the earlier counts) is never crossed; the step that
would cross it stops at the ceiling. Segments already expired, with no end
date, or excluded are left alone: reviving an expired segment is an operator's
decision. When several policies cover a segment, the largest new end date wins
and is written once, attributed to its policy (the lowest id on a tie).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple


@dataclass(frozen=True)
class Rule:
    min_days_ahead: int
    step_days: int
    ceiling_date: datetime | None = None
    ceiling_days: int | None = None

    def ceiling(self, now: datetime) -> datetime | None:
        limits = [self.ceiling_date] if self.ceiling_date else []
        if self.ceiling_days is not None:
            limits.append(now + timedelta(days=self.ceiling_days))
        return min(limits) if limits else None

    def new_end(self, end_date: datetime | None, now: datetime) -> datetime | None:
        """The end date this rule sets, or ``None`` if it leaves the segment alone."""
        return self.at(now)(end_date)

    def at(self, now: datetime):
        """``new_end`` for one moment, with its bounds computed once (plans call it 100k times)."""
        target = now + timedelta(days=self.min_days_ahead)
        step = timedelta(days=self.step_days)
        ceiling = self.ceiling(now)

        def new_end(end_date: datetime | None) -> datetime | None:
            if end_date is None or end_date <= now or end_date >= target:
                return None
            moved = end_date + step * -((end_date - target) // step)
            if ceiling is not None and moved > ceiling:
                moved = ceiling
            return moved if moved > end_date else None

        return new_end


class Candidate(NamedTuple):
    """A segment as a policy sees it; ``updated`` guards the write against changes since."""

    segment_id: int
    end_date: datetime | None
    updated: datetime | None = None
    name: str = ""


@dataclass(frozen=True)
class Scope:
    """One policy with the segments it covers."""

    policy_id: int
    rule: Rule
    candidates: Iterable[Candidate]
    excluded: frozenset[int] = field(default_factory=frozenset)


@dataclass(slots=True)
class Change:
    segment_id: int
    name: str
    current_end: datetime
    new_end: datetime
    policy_id: int
    updated: datetime | None

    @property
    def added(self) -> timedelta:
        return self.new_end - self.current_end


def plan(scopes: Iterable[Scope], *, now: datetime) -> list[Change]:
    """Every change the policies make now, one per segment, soonest current end first."""
    best: dict[int, Change] = {}
    for scope in scopes:
        rule = scope.rule.at(now)
        for candidate in scope.candidates:
            new_end = rule(candidate.end_date)
            if new_end is None or candidate.segment_id in scope.excluded:
                continue
            known = best.get(candidate.segment_id)
            if known is not None and (known.new_end, -known.policy_id) >= (
                new_end,
                -scope.policy_id,
            ):
                continue
            best[candidate.segment_id] = Change(
                segment_id=candidate.segment_id,
                name=candidate.name,
                current_end=candidate.end_date,
                new_end=new_end,
                policy_id=scope.policy_id,
                updated=candidate.updated,
            )
    return sorted(best.values(), key=lambda c: (c.current_end, c.segment_id))
