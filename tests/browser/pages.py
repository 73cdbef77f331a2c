"""What the browser tests share: a marker that tells an HTMX swap from a page load,
waiting for HTMX to settle, a URL parameter's pattern."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

MARKER = "window.__deskMarker"


def set_marker(page: Page) -> None:
    """A value that lives as long as the document: an HTMX swap keeps it, a load loses it."""
    page.evaluate(f"{MARKER} = 'same document'")


def marker(page: Page):
    return page.evaluate(MARKER)


def settled(page: Page) -> None:
    """No HTMX request in flight (the indicator is shown while any is)."""
    expect(page.locator("#busy")).to_be_hidden()


def url_param(name: str, value: str) -> re.Pattern:
    return re.compile(rf"[?&]{re.escape(name)}={re.escape(value)}(&|$)")
