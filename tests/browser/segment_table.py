"""Reading the segments table in a browser, and what the mirror says it should show."""

from __future__ import annotations

import re

from django.db.models import Count
from playwright.sync_api import Page, expect

from segments.models import Segment
from tests.browser.pages import settled

COLUMN_JS = """([header]) => {
    const table = document.querySelector('#table table');
    const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
    const i = heads.indexOf(header);
    if (i < 0) { throw new Error(`no column ${header} in ${heads}`); }
    return [...table.tBodies[0].rows].map(r => r.cells[i].textContent.trim());
}"""


def column(page: Page, title: str) -> list[str]:
    """The texts of one column of the page's table, found by its header."""
    return page.evaluate(COLUMN_JS, [title])


def row_ids(page: Page) -> list[str]:
    return page.locator("#table tbody tr").evaluate_all("rows => rows.map(r => r.id)")


def count_of(page: Page) -> int:
    text = page.locator("#table .table-meta .count").inner_text()
    return int(re.match(r"[\d,]+", text).group().replace(",", ""))


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def parse_number(text: str) -> int | None:
    return None if text == "—" else int(text.replace(",", ""))


def statuses_by_count() -> list[tuple[str, int]]:
    rows = (
        Segment.objects.visible()
        .values("status")
        .annotate(n=Count("segment_id"))
        .order_by("-n", "status")
    )
    return [(row["status"], row["n"]) for row in rows]


def log_counts(*, descending: bool = False, **filters) -> list[int | None]:
    """The visible segments' log counts in the table's order for that sort."""
    order = "-total_log_count" if descending else "total_log_count"
    rows = Segment.objects.visible().filter(**filters).order_by(order)
    return list(rows.values_list("total_log_count", flat=True))


def header(page: Page, text: str):
    """The table's column header with exactly this text (the CSS upper-cases it)."""
    return page.locator("#table thead th").filter(
        has_text=re.compile(rf"^\s*{re.escape(text)}\s*$", re.IGNORECASE)
    )


def sort_by(page: Page, text: str):
    """Click the header with this text once (an ascending sort) and wait for the
    table; returns the header."""
    column_header = header(page, text)
    column_header.get_by_role("link").click()
    expect(column_header).to_have_attribute("aria-sort", "ascending")
    settled(page)
    return column_header
