"""``/healthz/``: whether this installation can work, for a load balancer or a
person. No login, nothing secret: reachability, ages and counts only."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.models.functions import Now
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult

from segments.models import SyncState, WorkerBeat

logger = logging.getLogger(__name__)

WORKERS_SEEN_WITHIN = timedelta(minutes=5)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health: database unreachable: %s", type(exc).__name__)
        return False
    return True


def _queue() -> dict:
    """The task queue (a table of the same database for django-tasks-db)."""
    try:
        ready = DBTaskResult.objects.ready().count()
        workers = WorkerBeat.objects.filter(seen_at__gte=Now() - WORKERS_SEEN_WITHIN).count()
    except DatabaseError:
        return {"reachable": False}
    return {"reachable": True, "ready_tasks": ready, "workers_seen": workers}


def _last_sync(now) -> dict:
    try:
        last = (
            SyncState.objects.filter(source=SyncState.Source.SEGMENTS)
            .values_list("last_success_at", flat=True)
            .first()
        )
    except DatabaseError:
        return {}
    return {"last_success_age_seconds": round((now - last).total_seconds()) if last else None}


@never_cache
@require_GET
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    database = _database()
    body = {
        "status": "ok" if database else "down",
        "database": {"reachable": database},
        "queue": _queue() if database else {"reachable": False},
        "sync": _last_sync(now) if database else {},
    }
    return JsonResponse(body, status=200 if database else 503)
