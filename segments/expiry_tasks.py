"""Tasks of expiry policies and deletes with undo (``django.tasks``)."""

from __future__ import annotations

from django.tasks import task

from segments.services.deletes import scheduled_delete_execute, scheduled_deletes_run_due
from segments.services.policies import policies_apply


@task
def scheduled_delete_send(scheduled_id: int) -> str | None:
    """Send one delete at its deadline (queued with ``run_after`` where supported)."""
    return scheduled_delete_execute(scheduled_id=scheduled_id)


@task
def scheduled_deletes_due() -> int:
    """Every minute: send every due delete, whatever happened to its own task."""
    return scheduled_deletes_run_due()


@task
def policies_run() -> dict:
    """After each sync: apply every active expiry policy."""
    run = policies_apply()
    return {"run": run.pk, "planned": run.planned}
