"""In-memory store of the sandbox: seeded data, sessions, and every API operation.

Operations validate their input the way the emulated APIs do and raise
``validation.Invalid`` (400) or ``NotFound`` (404); they return JSON-ready values.
One lock guards it all.
"""

import secrets
import threading

from . import catalogue
from .data import CAMPAIGNS, DAY, STATUS_IDS, TICKS_PER_SECOND, generate, now_ticks, parse_ticks
from .data import format_ticks as _fmt
from .drift import advance_day
from .validation import Form, Invalid, NotFound, end_after_start, is_int

DATE_FIELDS = ("startDate", "endDate", "created", "updated")
SEGMENT_FIELDS = (
    "segmentId",
    "segmentRefId",
    "categoryId",
    "description",
    "extend",
    "active",
    "accountId",
    "audienceId",
    "platformId",
    "isRecurring",
    "isSystemGenerated",
    "country",
    "startDate",
    "endDate",
    "status",
    "statusId",
    "userName",
    "userId",
    "totalLogCount",
    "totalReadyCount",
    "totalProcessingCount",
    "totalPendingCount",
    "totalUploadCount",
    "totalFailedCount",
    "totalNoDataCount",
    "totalSegmentUploadCount",
    "id",
    "name",
    "created",
    "updated",
)
API_USER_ID = "0d7c5e2a-1f3b-4a6c-9e8d-5b2a7c4f6e01"
ACTIVATION_DEFAULT_DAYS = 30


def render_segment(segment: dict) -> dict:
    """The Segment API JSON of a stored segment (dates as seven-digit ``Z`` strings)."""
    rendered = dict(segment)
    for key in DATE_FIELDS:
        rendered[key] = _fmt(segment[key])
    return rendered


