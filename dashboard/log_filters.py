"""Logging filters of the dashboard's configuration (``LOGGING`` in settings)."""

from __future__ import annotations

import logging


class RefusalsInOneLine(logging.Filter):
    """A 403 or 404 is an answer the user was given, not a fault: Django logs it with
    the exception's traceback, which buried the real errors in the web log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True
