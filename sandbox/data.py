"""Deterministic generation of the sandbox's accounts, audience catalogue and segments.

Dates are held as integer *ticks* (100 ns units since 1970-01-01 UTC, the .NET
resolution the Segment API sends) so generation is fast and seven fractional
digits round-trip exactly.
"""

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

TICKS_PER_SECOND = 10_000_000
DAY = 86_400 * TICKS_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)  # for formatting; values are UTC
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
DASH = "\u2013"

STATUS_IDS = {
    "Active": 1,
    "Paused": 2,
    "Pending": 3,
    "Processing": 4,
    "Failed": 5,
    "Expired": 6,
    "Archived": 7,
}
COUNTRIES = (276, 528, 826, 840, 250, 724)
PLATFORMS = {
    1: ("thetradedesk", "The Trade Desk", "TTD"),
    2: ("dv360", "Display & Video 360", "DV360"),
    3: ("xandr", "Xandr", "Xandr"),
    4: ("meta", "Meta", "Meta"),
    5: ("amazondsp", "Amazon DSP", "ADSP"),
}
AGENCIES = {31: "Northwind Media", 32: "Bluefin Agency", 33: "Copperleaf Digital"}
# id, name, platformId, agencyId, accountType (id, name) or None, advertiserId, clientId,
# defaultSegmentPricingCategoryId, market country, age in days.
_ACCOUNTS = (
    (201, "Northwind DE Performance", 1, 31, (1, "Managed"), "4k2j9ab", "nw-ttd-01", 3, 276, 900),
    (202, "Northwind UK Brand", 2, 31, None, "7301554", "nw-dv3-02", None, 826, 610),
    (203, "Bluefin NL Retail", 3, 32, (2, "Self-serve"), "88231", "bf-xan-01", 2, 528, 480),
    (204, "Bluefin FR Social", 4, 32, None, None, "bf-meta-07", None, 250, 300),
    (205, "Copperleaf US Commerce", 5, 33, (1, "Managed"), "E-5521", "cl-adsp-01", 4, 840, 720),
    (206, "Copperleaf ES Always-On", 1, 33, (2, "Self-serve"), "9zq1c0d", "cl-ttd-03", 1, 724, 150),
)
USERS = (
    ("a.keller", "5c1f0a7e-2b44-4d8e-9a31-0f6c2d9b1a11"),
    ("t.devries", "8e27b3d4-91c0-4f5a-b6e2-3a9d7c4e0b14"),
    ("s.martin", "b4d90e12-6f3a-4c7b-8d25-e1a0f9c36d17"),
    ("l.garcia", "1a6e4c8f-d3b2-47a9-a0c1-7b5f2e9d8c21"),
    ("e.clarke", "f03c7d59-8a1e-4b6d-92f4-c6e8a1b0d326"),
)
CAMPAIGNS = {
    301: "Q4 Always-On 2025",
    302: "Black Friday 2025",
    303: "Spring Launch",
    304: "Loyalty Reactivation",
    305: "Brand Awareness EU",
}
_SEGMENT_THEMES = (
    "Auto Intenders",
    "Travel Enthusiasts",
    "In-Market Home Improvement",
    "Sports Fans",
    "Luxury Shoppers",
    "Young Families",
    "Gamers",
    "Fitness Enthusiasts",
    "Business Decision Makers",
    "Streaming Cord-Cutters",
    "Foodies",
    "Tech Early Adopters",
    "Pet Owners",
    "Fashion Followers",
    "Personal Finance Seekers",
    "Eco-Conscious Consumers",
)
_LIST_BASES = (
    "CRM Lapsed Buyers",
    "CRM Active Customers",
    "Newsletter Subscribers",
    "Loyalty Gold Members",
    "Website Purchasers",
    "Cart Abandoners",
    "App Installers",
    "High-Value Customers",
    "Churn Risk Customers",
    "Trial Sign-ups",
    "Store Visitors",
    "Suppression List",
)
_MARKETS = ("DE", "NL", "UK", "US", "FR", "ES", "DACH", "EU")
_PERIODS = ("Q1", "Q2", "Q3", "Q4", "H1", "H2", "Always-On", "BF/CM", "Summer", "Xmas")
_WINDOWS = ("14d", "30d", "60d", "90d", "180d", "12m")
FIRST_AUDIENCE_ID = 1001
FIRST_SEGMENT_ID = 100001


