"""Reads of the sync's state: per source, and what every page says about it."""

from __future__ import annotations

from typing import Any

from segments.models import SyncState


def sync_states() -> list[SyncState]:
    """One state per source, in a fixed order, including sources never synced."""
    existing = {state.source: state for state in SyncState.objects.all()}
    return [existing.get(source) or SyncState(source=source) for source in SyncState.Source]


def sync_banner() -> dict[str, Any]:
    """What every page says about syncing: running (with progress), or the last failure."""
    states = sync_states()
    running = next((s for s in states if s.running_since), None)
    failed = next((s for s in states if s.last_error and not s.healthy), None)
    synced = [s.last_success_at for s in states if s.last_success_at]
    segments = next(s for s in states if s.source == SyncState.Source.SEGMENTS)
    return {
        "running": running is not None,
        "done": segments.progress_done,
        "total": segments.progress_total,
        "failed": failed,
        "synced_at": min(synced) if synced else None,
    }
