"""System checks of settings that must agree with one another."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from segments.remote.transport import longest_call_seconds


def _longest_write_seconds() -> float:
    """A bulk run's write after its lease was renewed: a login when the token expired,
    then the write, sent once."""
    return longest_call_seconds(settings.REMOTE) + longest_call_seconds(settings.REMOTE, attempts=1)


@checks.register()
def bulk_run_lock_timeout_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A bulk run is taken over once its lease is older than BULK_RUN_LOCK_TIMEOUT;
    the worker renews it just before each write, which must end before then."""
    longest = _longest_write_seconds()
    if longest < settings.BULK_RUN_LOCK_TIMEOUT:
        return []
    return [
        checks.Warning(
            f"BULK_RUN_LOCK_TIMEOUT ({settings.BULK_RUN_LOCK_TIMEOUT:g} s) is not longer than "
            f"a bulk run's write can take ({longest:g} s with the REMOTE timeouts): a worker "
            "stalled in a write could be taken over, and that segment written twice.",
            hint="Raise BULK_RUN_LOCK_TIMEOUT or lower the REMOTE timeouts.",
            id="segments.W001",
        )
    ]