class Store:
    """The platform's data and operations; writes last for the life of the process."""

    def __init__(self, seed: int, size: int, anchor: int, username: str, password: str):
        self.seed, self.size, self.anchor = seed, size, anchor
        self._username, self._password = username, password
        self._lock = threading.Lock()
        self._sessions: set[str] = set()
        self.reset()

    def reset(self) -> None:
        """Regenerate the data from seed, size and anchor (sessions survive)."""
        dataset = generate(self.seed, self.size, self.anchor)
        with self._lock:
            self._accounts = {a["id"]: a for a in dataset.accounts}
            self._account_countries = dataset.account_countries
            self._audiences = {a["id"]: a for a in dataset.audiences}
            self._records: dict[int, dict] = {}
            self._segments = dataset.segments
            self._by_audience: dict[int, dict[int, None]] = {a: {} for a in self._audiences}
            for sid, segment in self._segments.items():
                self._by_audience[segment["audienceId"]][sid] = None
            self._next_segment = max(self._segments, default=100_000) + 1
            self._next_audience = max(self._audiences) + 1
            self._day = 0

    def advance(self, body: object) -> dict:
        """Let ``days`` days (default 1, at most 365) pass: see ``drift``. Every segment
        and audience counts as updated now, so an incremental sync fetches them."""
        days = body.get("days", 1) if isinstance(body, dict) else None
        if not is_int(days) or not 1 <= days <= 365:
            raise Invalid(f"days must be an integer from 1 to 365, got {days!r}")
        totals: dict[str, list[int]] = {"failed_rose": [], "no_data_rose": [], "dropped": []}
        totals["expired"] = []
        with self._lock:
            for _ in range(days):
                self._day += 1
                day = advance_day(self._segments, seed=self.seed, day=self._day, now=now_ticks())
                for key, ids in totals.items():
                    ids.extend(getattr(day, key))
            now = now_ticks()
            for segment in self._segments.values():
                segment["updated"] = now
            for audience_id in self._audiences:
                self._bump_audience(audience_id)
            return {"day": self._day, "segments": len(self._segments), **totals}

    def health(self) -> dict:
        with self._lock:
            return {
                "ok": True,
                "segments": len(self._segments),
                "audiences": len(self._audiences),
                "day": self._day,
            }

    # Sessions

    def login(self, body: object) -> str | None:
        """A new session token for the right credentials, else ``None``."""
        form = Form(body)
        user, password = (
            form.string("userName", required=True),
            form.string("password", required=True),
        )
        form.check()
        if not (
            secrets.compare_digest(user.encode(), self._username.encode())
            and secrets.compare_digest(password.encode(), self._password.encode())
        ):
            return None
        token = secrets.token_hex(16)
        with self._lock:
            self._sessions.add(token)
        return token

    def has_session(self, token: str | None) -> bool:
        with self._lock:
            return token in self._sessions

    def expire_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    # Segment API

    def segments_of_audience(self, audience_id: int) -> list[dict]:
        with self._lock:
            if audience_id not in self._audiences:
                raise NotFound(f"Audience {audience_id} not found")
            ids = sorted(self._by_audience[audience_id])
            return [render_segment(self._segments[sid]) for sid in ids]

    def get_segment(self, segment_id: int) -> dict:
        with self._lock:
            return render_segment(self._segment(segment_id))

    def any_segment(self) -> dict | None:
        """Some stored segment (the lowest id), for canned fault payloads."""
        with self._lock:
            return render_segment(self._segments[min(self._segments)]) if self._segments else None

    def update_end_date(self, body: object) -> dict:
        form = Form(body)
        segment_id, end = form.integer("segmentid"), form.date("endDate", required=True)
        form.check()
        with self._lock:
            segment = self._segment(segment_id)
            end_after_start(end, segment["startDate"])
            segment["endDate"] = end
            self._bump(segment)
            return render_segment(segment)

    def delete_segment(self, segment_id: int) -> None:
        with self._lock:
            segment = self._segment(segment_id)
            del self._segments[segment_id]
            del self._by_audience[segment["audienceId"]][segment_id]
            self._bump_audience(segment["audienceId"])

    def platform_accounts(self) -> list[dict]:
        with self._lock:
            return [dict(account) for account in self._accounts.values()]

    def create_crm_audience(self, body: object) -> dict:
        form = Form(body)
        name = form.string("name", required=True)
        description = form.string("description", required=False)
        campaign_id = form.integer("campaignId")
        form.check()
        now = now_ticks()
        with self._lock:
            audience_id = self._next_audience
            self._next_audience += 1
            self._audiences[audience_id] = {
                "id": audience_id,
                "name": name,
                "type": "list",
                "updated": now // TICKS_PER_SECOND * TICKS_PER_SECOND,
                "refreshed": None,
            }
            self._by_audience[audience_id] = {}
            record = {
                "id": audience_id,
                "userId": API_USER_ID,
                "name": name,
                "description": description,
                "campaignId": campaign_id,
                "campaignName": CAMPAIGNS.get(campaign_id, f"Campaign {campaign_id}"),
                "created": _fmt(now),
                "updated": _fmt(now),
                "startDate": _fmt(now),
                "endDate": None,
                "dataUpdated": None,
                "activationStatus": "Not Activated",
                "activationStatusId": 1,
                "lifetimeStatus": "Active",
                "lifetimeStatusId": 1,
                "audienceState": "Awaiting Data",
                "audienceStateId": 1,
                "type": "list",
                "typeId": 2,
                "sourceAudienceId": None,
                "sourceAudienceTypeId": None,
                "canCreateLookalike": False,
                "hasSegments": False,
                "tagCollection": [],
                "crmData": None,
            }
            self._records[audience_id] = record
            return dict(record)

    def activate(self, body: object) -> dict:
        """A new Pending platform segment; assumed: no ``endDate`` means start + 30 days."""
        form = Form(body)
        audience_id, account_id = form.integer("audienceId"), form.integer("accountId")
        name = form.string("name", required=True)
        description = form.string("description", required=False)
        start = form.date("startDate", required=True)
        end = form.date("endDate", required=False)
        form.check()
        if end is None:
            end = start + ACTIVATION_DEFAULT_DAYS * DAY
        end_after_start(end, start)
        now = now_ticks()
        with self._lock:
            if audience_id not in self._audiences:
                raise NotFound(f"Audience {audience_id} not found")
            if account_id not in self._accounts:
                raise NotFound(f"Account {account_id} not found")
            sid = self._next_segment
            self._next_segment += 1
            segment = {
                "segmentId": sid,
                "segmentRefId": None,
                "categoryId": None,
                "description": description or "",
                "extend": False,
                "active": False,
                "accountId": account_id,
                "audienceId": audience_id,
                "platformId": self._accounts[account_id]["platformId"],
                "isRecurring": False,
                "isSystemGenerated": False,
                "country": self._account_countries[account_id],
                "startDate": start,
                "endDate": end,
                "status": "Pending",
                "statusId": STATUS_IDS["Pending"],
                "userName": self._username,
                "userId": API_USER_ID,
                "totalLogCount": 0,
                "totalReadyCount": None,
                "totalProcessingCount": None,
                "totalPendingCount": 0,
                "totalUploadCount": 0,
                "totalFailedCount": None,
                "totalNoDataCount": None,
                "totalSegmentUploadCount": 0,
                "id": sid,
                "name": name,
                "created": now,
                "updated": now,
            }
            self._segments[sid] = segment
            self._by_audience[audience_id][sid] = None
            self._bump_audience(audience_id)
            return render_segment(segment)

    def touch_segment(self, segment_id: int, /, **fields: object) -> dict:
        """Change a segment as another operator would: set ``fields`` (Segment JSON keys,
        dates as ISO strings), bump ``updated`` unless given and the audience's
        last_updated_time. Returns the new segment."""
        unknown = sorted((set(fields) - set(SEGMENT_FIELDS)) | (set(fields) & {"segmentId", "id"}))
        if unknown:
            raise Invalid(f"Fields that cannot be changed: {', '.join(unknown)}")
        changes = dict(fields)
        try:
            for key in DATE_FIELDS:
                if key in changes:
                    changes[key] = parse_ticks(changes[key])
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        if "status" in changes and "statusId" not in changes:
            changes["statusId"] = STATUS_IDS.get(changes["status"], 0)
        with self._lock:
            segment = self._segment(segment_id)
            audience_id = changes.get("audienceId", segment["audienceId"])
            if audience_id not in self._audiences:
                raise Invalid(f"Audience {audience_id} not found")
            del self._by_audience[segment["audienceId"]][segment_id]
            self._by_audience[audience_id][segment_id] = None
            self._bump_audience(segment["audienceId"])
            segment.update(changes)
            if "updated" not in changes:
                segment["updated"] = now_ticks()
            self._bump_audience(audience_id)
            return render_segment(segment)

    def rename_audience(self, audience_id: int, name: str) -> None:
        """Rename an audience as another tool would (its last_updated_time moves)."""
        with self._lock:
            if audience_id not in self._audiences:
                raise Invalid(f"Audience {audience_id} not found")
            self._audiences[audience_id]["name"] = name
            self._bump_audience(audience_id)

    # List & Segment API

    def list_audiences(self, body: object) -> dict:
        """The ``data`` of a List API answer (``catalogue``); raises ``Invalid``."""
        query = catalogue.parse(body)
        with self._lock:
            audiences = query.select(self._audiences.values())
        return query.answer(audiences)

    # Internals (callers hold the lock)

    def _segment(self, segment_id: int) -> dict:
        segment = self._segments.get(segment_id)
        if segment is None:
            raise NotFound(f"Segment {segment_id} not found")
        return segment

    def _bump(self, segment: dict) -> None:
        segment["updated"] = now_ticks()
        self._bump_audience(segment["audienceId"])

    def _bump_audience(self, audience_id: int) -> None:
        self._audiences[audience_id]["updated"] = now_ticks() // TICKS_PER_SECOND * TICKS_PER_SECOND
