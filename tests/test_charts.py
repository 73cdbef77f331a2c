"""The count history chart's scales and geometry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from segments.charts import LINES, compact_number, history_chart, nice_step


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (950, "950"),
        (1_000, "1K"),
        (1_500, "1.5K"),
        (250_000, "250K"),
        (2_000_000, "2M"),
        (12_500_000, "12M"),
        (1_250_000_000, "1.2B"),
    ],
)
def test_axis_labels_in_thousands_millions_and_billions(value, text):
    assert compact_number(value) == text


@pytest.mark.parametrize(
    ("top", "step"), [(0, 1), (7, 2), (100, 50), (950_000, 500_000), (3_100_000_000, 1e9)]
)
def test_value_steps_are_round(top, step):
    assert nice_step(top) == step


def snapshot(when: datetime, uploads: int, ready: int = 0, failed: int = 0, no_data: int = 0):
    values = dict(zip((f for _, _, f in LINES), (uploads, ready, failed, no_data), strict=True))
    return SimpleNamespace(taken_at=when, **values)


START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_a_point_per_snapshot_placed_by_time_with_axes_from_zero():
    snapshots = [
        snapshot(START, 1_000_000, 900_000, 5_000),
        snapshot(START + timedelta(days=1), 1_200_000, 1_000_000, 0),
        snapshot(START + timedelta(days=4), 2_400_000, 2_000_000, 100_000),
    ]
    chart = history_chart(snapshots)
    labels = [t["label"] for t in chart.value_ticks]
    assert labels[0] == "0"
    assert labels[-1] == "3M"  # the first round value above the largest (2.4M)
    assert len(chart.points) == 3
    uploads = next(line for line in chart.lines if line["key"] == "uploads")
    xs = [float(d["x"]) for d in uploads["dots"]]
    # By time, not by index: 1 day then 3 days apart.
    assert xs[0] == chart.left
    assert xs[-1] == chart.right_edge
    assert (xs[2] - xs[1]) == pytest.approx(3 * (xs[1] - xs[0]), rel=0.01)
    # The largest value sits below the top of the axis, zero on the baseline.
    assert float(uploads["dots"][2]["y"]) > chart.top
    failed = next(line for line in chart.lines if line["key"] == "failed")
    assert float(failed["dots"][1]["y"]) == chart.bottom_edge
    # Time labels: the first and last snapshot's days, anchored inside the plot.
    assert chart.time_ticks[0]["label"].startswith("01 Nov")
    assert chart.time_ticks[-1]["label"].startswith("05 Nov")
    assert [t["anchor"] for t in (chart.time_ticks[0], chart.time_ticks[-1])] == ["start", "end"]
    # Each point says its values for hover and focus.
    assert "Segment uploads 2,400,000" in chart.points[2]["label"]
    assert "Failed 100,000" in chart.points[2]["label"]


def test_a_single_snapshot_is_drawn_in_the_middle():
    chart = history_chart([snapshot(START, 42, 40)])
    assert len(chart.points) == 1
    assert len(chart.time_ticks) == 1
    dot = chart.lines[0]["dots"][0]
    assert float(dot["x"]) == pytest.approx((chart.left + chart.right_edge) / 2)
    assert [t["label"] for t in chart.value_ticks][-1] == "60"


def test_the_chart_renders_as_svg_with_its_labels_and_no_template_text():
    from django.template.loader import render_to_string

    snapshots = [
        snapshot(START, 1_000_000, 900_000),
        snapshot(START + timedelta(days=2), 2_000_000),
    ]
    html = render_to_string(
        "segments/_history_chart.html", {"chart": history_chart(snapshots), "history": snapshots}
    )
    assert "{#" not in html
    assert "{%" not in html
    assert html.count('class="hit"') == 2
    assert ">2M</text>" in html
    assert 'tabindex="0"' in html
    assert "style=" not in html  # the strict CSP: no inline styles


def test_the_snapshot_an_anomaly_was_found_on_is_marked_by_shape_and_words():
    from django.template.loader import render_to_string

    snapshots = [snapshot(START + timedelta(days=d), 1_000_000 - d * 10) for d in range(4)]
    snapshots.append(snapshot(START + timedelta(days=4), 100_000))
    # Raised by the evaluation after the fifth sync (a later snapshot would be newer).
    raised = START + timedelta(days=4, minutes=2)
    chart = history_chart(
        [*snapshots, snapshot(START + timedelta(days=5), 90_000)], anomaly_at=raised
    )
    assert chart.flagged["index"] == 4
    assert chart.flagged["x"] == chart.points[4]["line_x"]
    assert "Count anomaly flagged on this sync" in chart.points[4]["label"]
    assert "Count anomaly flagged" in [r["text"] for r in chart.points[4]["rows"]]
    assert chart.points[4]["tip_height"] > chart.points[3]["tip_height"]
    assert not any("anomaly" in p["label"] for i, p in enumerate(chart.points) if i != 4)
    html = render_to_string("segments/_history_chart.html", {"chart": chart, "history": snapshots})
    assert html.count('class="anomaly-mark"') == 1
    assert "<polygon" in html
    assert ">anomaly</text>" in html
    assert html.count('<span class="badge tone-bad">anomaly</span>') == 1
    assert "style=" not in html


def test_no_marker_without_an_anomaly_or_before_the_first_snapshot():
    snapshots = [snapshot(START, 10), snapshot(START + timedelta(days=1), 20)]
    assert history_chart(snapshots).flagged is None
    assert history_chart(snapshots, anomaly_at=START - timedelta(days=1)).flagged is None
    # The last snapshot sits near the right edge: its word goes to the left of the diamond.
    last = history_chart(snapshots, anomaly_at=START + timedelta(days=2)).flagged
    assert last["anchor"] == "end"
