"""``python manage.py worker``: django-tasks-db's ``db_worker``, plus a heartbeat
row (``WorkerBeat``) so that ``/healthz/`` can tell which workers are alive."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import connection
from django.db.models.functions import Now
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from segments.models import WorkerBeat

logger = logging.getLogger(__name__)

BEAT_EVERY = 15.0  # seconds


def _beat(worker_id: str, started_at, stopping: threading.Event) -> None:
    try:
        while True:
            try:
                WorkerBeat.objects.update_or_create(
                    worker_id=worker_id,
                    defaults={
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                        "started_at": started_at,
                        "seen_at": Now(),  # the database's clock: /healthz/ compares with it
                    },
                )
            except Exception:
                logger.warning("worker heartbeat failed", exc_info=True)
            if stopping.wait(BEAT_EVERY):
                return
    finally:
        connection.close()


class Command(DbWorkerCommand):
    help = "Run a task worker (django-tasks-db's db_worker) that reports itself alive."

    def handle(self, *args, worker_id: str, **options) -> None:
        stopping = threading.Event()
        beat = threading.Thread(
            target=_beat,
            args=(worker_id, timezone.now(), stopping),
            name="worker-heartbeat",
            daemon=True,
        )
        beat.start()
        try:
            super().handle(*args, worker_id=worker_id, **options)
        finally:
            stopping.set()
            WorkerBeat.objects.filter(worker_id=worker_id).delete()
