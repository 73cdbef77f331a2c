"""What the browser tests share for accessibility and fit: axe-core on a page or
its open dialog, sideways scrolling on a phone, the laptop and phone sizes."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.pages import settled

AXE = Axe()
LAPTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def axe_violations(page: Page, context: str | None = None) -> list[str]:
    """Every axe-core violation of any impact on the page (or in ``context``), readable."""
    results = AXE.run(page, context=context)
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in results.response["violations"]
    ]


def page_overflow(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def audit(page: Page, what: str, found: dict[str, list[str]], *, phone: bool) -> None:
    """axe on the page as it is (only the dialog while one is open: the page behind it
    was audited already and is inert); on a phone, also no sideways scrolling."""
    settled(page)
    problems = axe_violations(page, "#dialog" if page.locator("#dialog[open]").count() else None)
    if phone and (overflow := page_overflow(page)) > 0:
        problems.append(f"the page scrolls sideways by {overflow} px")
    if problems:
        found[what] = problems


def sized_page(new_context, viewport: dict) -> Page:
    page = new_context().new_page()
    page.set_viewport_size(viewport)
    return page


def dialog_open(page: Page) -> None:
    expect(page.locator("#dialog")).to_be_visible()
    expect(page.locator("#dialog-body")).not_to_be_empty()
