"""Long work (a whole-platform sync, a bulk run) runs in a background thread of
the web process, reporting progress in the database; inline where
``BACKGROUND_JOBS`` is off (tests, and anyone who prefers to wait)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def job_start(target: Callable[..., object], /, **kwargs) -> bool:
    """Run ``target(**kwargs)``; returns True if it went to the background."""
    if not settings.BACKGROUND_JOBS:
        target(**kwargs)
        return False

    def run() -> None:
        try:
            target(**kwargs)
        except Exception:
            logger.exception("background job %s crashed", getattr(target, "__name__", target))
        finally:
            connection.close()

    threading.Thread(target=run, daemon=True).start()
    return True
