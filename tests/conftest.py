"""Shared fixtures: one sandbox per test session, over real HTTP."""

from __future__ import annotations

import pytest

from sandbox import SandboxServer
from segments.remote import ListApiClient, SegmentApiClient, TransportConfig

SANDBOX_SEED = 7

# Short waits keep fault tests quick; the rules exercised are the production ones.
FAST = TransportConfig(
    connect_timeout=1.0,
    read_timeout=2.0,
    max_attempts=3,
    backoff_factor=0.01,
    backoff_jitter=0.0,
    retry_after_max=2.0,
)


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or fixtures & {"transactional_db", "live_server"}
    )


def _uses_db(item: pytest.Item) -> bool:
    return bool(item.get_closest_marker("django_db")) or "db" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test must roll back by serialization. One that does not
    ends with a flush that re-runs post_migrate (content types, permissions, the
    role groups made again under new keys), and the next test that restores the
    serialized rows then fails to set up on a duplicate content type.

    And they run after every other database test, as pytest-django orders them:
    a serialized rollback restores the rows at the next such test's start, so the
    last one leaves an empty database. Ordered again here, last: pytest's grouping
    of the browser tests' parametrized fixtures had moved them ahead of 130 other
    database tests, which then found no role groups."""
    unserialized = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = set(getattr(item, "fixturenames", ()))
        serialized = (
            marker and marker.kwargs.get("serialized_rollback")
        ) or "django_db_serialized_rollback" in fixtures
        if _transactional(item) and not serialized:
            unserialized.append(item.nodeid)
    if unserialized:
        raise pytest.UsageError(
            "transactional tests without serialized_rollback=True in their "
            f"django_db mark: {', '.join(unserialized)}"
        )
    items.sort(key=lambda item: 1 if _transactional(item) else 0 if _uses_db(item) else 2)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, a test database in a file (not pytest-django's in-memory one), so
    that the worker and web processes of tests/processes/ share it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Test users need no costly key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run inline where the queue is not what a test is about; the
    multi-process tests (tests/processes/) use the database queue and real workers."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def fresh_remote_clients():
    """Each test starts with no shared remote client (and so logs in afresh)."""
    from segments import remote

    remote.clients_reset()
    yield
    remote.clients_reset()


@pytest.fixture(autouse=True)
def immediate_deletes(settings):
    """Deletes are sent at once unless a test gives them an undo window (``undo_window``)."""
    settings.DELETE_UNDO_SECONDS = 0


@pytest.fixture
def undo_window(settings):
    """The default undo window: deletes wait 300 s."""
    settings.DELETE_UNDO_SECONDS = 300
    return settings


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached filter choices must not leak from one test's mirror into another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def sandbox_server():
    with SandboxServer(seed=SANDBOX_SEED, size=400) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The session's sandbox with no faults and a fresh request log."""
    sandbox_server.faults.clear()
    sandbox_server.requests.clear()
    yield sandbox_server
    sandbox_server.faults.clear()


@pytest.fixture
def fresh_sandbox(sandbox):
    """The sandbox with its seeded data restored, for tests that write."""
    sandbox.reset()
    return sandbox


@pytest.fixture
def remote_settings(settings, sandbox):
    """Point the dashboard's settings at the sandbox."""
    settings.REMOTE = {
        **settings.REMOTE,
        "SEGMENT_API_URL": sandbox.segment_api_url,
        "SEGMENT_API_USERNAME": "sandbox",
        "SEGMENT_API_PASSWORD": "sandbox-password",
        "SEGMENT_API_COOKIE": "",
        "LIST_API_URL": sandbox.list_api_url,
        "LIST_API_KEY": "sandbox-api-key",
        "CONNECT_TIMEOUT": FAST.connect_timeout,
        "READ_TIMEOUT": FAST.read_timeout,
        "MAX_ATTEMPTS": FAST.max_attempts,
        "BACKOFF_FACTOR": FAST.backoff_factor,
        "RETRY_AFTER_MAX": FAST.retry_after_max,
    }
    return settings


@pytest.fixture
def segment_client(sandbox):
    with SegmentApiClient(
        sandbox.segment_api_url, username="sandbox", password="sandbox-password", config=FAST
    ) as client:
        yield client


@pytest.fixture
def list_client(sandbox):
    with ListApiClient(sandbox.list_api_url, api_key="sandbox-api-key", config=FAST) as client:
        yield client


@pytest.fixture
def synced(db, remote_settings, fresh_sandbox):
    """A mirror filled by a full sync from freshly seeded sandbox data."""
    from segments.services.sync import sync_run

    report = sync_run(full=True)
    assert report.ok, report.errors
    return fresh_sandbox


def make_user(username: str, role: str | None):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username=username, password="pw-for-tests-only")
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_policy(**fields):
    """An expiry policy row as a test needs it, without the service's edit history:
    status "Active" kept 5 days ahead in 5-day steps, never beyond 30, unless told."""
    from segments.models import ExpiryPolicy

    values = {
        "name": "Keep",
        "scope": "status",
        "scope_value": "Active",
        "min_days_ahead": 5,
        "step_days": 5,
        "ceiling_days": 30,
        **fields,
    }
    return ExpiryPolicy.objects.create(**values)


@pytest.fixture
def viewer(db):
    return make_user("vera", "Viewer")


@pytest.fixture
def operator(db):
    return make_user("otto", "Operator")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def op_client(client, operator):
    client.force_login(operator)
    return client
