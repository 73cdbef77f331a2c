"""Real processes around the test: gunicorn web processes, task workers and the
scheduler, sharing the test database (a file on SQLite) and talking to the
session's sandbox over HTTP. The test's own data is committed (transactional
tests) so that the other processes see it."""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Callable, Iterator

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connection

from segments import processes
from tests.conftest import FAST

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def database_url() -> str:
    """The test database, as the children's ``DATABASE_URL``."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db["HOST"] or "127.0.0.1"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(check: Callable[[], object], *, timeout: float = 60, what: str = "it") -> object:
    """Poll ``check`` until it returns something true; the machine may be loaded."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.2)


def ensure_roles() -> None:
    """The role groups the migrations made, which a transactional test's flush removed."""
    roles = importlib.import_module("segments.migrations.0002_roles").ROLES
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, perms in roles.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Cluster:
    """The processes a test started, stopped (the whole group) at teardown."""

    def __init__(self, env: dict[str, str], log_dir):
        self.env, self.log_dir = env, log_dir
        self.children: list = []

    def start(self, name: str, command: list[str], **env: str):
        child = processes.start(command, env={**self.env, **env}, log=self.log_dir / f"{name}.log")
        child.name = name
        self.children.append(child)
        return child

    def web(self, name: str = "web", **env: str) -> tuple[object, str]:
        port = processes.free_port()
        child = self.start(name, processes.web_command(port=port, workers=2), **env)
        url = f"http://127.0.0.1:{port}"
        processes.wait_for_http(f"{url}/healthz/", child, timeout=60)
        return child, url

    def worker(self, name: str = "worker", **env: str):
        return self.start(name, processes.worker_command(worker_id=name, interval=0.2), **env)

    def scheduler(self, **env: str):
        return self.start("scheduler", processes.scheduler_command(), **env)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for child in reversed(self.children):
            processes.stop(child, timeout=15)


@pytest.fixture
def cluster(transactional_db, remote_settings, settings, sandbox, tmp_path) -> Iterator[Cluster]:
    """Start processes with ``cluster.web()``, ``.worker()``, ``.scheduler()``."""
    settings.TASKS = DB_TASKS
    ensure_roles()
    env = {
        "DATABASE_URL": database_url(),
        "SEGMENT_API_URL": sandbox.segment_api_url,
        "LIST_API_URL": sandbox.list_api_url,
        "REMOTE_CONNECT_TIMEOUT": str(FAST.connect_timeout),
        "REMOTE_READ_TIMEOUT": str(FAST.read_timeout),
        "REMOTE_BACKOFF_FACTOR": str(FAST.backoff_factor),
        "SYNC_INTERVAL_MINUTES": "0",
        "SYNC_FULL_AT": "",
        "DJANGO_LOG_LEVEL": "INFO",
    }
    running = Cluster(env, tmp_path)
    try:
        yield running
    finally:
        running.stop()
        with contextlib.suppress(Exception):
            for child in running.children:
                print(
                    f"--- {child.name} (exit {child.returncode})\n{running.log(child.name)[-3000:]}"
                )
