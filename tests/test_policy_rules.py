"""The expiry-policy rules: which segments change, and to what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from segments.policy_rules import Candidate, Rule, Scope, plan

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def seg(segment_id: int, days_left: float | None) -> Candidate:
    end = None if days_left is None else NOW + days_left * DAY
    return Candidate(segment_id=segment_id, end_date=end, updated=NOW - DAY, name=f"s{segment_id}")


def test_extends_only_segments_below_the_minimum_by_whole_steps():
    rule = Rule(min_days_ahead=14, step_days=30)
    changes = plan([Scope(1, rule, [seg(1, 3), seg(2, 14), seg(3, 20), seg(4, 13.9)])], now=NOW)
    assert [(c.segment_id, c.new_end) for c in changes] == [
        (1, NOW + 33 * DAY),
        (4, NOW + 43.9 * DAY),
    ]


def test_several_steps_in_one_write_when_one_is_not_enough():
    rule = Rule(min_days_ahead=30, step_days=7)
    [change] = plan([Scope(1, rule, [seg(1, 2)])], now=NOW)
    # 2 + 4 * 7 = 30: the fewest steps that reach the minimum.
    assert change.new_end == NOW + 30 * DAY
    assert change.added == 28 * DAY


def test_expired_segments_and_open_ended_ones_are_left_alone():
    rule = Rule(min_days_ahead=14, step_days=30)
    assert plan([Scope(1, rule, [seg(1, -1), seg(2, None), seg(3, 0)])], now=NOW) == []


def test_ceiling_in_days_is_never_crossed():
    rule = Rule(min_days_ahead=14, step_days=30, ceiling_days=20)
    changes = plan([Scope(1, rule, [seg(1, 3), seg(2, 13), seg(3, 20)])], now=NOW)
    assert [(c.segment_id, c.new_end) for c in changes] == [
        (1, NOW + 20 * DAY),
        (2, NOW + 20 * DAY),
    ]


def test_ceiling_date_and_days_the_earlier_counts():
    rule = Rule(min_days_ahead=14, step_days=30, ceiling_date=NOW + 10 * DAY, ceiling_days=180)
    [change] = plan([Scope(1, rule, [seg(1, 3)])], now=NOW)
    assert change.new_end == NOW + 10 * DAY
    # A segment already at or beyond the ceiling is not touched.
    assert plan([Scope(1, rule, [seg(1, 10)])], now=NOW) == []
    assert plan([Scope(1, rule, [seg(1, 12)])], now=NOW) == []


def test_no_plan_ever_crosses_a_ceiling_or_moves_an_end_date_back():
    for min_days in (1, 7, 14, 60):
        for step in (1, 5, 30):
            for ceiling in (None, 3, 15, 90):
                rule = Rule(min_days_ahead=min_days, step_days=step, ceiling_days=ceiling)
                candidates = [seg(i, i / 4) for i in range(1, 400)]
                for change in plan([Scope(1, rule, candidates)], now=NOW):
                    assert change.new_end > change.current_end
                    if ceiling is not None:
                        assert change.new_end <= NOW + ceiling * DAY


def test_two_policies_over_one_segment_apply_the_larger_extension_once():
    small = Scope(1, Rule(min_days_ahead=14, step_days=7), [seg(1, 3), seg(2, 3)])
    large = Scope(2, Rule(min_days_ahead=14, step_days=30), [seg(1, 3)])
    changes = plan([small, large], now=NOW)
    assert [(c.segment_id, c.policy_id, c.new_end) for c in changes] == [
        (1, 2, NOW + 33 * DAY),
        (2, 1, NOW + 17 * DAY),
    ]
    # The order the policies come in does not matter.
    assert plan([large, small], now=NOW) == changes


def test_equal_extensions_are_attributed_to_the_older_policy():
    rule = Rule(min_days_ahead=14, step_days=30)
    changes = plan([Scope(5, rule, [seg(1, 3)]), Scope(2, rule, [seg(1, 3)])], now=NOW)
    assert [c.policy_id for c in changes] == [2]


def test_excluded_segments_are_not_changed_by_that_policy():
    rule = Rule(min_days_ahead=14, step_days=30)
    excluding = Scope(1, rule, [seg(1, 3), seg(2, 3)], excluded=frozenset({1}))
    assert [c.segment_id for c in plan([excluding], now=NOW)] == [2]
    # Another policy covering it still may.
    other = Scope(2, Rule(min_days_ahead=14, step_days=7), [seg(1, 3)])
    assert [(c.segment_id, c.policy_id) for c in plan([excluding, other], now=NOW)] == [
        (1, 2),
        (2, 1),
    ]


def test_the_change_carries_what_the_policy_saw():
    [change] = plan([Scope(1, Rule(min_days_ahead=14, step_days=30), [seg(7, 3)])], now=NOW)
    assert change.name == "s7"
    assert change.updated == NOW - DAY
    assert change.current_end == NOW + 3 * DAY
