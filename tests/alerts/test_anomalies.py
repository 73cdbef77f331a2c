"""The count-anomaly rule on synthetic histories."""

import pytest

from segments.alerts.anomalies import Thresholds, count_anomalies


def counts(log=1_000_000, ready=50_000, failed=0, uploads=60_000):
    return {
        "total_log_count": log,
        "total_ready_count": ready,
        "total_failed_count": failed,
        "total_segment_upload_count": uploads,
    }


def kinds(snapshots, current, **rule):
    found = count_anomalies(history=snapshots, current=current, thresholds=Thresholds(**rule))
    return {(a.field, a.kind) for a in found}


STEADY = [counts(log=v) for v in (1_000_000, 1_020_000, 990_000, 1_010_000, 1_005_000)]


def test_the_first_snapshot_has_nothing_to_compare_with():
    assert kinds([], counts(log=0, ready=0, failed=10_000)) == set()


def test_noise_is_not_an_anomaly():
    noisy = [counts(log=v, ready=r) for v, r in ((900_000, 45_000), (1_100_000, 55_000))]
    assert kinds(STEADY + noisy, counts(log=960_000, ready=52_000, failed=50)) == set()


def test_a_drop_of_more_than_half_below_the_median_is_flagged():
    assert kinds(STEADY, counts(log=499_000)) == {("total_log_count", "drop")}
    assert kinds(STEADY, counts(log=503_000)) == set()  # median 1,005,000: not "more than" 50%
    assert kinds(STEADY, counts(ready=20_000)) == {("total_ready_count", "drop")}


def test_the_median_is_over_the_last_snapshots_only():
    old_high = [counts(log=10_000_000)] * 10
    assert kinds(old_high + STEADY, counts(log=900_000)) == set()
    assert kinds(old_high + STEADY, counts(log=900_000), history=15) == {
        ("total_log_count", "drop")
    }


def test_one_spike_does_not_move_the_median():
    spiky = [*STEADY[:4], counts(log=50_000_000)]
    assert kinds(spiky, counts(log=1_000_000)) == set()


def test_falling_to_zero_from_above_zero_is_flagged_even_from_a_small_median():
    small = [counts(log=0, ready=0)] * 4 + [counts(log=10, ready=3)]
    assert kinds(small, counts(log=0, ready=0)) == {
        ("total_log_count", "to_zero"),
        ("total_ready_count", "to_zero"),
    }
    assert kinds([counts(log=0, ready=0)] * 5, counts(log=0, ready=0)) == set()


def test_nulls_are_unknown_not_zero():
    history = [counts(ready=None)] * 3 + [counts(ready=40_000)]
    assert kinds(history, counts(ready=None, failed=None)) == set()
    assert kinds([counts(ready=None)] * 5, counts(ready=0)) == set()  # no known earlier value
    assert kinds(history, counts(ready=0)) == {("total_ready_count", "to_zero")}


def test_a_jump_of_failed_items_needs_both_the_minimum_and_the_share():
    history = [counts(failed=200)] * 5
    assert kinds(history, counts(failed=3_300)) == {("total_failed_count", "failed_jump")}
    assert kinds(history, counts(failed=3_100)) == set()  # 2,900 < 5% of 60,000 uploads
    tiny = [counts(failed=0, uploads=500)] * 5
    assert kinds(tiny, counts(failed=99, uploads=500)) == set()  # under 100 items
    assert kinds(tiny, counts(failed=100, uploads=500)) == {("total_failed_count", "failed_jump")}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [({"drop_ratio": 0.8}, set()), ({"drop_ratio": 0.3}, {("total_log_count", "drop")})],
)
def test_thresholds_are_settings(settings, rule, expected):
    assert kinds(STEADY, counts(log=600_000), **rule) == expected
    settings.ANOMALY_DROP_RATIO = rule["drop_ratio"]
    assert Thresholds.from_settings().drop_ratio == rule["drop_ratio"]


def test_the_anomaly_says_what_was_compared():
    [anomaly] = count_anomalies(history=STEADY, current=counts(log=400_000))
    assert (anomaly.current, anomaly.median, anomaly.previous) == (400_000, 1_005_000, 1_005_000)
    assert anomaly.describe() == "log events dropped to 400,000 (median of recent syncs 1,005,000)"
