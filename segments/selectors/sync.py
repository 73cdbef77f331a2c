"""Reads of the sync's state: per source, and what every page says about it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from segments.models import SyncState
from segments.schedule import next_syncs
from segments.services.sync_lock import sync_running


def sync_states() -> list[SyncState]:
    """One state per source, in a fixed order, including sources never synced.
    ``running`` is true for the stage a live sync is in (its lock's heartbeat is
    fresh): a stage left marked by a killed process does not count."""
    alive = sync_running() is not None
    existing = {state.source: state for state in SyncState.objects.all()}
    states = [existing.get(source) or SyncState(source=source) for source in SyncState.Source]
    for state in states:
        state.running = alive and state.running_since is not None
    return states


def sync_banner() -> dict[str, Any]:
    """What every page says about syncing: running (with progress), the last
    failure, or a schedule that stopped running; and when the next syncs are."""
    states = sync_states()
    failed = next((s for s in states if s.last_error and not s.healthy), None)
    synced = [s.last_success_at for s in states if s.last_success_at]
    segments = next(s for s in states if s.source == SyncState.Source.SEGMENTS)
    return {
        "running": any(s.running for s in states),
        "done": segments.progress_done,
        "total": segments.progress_total,
        "failed": failed,
        "synced_at": min(synced) if synced else None,
        "last_attempt_at": segments.last_attempt_at,
        **next_syncs(last_attempt=segments.last_attempt_at, now=timezone.now()),
    }
