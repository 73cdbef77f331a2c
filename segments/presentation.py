"""How values look on a page: dates in the operator's zone with UTC on hover,
grouped numbers, status badges for any status text, country names."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeData, mark_safe

# Known statuses get a fixed colour; any other text gets one of the spare hues.
STATUS_TONES = {
    "active": "ok",
    "ready": "ok",
    "completed": "ok",
    "paused": "warn",
    "pending": "info",
    "processing": "info",
    "failed": "bad",
    "error": "bad",
    "expired": "muted",
    "archived": "muted",
    "deleted": "muted",
}
SPARE_TONES = ("c1", "c2", "c3", "c4")

COUNTRIES = {
    36: "Australia",
    40: "Austria",
    56: "Belgium",
    76: "Brazil",
    124: "Canada",
    156: "China",
    203: "Czechia",
    208: "Denmark",
    246: "Finland",
    250: "France",
    276: "Germany",
    300: "Greece",
    356: "India",
    372: "Ireland",
    380: "Italy",
    392: "Japan",
    442: "Luxembourg",
    484: "Mexico",
    528: "Netherlands",
    554: "New Zealand",
    578: "Norway",
    616: "Poland",
    620: "Portugal",
    724: "Spain",
    752: "Sweden",
    756: "Switzerland",
    792: "Türkiye",
    826: "United Kingdom",
    840: "United States",
}


def country_name(code: int | None) -> str:
    if code is None:
        return "—"
    return COUNTRIES.get(code, f"Country {code}")


def status_tone(status: str) -> str:
    key = (status or "").strip().lower()
    if key in STATUS_TONES:
        return STATUS_TONES[key]
    return SPARE_TONES[zlib.crc32(key.encode()) % len(SPARE_TONES)]


# These run for every cell of a table page: f-strings over values that are either
# escaped here or made by this module (numbers, dates, fixed class names), which
# is several times cheaper than format_html (measured with bench/).


# A segment whose count anomaly alert is not cleared (segments/alerts/anomalies.py).
ANOMALY_BADGE = mark_safe(
    ' <span class="badge tone-bad" title="Counts out of line with recent syncs: see the '
    'segment">anomaly</span>'
)


def status_badge(status: str) -> str:
    return mark_safe(  # noqa: S308 - the status text is escaped
        f'<span class="badge tone-{status_tone(status)}">{escape(status or "—")}</span>'
    )


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def when(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A ``<time>`` in the operator's zone, with the UTC value on hover."""
    if value is None:
        return "—"
    utc = value.astimezone(UTC)
    try:
        local = timezone.localtime(value).strftime(fmt)
    except OverflowError:  # at the calendar's ends the zone shift has no date: show UTC
        local = utc.strftime(fmt) + " UTC"
    return mark_safe(  # noqa: S308 - formatted dates only
        f'<time datetime="{utc.isoformat()}" title="{utc:%Y-%m-%d %H:%M:%S} UTC">{local}</time>'
    )


# How a stored message writes a date-time (``services.outcomes.utc_text``).
_UTC_TEXT = re.compile(r"\b([0-3][0-9] [A-Z][a-z]{2} [0-9]{4} [0-2][0-9]:[0-5][0-9]) UTC\b")


def local_times(text) -> str:
    """A message as the audit trail stores it ("moved to 09 Dec 2026 09:00 UTC"), its
    date-times shown in the operator's zone like every other date on the page (UTC on
    hover). Escaped, unless it was safe already."""
    text = str(text) if isinstance(text, SafeData) else escape(text)
    out, last = [], 0
    for found in _UTC_TEXT.finditer(text):
        try:
            value = datetime.strptime(found.group(1), "%d %b %Y %H:%M").replace(tzinfo=UTC)
        except ValueError:
            continue
        out += [text[last : found.start()], when(value)]
        last = found.end()
    return mark_safe("".join([*out, text[last:]]))  # noqa: S308 - escaped above


def iso_when(text) -> str:
    """``when`` of a date-time stored as ISO text (a bulk run's parameters)."""
    try:
        return when(datetime.fromisoformat(str(text)))
    except ValueError:
        return str(text)


