"""The one error hierarchy for both remote APIs.

Every error carries the HTTP status (None when no response arrived), the
server's message as sent, and the response's request id where present, so an
operator can quote it to the vendor. Messages never contain credentials.
"""

from __future__ import annotations


class RemoteError(Exception):
    """A call to the remote audience platform did not succeed."""

    default_message = "The remote audience platform returned an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        request_id: str | None = None,
        operation: str = "",
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.request_id = request_id
        self.operation = operation
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.operation:
            parts.insert(0, f"{self.operation}:")
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.request_id:
            parts.append(f"[request id {self.request_id}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"request_id={self.request_id!r}, operation={self.operation!r})"
        )


class AuthError(RemoteError):
    default_message = "The remote refused our credentials."


class NotFound(RemoteError):
    default_message = "The remote has no such record."


class ValidationError(RemoteError):
    default_message = "The remote refused the request as invalid."

    def __init__(self, message: str | None = None, *, field_errors=None, **kwargs) -> None:
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        super().__init__(message, **kwargs)

    def __str__(self) -> str:
        text = super().__str__()
        if self.field_errors:
            details = "; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in self.field_errors.items()
            )
            text = f"{text} — {details}"
        return text


class Conflict(RemoteError):
    default_message = "The record changed or is locked by another operation."


class RateLimited(RemoteError):
    default_message = "The remote is throttling requests."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class Unavailable(RemoteError):
    """Timeout, connection failure or a 5xx: the remote could not answer."""

    default_message = "The remote audience platform is unavailable."


class BadResponse(RemoteError):
    """The remote answered, but not in the shape the contract promises."""

    default_message = "The remote sent a response we could not understand."


class InvalidRequest(ValueError):
    """A request refused locally, before anything was sent; names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
