"""How the sandbox refuses a request: its errors, and reading a Segment API body.

Operations raise ``Invalid`` (400) or ``NotFound`` (404); ``Form`` collects the
per-field errors of a Segment API body the way ASP.NET model binding reports them.
"""

from .data import format_ticks, parse_ticks

INVALID = "The request is invalid."


class NotFound(Exception):
    """A 404: the message names what is missing."""


class Invalid(Exception):
    """A 400: a message, plus per-field errors for the Segment API."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fields(body: object) -> dict:
    """A Segment API body with keys folded to lower case (ASP.NET binds case-insensitively)."""
    if not isinstance(body, dict):
        raise Invalid(INVALID, {"": ["The request body must be a JSON object."]})
    return {str(key).lower(): value for key, value in body.items()}


class Form:
    """Collects field errors while reading a Segment API body."""

    def __init__(self, body: object):
        self.values = _fields(body)
        self.errors: dict[str, list[str]] = {}

    def fail(self, field: str, text: str) -> None:
        self.errors.setdefault(field, []).append(text)

    def integer(self, field: str) -> int | None:
        value = self.values.get(field.lower())
        if value is None:
            self.fail(field, f"The {field} field is required.")
        elif not is_int(value):
            self.fail(field, f"The {field} field must be an integer.")
        else:
            return value
        return None

    def string(self, field: str, *, required: bool) -> str | None:
        value = self.values.get(field.lower())
        if value is None or (required and isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, f"The {field} field is required.")
        elif not isinstance(value, str):
            self.fail(field, f"The {field} field must be a string.")
        else:
            return value
        return None

    def date(self, field: str, *, required: bool) -> int | None:
        value = self.values.get(field.lower())
        if value is None:
            if required:
                self.fail(field, f"The {field} field is required.")
            return None
        try:
            return parse_ticks(value)
        except ValueError:
            self.fail(field, f"The {field} field must be an ISO 8601 date, got {value!r}.")
            return None

    def check(self) -> None:
        if self.errors:
            raise Invalid(INVALID, self.errors)


def end_after_start(end: int, start: int) -> None:
    if end <= start:
        text = f"The end date must be after the start date ({format_ticks(start)})."
        raise Invalid(text, {"endDate": [text]})
