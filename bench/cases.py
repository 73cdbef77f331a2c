"""The requests timed against the segments table: each as the HTMX partial's GET
parameters and the closest Segment admin changelist parameters.

The partial shows visible segments only, so every admin request carries
``is_deleted__exact=0``. Admin column numbers for ``o=`` follow
``SegmentAdmin.list_display``: 1 segment_id, 2 name, 3 audience, 4 account,
5 status, 6 end_date, 7 total_log_count, 8 updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Sample:
    """Real values from the synced mirror, so that every filter matches rows."""

    status: str
    word: str  # a common name fragment: many matches
    phrase: str  # an audience name: about one audience's segments
    segment_id: int
    account_id: int
    platform_id: int
    country: int
    # Rows of the whole table and of the paged filters, to keep every page asked
    # for in range on a small sandbox (the admin answers a page past the end with
    # a redirect).
    total: int
    word_status_total: int
    account_active_total: int
    now: datetime


@dataclass(frozen=True)
class Case:
    name: str
    partial: dict[str, str]
    admin: dict[str, str]
    per_page: int = 25
    admin_note: str = ""


ADMIN_COLUMN = {
    "segment_id": "1",
    "name": "2",
    "audience": "3",
    "account": "4",
    "status": "5",
    "end_date": "6",
    "total_log_count": "7",
    "updated": "8",
}


def _o(sort: str) -> str:
    descending = sort.startswith("-")
    column = ADMIN_COLUMN[sort.lstrip("-")]
    return f"-{column}" if descending else column


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def build(sample: Sample) -> list[Case]:
    s = sample

    def page(wanted: int, per_page: int, rows: int = s.total) -> str:
        return str(max(1, min(wanted, rows // per_page)))

    week = {"end_date__gte": _iso(s.now), "end_date__lte": _iso(s.now + timedelta(days=7))}
    month = {"end_date__gte": _iso(s.now), "end_date__lte": _iso(s.now + timedelta(days=30))}
    expired = {"end_date__lt": _iso(s.now)}
    cases = [
        Case("no filter", {}, {}),
        Case("status", {"status": s.status}, {"status__exact": s.status}),
        Case("search word", {"q": s.word}, {"q": s.word}),
        Case("search phrase", {"q": s.phrase}, {"q": s.phrase}),
        Case("search segment id", {"q": str(s.segment_id)}, {"q": str(s.segment_id)}),
        Case("account", {"account": str(s.account_id)}, {"account__exact": str(s.account_id)}),
        Case(
            "platform", {"platform": str(s.platform_id)}, {"platform_id__exact": str(s.platform_id)}
        ),
        Case("country", {"country": str(s.country)}, {"country__exact": str(s.country)}),
        Case("ends within 7 days", {"ends": "within", "within_days": "7"}, week),
        Case("expired", {"ends": "expired"}, expired),
        Case(
            "problems",
            {"problems": "on"},
            {"total_failed_count__gt": "0"},
            admin_note="admin has no OR filter: failed > 0 only",
        ),
        Case("sort name", {"sort": "name"}, {"o": _o("name")}),
        Case("sort -total_log_count", {"sort": "-total_log_count"}, {"o": _o("-total_log_count")}),
        Case("sort end_date", {"sort": "end_date"}, {"o": _o("end_date")}),
        Case("sort updated", {"sort": "updated"}, {"o": _o("updated")}),
        Case(
            "sort audience",
            {"sort": "audience"},
            {"o": _o("audience")},
            admin_note="admin orders the audience column by audience id, the partial by name",
        ),
        Case("page 2000 x25", {"page": page(2000, 25)}, {"p": page(2000, 25)}),
        Case("page 1 x100", {"per_page": "100"}, {}, per_page=100),
        Case(
            "page 500 x100",
            {"per_page": "100", "page": page(500, 100)},
            {"p": page(500, 100)},
            per_page=100,
        ),
        Case(
            "page 2000 x25 sort name",
            {"sort": "name", "page": page(2000, 25)},
            {"o": _o("name"), "p": page(2000, 25)},
        ),
        Case(
            "status+platform sort -log",
            {"status": s.status, "platform": str(s.platform_id), "sort": "-total_log_count"},
            {
                "status__exact": s.status,
                "platform_id__exact": str(s.platform_id),
                "o": _o("-total_log_count"),
            },
        ),
        Case(
            "problems+within 30 sort name",
            {"problems": "on", "ends": "within", "within_days": "30", "sort": "name"},
            {"total_failed_count__gt": "0", **month, "o": _o("name")},
            admin_note="admin has no OR filter: failed > 0 only",
        ),
        Case(
            "account+active sort -updated p3",
            {
                "account": str(s.account_id),
                "active": "yes",
                "sort": "-updated",
                "page": page(3, 25, s.account_active_total),
            },
            {
                "account__exact": str(s.account_id),
                "active__exact": "1",
                "o": _o("-updated"),
                "p": page(3, 25, s.account_active_total),
            },
        ),
        Case(
            "search word+status p5 x50",
            {
                "q": s.word,
                "status": s.status,
                "page": page(5, 50, s.word_status_total),
                "per_page": "50",
            },
            {"q": s.word, "status__exact": s.status, "p": page(5, 50, s.word_status_total)},
            per_page=50,
        ),
    ]
    return [
        Case(c.name, c.partial, {"is_deleted__exact": "0", **c.admin}, c.per_page, c.admin_note)
        for c in cases
    ]