def url_masked(url: str) -> str:
    """A URL as a page shows it: its scheme, host and port, and a password, its path,
    the values of its query and its fragment as ••• (a webhook's token may be in any of
    them: Slack's ``/services/T…/B…/<token>``, Make's ``/<token>``, ``?key=``)."""
    parts = urlsplit(str(url))
    path = "/•••" if parts.path.strip("/") else parts.path
    fragment = "•••" if parts.fragment else ""
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":•••@", 1)
    query = "&".join(
        f"{key}=•••" if value else key
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit(parts._replace(netloc=netloc, path=path, query=query, fragment=fragment))


def days_left_badge(days: int | None, *, soon: int = 7) -> str:
    if days is None:
        return "—"
    # "ended", not "expired": Expired is a status the platform reports, apart from the date.
    if days < 0:
        return mark_safe(f'<span class="days expired">ended {-days} d ago</span>')  # noqa: S308
    css = "days soon" if days <= soon else "days"
    text = "under 1 d left" if days == 0 else f"{days} d left"
    return mark_safe(f'<span class="{css}">{text}</span>')  # noqa: S308 - a number


def pipeline_bar(segment) -> str:
    """A compact stacked bar of the pipeline counts, with the numbers as text.

    Drawn as SVG rectangles: their widths are attributes, not inline styles,
    so the strict CSP needs no ``unsafe-inline``. The bar is one tab stop, named
    by its numbers, which show beside it on hover and on keyboard focus.
    """
    counts = segment.pipeline
    text = ", ".join(f"{label} {number(value)}" for label, value in counts)
    values = {label: value or 0 for label, value in counts}
    # "uploaded" items are ready items already sent on: draw them apart from the rest.
    uploaded = min(values["uploaded"], values["ready"])
    parts = (
        ("uploaded", uploaded),
        ("ready", values["ready"] - uploaded),
        ("processing", values["processing"]),
        ("pending", values["pending"]),
        ("failed", values["failed"]),
        ("no-data", values["no data"]),
    )
    total = sum(value for _, value in parts)
    if total == 0:
        return mark_safe(f'<span class="pipeline-empty" title="{text}">no items</span>')  # noqa: S308
    rects, x = [], 0.0
    for label, value in parts:
        if value:
            width = 100 * value / total
            rects.append(
                f'<rect class="seg-{label}" x="{x:.3f}" y="0" width="{width:.3f}" height="10">'
                "</rect>"
            )
            x += width
    tip = "".join(
        f'<span class="key seg-{label.replace(" ", "-")}"></span>{label} {number(value)}'
        for label, value in counts
    )
    return mark_safe(  # noqa: S308 - labels and numbers made here
        f'<span class="pipeline-bar" tabindex="0" role="img" aria-label="Pipeline: {text}">'
        '<svg class="pipeline" viewBox="0 0 100 10" preserveAspectRatio="none" '
        f'aria-hidden="true">{"".join(rects)}</svg>'
        f'<span class="pipeline-tip" aria-hidden="true">{tip}</span></span>'
    )


def pipeline_rows(segment) -> list[tuple[str, int | None, float]]:
    """Each pipeline count with its bar width (0-100), all on one scale: the largest
    count is the full width (a count unknown to the platform draws no bar)."""
    counts = segment.pipeline
    top = max((value or 0 for _, value in counts), default=0)
    return [
        (label, value, round(100 * (value or 0) / top, 6) if top else 0.0)
        for label, value in counts
    ]


REVIEW_TONES = {"needs_attention": "bad", "acknowledged": "warn", "resolved": "ok"}
OUTCOME_TONES = {"done": "ok", "refused": "warn", "failed": "bad", "conflict": "warn"}


def review_badge(label: str, state: str) -> str:
    if not state:
        return ""
    return format_html(
        '<span class="badge tone-{}">{}</span>', REVIEW_TONES.get(state, "muted"), label
    )


def outcome_badge(outcome: str, label: str) -> str:
    return format_html(
        '<span class="badge tone-{}">{}</span>', OUTCOME_TONES.get(outcome, "muted"), label
    )


def change_summary(before: dict | None, after: dict | None) -> str:
    """What an audited action changed, as "field: old → new" lines."""
    before, after = before or {}, after or {}
    keys = [k for k in after if k != "updated" and before.get(k) != after.get(k)]
    if not keys:
        return "—"
    return format_html_join(
        "",
        '<div><span class="muted">{}:</span> {} → {}</div>',
        ((k.replace("_", " "), _short(before.get(k)), _short(after.get(k))) for k in keys),
    )


def _short(value) -> str:
    if value is None:
        return "—"
    text = str(value)
    if len(text) >= 19 and text[4] == "-" and text[10] == "T":
        try:
            return timezone.localtime(datetime.fromisoformat(text)).strftime("%d %b %Y %H:%M")
        except (ValueError, OverflowError):
            return text
    return text[:80]


def countdown(deadline: datetime, now: datetime | None = None) -> str:
    """Time left as m:ss ("Deleting in 4:32"), as the page's script keeps counting it."""
    left = max(0, int((deadline - (now or timezone.now())).total_seconds()))
    return f"{left // 60}:{left % 60:02d}"
