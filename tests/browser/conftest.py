"""Browser tests: Debian's Chromium driven by Playwright against ``live_server``.

Chromium is ``$SEGMENT_DESK_CHROMIUM`` when set, else ``/usr/bin/chromium`` or the
one on ``PATH`` (``playwright install`` is not used). Without it the tests are
skipped, loudly, unless ``SEGMENT_DESK_REQUIRE_BROWSER`` or ``CI`` is set: then
they fail.

Every test gets a fresh mirror: the sandbox's seeded data synced through the
real ``sync_run``, plus the demo users (viewer, operator, admin).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import BrowserContext, Page, expect

from segments.management.commands.demo_users import DEMO_USERS
from segments.services.sync import sync_run

# Playwright's sync API keeps an asyncio loop running in the test thread; Django
# refuses database access from such a thread unless told it is fine. The loop
# lives for the whole session, so this must hold for every test run after these.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

HERE = Path(__file__).resolve().parent
INSTALL_HINT = (
    "install it with `apt-get install -y chromium`, or point SEGMENT_DESK_CHROMIUM at a binary"
)
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Dates render in the browser's zone (desk.js reports it in the ``tz`` cookie):
# one that is neither UTC nor the server's default proves the round trip.
BROWSER_TIME_ZONE = "America/New_York"
PASSWORDS = {username: password for username, _role, password in DEMO_USERS}
# Playwright's default is 30 s; a stuck page should fail a quick suite sooner.
expect.set_options(timeout=10_000)


def find_chromium() -> str | None:
    """``$SEGMENT_DESK_CHROMIUM`` if set (and only it), else Debian's Chromium."""
    override = os.environ.get("SEGMENT_DESK_CHROMIUM")
    candidates = (
        (override,)
        if override
        else ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    )
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in {"", "0", "false", "no", "off"}


CHROMIUM = find_chromium()
REQUIRED = _flag("SEGMENT_DESK_REQUIRE_BROWSER") or _flag("CI")
_OVERRIDE = os.environ.get("SEGMENT_DESK_CHROMIUM")
MISSING = (
    f"Chromium is missing{f' (nothing runnable at {_OVERRIDE})' if _OVERRIDE else ''}, "
    f"so the browser tests cannot run: {INSTALL_HINT}. "
    "With SEGMENT_DESK_REQUIRE_BROWSER or CI set they fail instead of being skipped."
)


def _is_browser_test(item: pytest.Item) -> bool:
    return HERE in Path(item.path).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item, not only this directory's.
    for item in items:
        if not _is_browser_test(item):
            continue
        item.add_marker(pytest.mark.browser)
        if CHROMIUM is None and not REQUIRED:
            item.add_marker(pytest.mark.skip(reason=MISSING))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if CHROMIUM is not None or REQUIRED:
        return
    prefix = HERE.relative_to(config.rootpath).as_posix() + "/"
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if getattr(report, "nodeid", "").startswith(prefix)
    ]
    if skipped:
        terminalreporter.write_sep("!", "browser tests skipped", yellow=True, bold=True)
        terminalreporter.write_line(f"{len(skipped)} browser tests did not run. {MISSING}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if CHROMIUM is None:
        pytest.fail(MISSING, pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, live_server) -> dict:
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "timezone_id": BROWSER_TIME_ZONE,
        "locale": "en-US",
        "viewport": {"width": 1400, "height": 1000},
    }


# --- console watch --------------------------------------------------------------


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions of every page of the test's contexts."""

    errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.page_errors.append(str(error.error)))

    def _on_console(self, message) -> None:
        if message.type == "error":
            location = message.location.get("url", "")
            self.errors.append(f"{message.text} ({location})")

    @property
    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if re.search(r"Content[ -]Security[ -]Policy", e, re.I)]

    def assert_clean(self) -> None:
        problems = self.csp_violations + self.page_errors
        assert not problems, "browser reported:\n" + "\n".join(problems + self.errors)


@pytest.fixture
def console_log() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def new_context(new_context, console_log: ConsoleLog):
    """pytest-playwright's ``new_context`` (and so ``context``/``page``), watched."""

    def make(**kwargs) -> BrowserContext:
        context = new_context(**kwargs)
        # Fail a stuck step well before Playwright's default of 30 s.
        context.set_default_timeout(10_000)
        console_log.watch(context)
        return context

    yield make
    # Every page a test visited: no CSP violation, no uncaught script error.
    console_log.assert_clean()


# --- data and users -----------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _migrated_state(django_db_setup) -> dict[str, str]:
    """What the migrations wrote (the role groups, ...), as serialized for rollbacks.

    Taken before Playwright starts: its sync API switches the test thread's
    ``contextvars`` context, and with it the objects ``django.db.connections``
    hands out, so those made afterwards lack ``_test_serialized_contents`` and
    ``serialized_rollback`` would silently restore nothing after the first flush
    (whenever a ``db`` test set the test database up before these ran).
    """
    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


def _restore_migrated_state(migrated: dict[str, str]) -> None:
    for alias, contents in migrated.items():
        connection = connections[alias]
        if not hasattr(connection, "_test_serialized_contents"):
            connection._test_serialized_contents = contents
            # This test's set-up could not restore it: do it now (a no-op if present).
            connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def mirror(live_server, remote_settings, fresh_sandbox, _migrated_state):
    """The sandbox's seeded data, synced into the (transactional) test database."""
    _restore_migrated_state(_migrated_state)
    # The real login page, without a second or so of PBKDF2 per user and login.
    remote_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    report = sync_run(full=True)
    assert report.ok, report.errors
    assert report.segments_written > 0
    call_command("demo_users", stdout=io.StringIO())
    return report


def login(page: Page, username: str = "viewer", password: str | None = None) -> None:
    """Log in through the real login page and land on the overview."""
    page.goto("/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username] if password is None else password)
    page.get_by_role("button", name="Log in").click()
    if password is None:
        expect(page).to_have_url(re.compile(r"/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Overview")


@pytest.fixture
def viewer_page(page: Page, mirror) -> Page:
    """A page logged in as the demo viewer, on the overview."""
    login(page, "viewer")
    return page


@pytest.fixture
def operator_page(page: Page, mirror) -> Page:
    """A page logged in as the demo operator, on the overview."""
    login(page, "operator")
    expect(page.locator(".who")).to_contain_text("operator · Operator")
    return page
