"""The count history chart of a segment, drawn on the server as SVG geometry.

A time axis (a point per snapshot, placed by when it was taken), a value axis
from zero with round steps labelled in thousands, millions or billions, and per
snapshot a focusable band whose label and tooltip give every value. The snapshot
of an uncleared count anomaly is marked: a dashed line and a diamond labelled
"anomaly" (a shape and a word, not a colour alone), and its band's label says so.
The template (``segments/_history_chart.html``) turns this into SVG; no inline
styles, so the strict CSP holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from segments.presentation import number

LINES = (
    ("uploads", "Segment uploads", "total_segment_upload_count"),
    ("ready", "Ready", "total_ready_count"),
    ("failed", "Failed", "total_failed_count"),
    ("no-data", "No data", "total_no_data_count"),
)
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 30
VALUE_TICKS = 4
TIME_TICKS = 4
TIP_WIDTH, TIP_HEIGHT = 176, 84
TIP_ROW = 15
DIAMOND = 6  # half the marker's width
ANOMALY = "Count anomaly flagged"
UNITS = ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K"))


def compact_number(value: float) -> str:
    """``1500000`` → ``1.5M``: an axis label in thousands, millions or billions."""
    for size, suffix in UNITS:
        if abs(value) >= size:
            scaled = value / size
            text = f"{scaled:.1f}".rstrip("0").rstrip(".") if scaled < 10 else f"{scaled:.0f}"
            return f"{text}{suffix}"
    return f"{value:.0f}"


def nice_step(top: float, ticks: int = VALUE_TICKS) -> float:
    """A round step (1, 2 or 5 times a power of ten) so ``ticks`` steps reach ``top``."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM
    plot_height: int = HEIGHT - BOTTOM - TOP
    tip_width: int = TIP_WIDTH
    value_ticks: list[dict] = field(default_factory=list)
    time_ticks: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    flagged: dict | None = None


def _when(taken: datetime, *, with_time: bool) -> str:
    local = timezone.localtime(taken)
    return local.strftime("%d %b %H:%M" if with_time else "%d %b %Y")


def flagged_index(snapshots, anomaly_at: datetime | None) -> int | None:
    """The snapshot an anomaly raised at ``anomaly_at`` was found on: the latest one
    taken by then (the alert compares the latest snapshot of its evaluation)."""
    if anomaly_at is None:
        return None
    taken = [i for i, s in enumerate(snapshots) if s.taken_at <= anomaly_at]
    return taken[-1] if taken else None


def _marker(x: float, top: int, right_edge: int) -> dict:
    """A diamond above the flagged point, its word beside it (on the left near the edge)."""
    cy = top + DIAMOND + 2
    corners = ((x, cy - DIAMOND), (x + DIAMOND, cy), (x, cy + DIAMOND), (x - DIAMOND, cy))
    diamond = " ".join(f"{px:.1f},{py:.1f}" for px, py in corners)
    near_edge = x > right_edge - 70
    return {
        "x": f"{x:.1f}",
        "diamond": diamond,
        "text_x": f"{x - DIAMOND - 4 if near_edge else x + DIAMOND + 4:.1f}",
        "text_y": cy,
        "anchor": "end" if near_edge else "start",
    }


def history_chart(snapshots, *, anomaly_at: datetime | None = None) -> Chart:
    """The geometry of the chart for ``snapshots`` (oldest first, at least one), the
    snapshot of an anomaly raised at ``anomaly_at`` marked."""
    chart = Chart()
    plot_w = chart.right_edge - chart.left
    plot_h = chart.bottom_edge - chart.top
    values = [getattr(s, f) or 0 for s in snapshots for _, _, f in LINES]
    step = nice_step(max(values, default=0))
    top_value = step * max(1, math.ceil(max(values, default=0) / step))

    def y(value: int) -> float:
        return chart.bottom_edge - plot_h * value / top_value

    first, last = snapshots[0].taken_at, snapshots[-1].taken_at
    span = (last - first).total_seconds()
    with_time = span < 3 * 86_400

    def x(taken: datetime) -> float:
        # One snapshot, or all at one instant: in the middle.
        return chart.left + (
            plot_w * (taken - first).total_seconds() / span if span else plot_w / 2
        )

    chart.value_ticks = [
        {"y": f"{y(v):.1f}", "label": compact_number(v)}
        for v in (i * step for i in range(round(top_value / step) + 1))
    ]
    if span:
        instants = [first + (last - first) * i / (TIME_TICKS - 1) for i in range(TIME_TICKS)]
    else:
        instants = [first]
    anchors = ["start", *["middle"] * (len(instants) - 2), "end"] if span else ["middle"]
    chart.time_ticks = [
        {"x": f"{x(t):.1f}", "label": _when(t, with_time=with_time), "anchor": anchor}
        for t, anchor in zip(instants, anchors, strict=True)
    ]
    chart.lines = [
        {
            "key": key,
            "label": label,
            "points": " ".join(
                f"{x(s.taken_at):.1f},{y(getattr(s, f) or 0):.1f}" for s in snapshots
            ),
            "dots": [
                {"x": f"{x(s.taken_at):.1f}", "y": f"{y(getattr(s, f) or 0):.1f}"}
                for s in snapshots
            ],
        }
        for key, label, f in LINES
    ]
    # A band per snapshot, half-way to its neighbours, that takes hover and focus.
    xs = [x(s.taken_at) for s in snapshots]
    flagged = flagged_index(snapshots, anomaly_at)
    if flagged is not None:
        chart.flagged = {"index": flagged, **_marker(xs[flagged], chart.top, chart.right_edge)}
    for i, s in enumerate(snapshots):
        start = chart.left if i == 0 else (xs[i - 1] + xs[i]) / 2
        end = chart.right_edge if i == len(xs) - 1 else (xs[i] + xs[i + 1]) / 2
        values = [(label, number(getattr(s, f))) for _, label, f in LINES]
        when = timezone.localtime(s.taken_at).strftime("%d %b %Y %H:%M")
        tip_x = min(max(xs[i] - TIP_WIDTH / 2, chart.left), chart.right_edge - TIP_WIDTH)
        rows = [when, *(f"{k}: {v}" for k, v in values)]
        label = f"{when}: " + ", ".join(f"{k} {v}" for k, v in values)
        if i == flagged:
            rows.append(ANOMALY)
            label = f"{label}. {ANOMALY} on this sync"
        chart.points.append(
            {
                "x": f"{start:.1f}",
                "width": f"{max(end - start, 1):.1f}",
                "line_x": f"{xs[i]:.1f}",
                "label": label,
                "tip_x": f"{tip_x:.1f}",
                "tip_text_x": f"{tip_x + 8:.1f}",
                "tip_height": TIP_HEIGHT + TIP_ROW * (len(rows) - 5),
                "rows": [
                    {"y": chart.top + 18 + TIP_ROW * n, "text": t} for n, t in enumerate(rows)
                ],
            }
        )
    return chart
