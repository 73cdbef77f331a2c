"""How an operator action ended, in the words the operator reads (and the audit keeps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from segments.models import AuditEvent, Segment
from segments.remote import (
    AuthError,
    BadResponse,
    Conflict,
    NotFound,
    RateLimited,
    RemoteError,
    Unavailable,
    ValidationError,
)

Outcome = AuditEvent.Outcome


@dataclass
class ActionResult:
    outcome: str
    message: str
    segment: Segment | None = None
    error: RemoteError | None = None
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.DONE


def utc_text(value: datetime) -> str:
    """A date-time for a message that is also stored in the audit trail: in UTC,
    saying so, since a bulk run's messages are written away from any request."""
    return f"{value.astimezone(UTC):%d %b %Y %H:%M} UTC"


def explain(error: ValidationError | NotFound | Conflict) -> tuple[str, str]:
    """The audit outcome and the operator's message for a write the platform
    definitely did not apply: refused as invalid, already gone, or locked. (Other
    failures are read back first: ``failure_reason`` words them.)"""
    ref = _reference(error)
    if isinstance(error, ValidationError):
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.field_errors.items())
        reason = error.message + (f" ({fields})" if fields else "")
        return (
            Outcome.REFUSED,
            f"The platform refused the change: {reason}{ref}. Correct it and try again.",
        )
    if isinstance(error, NotFound):
        return Outcome.NOT_FOUND, (
            f"The platform no longer has this segment{ref}. It was already deleted; "
            "it is now hidden from the tables."
        )
    said = error.message.rstrip(". ") if error.message != error.default_message else ""
    # The platform's own words when it has some ("The segment was changed by another
    # operation"), not ours and then the same again.
    reason = f"as conflicting: {said}" if said else "as conflicting with another operation"
    return Outcome.CONFLICT, (
        f"The platform refused the change {reason}{ref}. Refresh the segment and try again "
        "in a moment."
    )


def _reference(error: RemoteError) -> str:
    parts = [f"HTTP {error.status}"] if error.status else []
    if error.request_id:
        parts.append(f"request id {error.request_id}")
    return f" ({', '.join(parts)})" if parts else ""


def failure_reason(error: RemoteError) -> tuple[str, str]:
    """What went wrong, as a clause, and what the operator can do about it."""
    message = (error.message or "").rstrip(". ")
    server = f": {message}" if message and error.message != error.default_message else ""
    ref = _reference(error)
    if isinstance(error, AuthError):
        return (
            f"the platform refused the dashboard's configured credentials{ref}",
            "An admin must correct the Segment API user name and password (or session "
            "cookie) in the dashboard's settings.",
        )
    if isinstance(error, RateLimited):
        wait = f"{error.retry_after:g} seconds" if error.retry_after else "a minute"
        return f"the platform is throttling requests{ref}", f"Wait {wait} and try again."
    if isinstance(error, Unavailable) and error.status is None:
        return (
            f"the platform did not answer ({error.message.rstrip('.')})",
            "Try again in a few minutes.",
        )
    if isinstance(error, Unavailable):
        return f"the platform is unavailable{server}{ref}", "Try again in a few minutes."
    if isinstance(error, BadResponse):
        return (
            f"the platform answered something unexpected{ref}",
            "Try again; if it keeps happening, give the request id to the platform's support.",
        )
    return f"the platform returned an error{server}{ref}", "Try again in a few minutes."


def not_sent(error: RemoteError) -> tuple[str, str]:
    """The audit outcome and message of a failure before the write was sent."""
    reason, advice = failure_reason(error)
    return Outcome.FAILED, f"Nothing was sent: {reason}. {advice}"


def no_answer(error: RemoteError) -> bool:
    """No answer arrived (timeout, dropped connection): the platform may still act."""
    return isinstance(error, Unavailable) and error.status is None


def despite(error: RemoteError, what: str) -> str:
    """The note added to a success that was answered with an error."""
    reason, _ = failure_reason(error)
    return f" ({reason[0].upper()}{reason[1:]}, but {what}.)"


def refresh_failed(error: RemoteError, *, data_age: str) -> str:
    """The message of a failed refresh: what failed, how old the data shown is, and
    who can fix it (credentials need an admin; anything else may pass)."""
    reason, advice = failure_reason(error)
    if not isinstance(error, AuthError):
        advice = "Try again in a minute; if it keeps failing, check the platform's status page."
    return (
        f"The refresh failed: {reason}. What you see is the last synced copy ({data_age}). {advice}"
    )
