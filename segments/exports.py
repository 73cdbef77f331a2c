"""CSV export of segments. Only mirror columns: no credential is ever stored,
so none can be exported. Text that a spreadsheet would run as a formula is
escaped; a UTF-8 byte order mark is offered for Excel."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from segments.models import COUNT_FIELDS, Segment

SEGMENT_EXPORT_COLUMNS = (
    ("segment_id", "segment_id"),
    ("name", "name"),
    ("status", "status"),
    ("status_id", "status_id"),
    ("audience_id", "audience_id"),
    ("audience_name", "audience.name"),
    ("account_id", "account_id"),
    ("account_name", "account.name"),
    ("platform_id", "platform_id"),
    ("platform", "account.platform_display_name"),
    ("country", "country"),
    ("active", "active"),
    ("auto_extend", "auto_extend"),
    ("recurring", "is_recurring"),
    ("system_generated", "is_system_generated"),
    ("start_date_utc", "start_date"),
    ("end_date_utc", "end_date"),
    *((field, field) for field in COUNT_FIELDS),
    ("segment_ref_id", "segment_ref_id"),
    ("category_id", "category_id"),
    ("user_name", "user_name"),
    ("created_utc", "created"),
    ("updated_utc", "updated"),
    ("synced_at_utc", "confirmed_at"),
)


# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_safe(value):
    """Text that would start a formula gets a leading apostrophe (OWASP's advice):
    spreadsheets then show it as text. Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _value(segment: Segment, path: str):
    value = segment
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return csv_safe(value)


def segment_export_rows(queryset: QuerySet[Segment]) -> Iterator[list]:
    """The header, then one row per segment, reading the database in chunks."""
    yield [header for header, _ in SEGMENT_EXPORT_COLUMNS]
    for segment in queryset.iterator(chunk_size=2000):
        yield [_value(segment, path) for _, path in SEGMENT_EXPORT_COLUMNS]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list], *, bom: bool = False) -> Iterator[str]:
    """Rows as CSV text, line by line (for a streaming response); ``bom`` first
    writes a UTF-8 byte order mark so Excel reads non-ASCII text right."""
    if bom:
        yield BOM
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)