def ticks_from_datetime(value: datetime) -> int:
    """Ticks of a datetime; a naive one is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(microseconds=1) * 10


def now_ticks() -> int:
    """The current time in ticks."""
    return ticks_from_datetime(datetime.now(UTC))


def format_ticks(ticks: int) -> str:
    """Segment API form: seven fractional digits and ``Z``."""
    moment = _EPOCH_NAIVE + timedelta(microseconds=ticks // 10)
    return f"{moment.isoformat(timespec='microseconds')}{ticks % 10}Z"


def format_seconds(ticks: int) -> str:
    """List API form: ``YYYY-MM-DDTHH:MM:SSZ``."""
    moment = _EPOCH_NAIVE + timedelta(seconds=ticks // TICKS_PER_SECOND)
    return f"{moment.isoformat(timespec='seconds')}Z"


def parse_ticks(value: object) -> int:
    """Parse an ISO 8601 date (any fraction, ``Z``, offset, or naive as UTC) into ticks.

    Raises ``ValueError`` for anything else. Fractions beyond seven digits are truncated.
    """
    match = _ISO.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not an ISO 8601 date: {value!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = UTC
    if zone and zone not in "Zz":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        tz = timezone(offset if zone[0] == "+" else -offset)
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        tzinfo=tz,
    )
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"date out of range: {value!r}") from None
    return ticks_from_datetime(moment) + int((fraction or "")[:7].ljust(7, "0"))


@dataclass
class Dataset:
    """Everything one seed generates; audiences are catalogue entries ordered by id."""

    accounts: list[dict]
    account_countries: dict[int, int]
    audiences: list[dict]
    segments: dict[int, dict]


def generate(seed: int, size: int, anchor: int) -> Dataset:
    """Generate ``size`` segments over ``max(60, size // 50)`` audiences around ``anchor`` ticks."""
    rng = random.Random(seed)
    accounts = [_account(row, anchor) for row in _ACCOUNTS]
    audiences = _audiences(rng, max(60, size // 50), anchor)
    segments = _segments(rng, size, audiences, anchor)
    return Dataset(accounts, {row[0]: row[8] for row in _ACCOUNTS}, audiences, segments)


def _account(row: tuple, anchor: int) -> dict:
    ident, name, platform_id, agency_id, kind, advertiser, client, pricing, _, age = row
    platform_name, display, _ = PLATFORMS[platform_id]
    created = anchor - age * DAY + ident * 7_919_000_003
    return {
        "id": ident,
        "name": name,
        "platformId": platform_id,
        "platformName": platform_name,
        "platformDisplayName": display,
        "agencyId": agency_id,
        "accountTypeId": kind[0] if kind else None,
        "advertiserId": advertiser,
        "clientId": client,
        "agencyName": AGENCIES[agency_id],
        "accountTypeName": kind[1] if kind else None,
        "defaultSegmentPricingCategoryId": pricing,
        "created": format_ticks(created),
        "updated": format_ticks(created + (age // 3) * DAY + 4_242_424_242),
        "accessToken": f"sbx-secret-token-{ident}",
    }


def _audiences(rng: random.Random, count: int, anchor: int) -> list[dict]:
    top = anchor // TICKS_PER_SECOND
    used: set[str] = set()
    audiences = []
    for offset in range(count):
        kind = "segment" if rng.random() < 0.5 else "list"
        if kind == "segment":
            parts = [rng.choice(_SEGMENT_THEMES), rng.choice(_MARKETS)]
            if rng.random() < 0.7:
                parts.append(rng.choice(_PERIODS))
        else:
            parts = [f"{rng.choice(_LIST_BASES)} {rng.choice(_WINDOWS)}"]
            if rng.random() < 0.5:
                parts.append(rng.choice(_MARKETS))
        base = f" {DASH} ".join(parts)
        name, copy = base, 1
        while name in used:
            copy += 1
            name = f"{base} v{copy}"
        used.add(name)
        updated = top - rng.randrange(120 * 86_400)
        refreshed = rng.randint(updated, top) if kind == "segment" else None
        audiences.append(
            {
                "id": FIRST_AUDIENCE_ID + offset,
                "name": name,
                "type": kind,
                "updated": updated * TICKS_PER_SECOND,
                "refreshed": refreshed * TICKS_PER_SECOND if refreshed is not None else None,
            }
        )
    return audiences


def _end_and_start(r, anchor: int) -> tuple[int, int, bool]:
    """End date spread: ~10% expired, ~10% within 7 days, the rest 8-365 days out."""
    roll = r()
    if roll < 0.10:
        end = anchor - int((0.5 + r() * 90) * DAY)
        return end, end - int((7 + r() * 180) * DAY), True
    days = r() * 7 if roll < 0.20 else 8 + r() * 357
    end = anchor + int(days * DAY)
    return end, anchor - int((1 + r() * 300) * DAY), False


def _status(r, expired: bool) -> str:
    roll = r()
    if expired:
        return "Expired" if roll < 0.8 else "Archived"
    for limit, status in (
        (0.72, "Active"),
        (0.82, "Paused"),
        (0.88, "Pending"),
        (0.94, "Processing"),
        (0.97, "Failed"),
    ):
        if roll < limit:
            return status
    return "Archived"


def _counts(r, status: str) -> dict:
    """Pipeline counts with totalSegmentUploadCount = ready+processing+pending+failed+noData."""
    total = int(r() ** 2 * 8_000_000) + 500
    failed = int(total * r() * 0.05) if r() < 0.15 else 0
    no_data = int(total * r() * 0.10) if r() < 0.20 else 0
    processing = int(total * r() * 0.30) if status == "Processing" or r() < 0.05 else 0
    pending = int(total * r() * 0.05) if r() < 0.15 else 0
    if status == "Pending":
        failed = no_data = processing = 0
        pending = total
    counts = {
        "totalReadyCount": total - failed - no_data - processing - pending,
        "totalProcessingCount": processing,
        "totalPendingCount": pending,
        "totalFailedCount": failed,
        "totalNoDataCount": no_data,
    }
    if r() < 0.10:
        nullable = (
            "totalReadyCount",
            "totalProcessingCount",
            "totalFailedCount",
            "totalNoDataCount",
        )
        for key in nullable:
            if r() < 0.5:
                counts[key] = None
        if all(counts[key] is not None for key in nullable):
            counts[nullable[int(r() * 4)]] = None
    ready = counts["totalReadyCount"] or 0
    segment_total = sum(value or 0 for value in counts.values())
    return {
        "totalLogCount": max(segment_total, int(r() ** 3 * 4_500_000_000)),
        "totalReadyCount": counts["totalReadyCount"],
        "totalProcessingCount": counts["totalProcessingCount"],
        "totalPendingCount": pending,
        "totalUploadCount": int(ready * (0.8 + r() * 0.2)),
        "totalFailedCount": counts["totalFailedCount"],
        "totalNoDataCount": counts["totalNoDataCount"],
        "totalSegmentUploadCount": segment_total,
    }


def _segments(rng: random.Random, size: int, audiences: list[dict], anchor: int) -> dict[int, dict]:
    """Segments spread over the audiences (a few get none). Assumed: ``id`` (the internal
    record id) equals ``segmentId``; ``userId`` is a GUID string as in ASP.NET Identity."""
    r = rng.random
    bare = set(rng.sample([a["id"] for a in audiences], max(2, len(audiences) // 20)))
    hosts = [a for a in audiences if a["id"] not in bare]
    hosted = rng.choices(hosts, weights=[0.2 + r() for _ in hosts], k=size)
    flights: dict[int, int] = {}
    segments = {}
    for offset, audience in enumerate(hosted):
        sid = FIRST_SEGMENT_ID + offset
        row = _ACCOUNTS[int(r() * len(_ACCOUNTS))]
        account_id, platform_id, agency_id = row[0], row[2], row[3]
        _, display, short = PLATFORMS[platform_id]
        end, start, expired = _end_and_start(r, anchor)
        status = _status(r, expired)
        created = start - int(r() * 14 * DAY)
        user_name, user_id = USERS[int(r() * len(USERS))]
        flight = flights[audience["id"]] = flights.get(audience["id"], 0) + 1
        segment = {
            "segmentId": sid,
            "segmentRefId": None if r() < 0.25 else f"{short.lower()}-{int(r() * 16**8):08x}",
            "categoryId": None if r() < 0.35 else 1 + int(r() * 12),
            "description": f"{audience['name']} on {display} for {AGENCIES[agency_id]}",
            "extend": r() < 0.25,
            "active": status in ("Active", "Processing"),
            "accountId": account_id,
            "audienceId": audience["id"],
            "platformId": platform_id,
            "isRecurring": r() < 0.2,
            "isSystemGenerated": r() < 0.1,
            "country": row[8] if r() < 0.8 else COUNTRIES[int(r() * len(COUNTRIES))],
            "startDate": start,
            "endDate": end,
            "status": status,
            "statusId": STATUS_IDS[status],
            "userName": user_name,
            "userId": user_id,
        }
        segment.update(_counts(r, status))
        segment.update(
            {
                "id": sid,
                "name": f"{audience['name']} {DASH} {short} {DASH} F{flight}",
                "created": created,
                "updated": created + int(r() * (anchor - created)),
            }
        )
        segments[sid] = segment
    return segments
