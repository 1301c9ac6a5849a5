"""Tests for metrics.spc, the Making Data Count XmR chart, against NHSRplotthedots.

Reference sources (nhs-r-community/NHSRplotthedots on GitHub):

- R/ptd_spc_standard.R (mean, moving-range screening at 3.267, limits at 2.66 and the 2-sigma
  lines at 2 x 2.66 / 3), R/ptd_calculate_point_type.R (the four rules, their order, and how a
  point is improvement, concern or neutral), R/ptd_calculate_assurance_type.R (assurance);
- tests/testthat/_snaps/ptd_spc.md and _snaps/ptd_spc_standard.md: the summary of
  ``ptd_spc`` on ``set.seed(123); rnorm(20)`` (and on each half, as two facets);
- tests/testthat/test-ptd_spc_standard.R, test-ptd_calculate_point_type.R and
  test-ptd_calculate_assurance_type.R for the rule and assurance cases ported below.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.spc import (
    ASSURANCE_FAIL,
    ASSURANCE_HIT_AND_MISS,
    ASSURANCE_PASS,
    COMMON_CAUSE,
    CONCERN,
    IMPROVEMENT,
    NEUTRAL,
    RULE_OUTSIDE_LIMITS,
    RULE_SHIFT,
    RULE_TREND,
    RULE_TWO_OF_THREE,
    VARIATION_COMMON_CAUSE,
    VARIATION_CONCERN,
    VARIATION_IMPROVEMENT,
    VARIATION_NEUTRAL_HIGH,
    VARIATION_NEUTRAL_LOW,
    SpcPoint,
    SpcResult,
    _part_of_run,
    _seven_point_one_side,
    _seven_point_trend,
    xmr,
)

# set.seed(123); rnorm(20) in R, the data of NHSRplotthedots' own tests.
RNORM_SEED_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip

# A steady process: alternating 10 and 12 has mean 11, mean moving range 2, limits 5.68 and
# 16.32, and 2-sigma lines 7.45 and 14.55. No rule fires on it.
STEADY = [10, 12] * 6


def _flagged(result: SpcResult) -> dict[int, tuple[str, str]]:
    return {i: (p.rule, p.direction) for i, p in enumerate(result.points) if p.rule}


# ------------------------------------------------------------------------------------------------
# Lines
# ------------------------------------------------------------------------------------------------


def test_reference_series_with_outlier_screening() -> None:
    # Moving ranges 1 (x15), 8 and 9: the mean moving range 32/17 is screened at 3.267 x 32/17 =
    # 6.15, so 8 and 9 are dropped and the mean moving range is 1. Mean 35/18 = 1.94; limits
    # -0.72 and 4.60.
    y = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    result = xmr(y, polarity="up")
    assert result.mean == pytest.approx(35 / 18, rel=1e-12)
    assert result.mean_moving_range == pytest.approx(1.0, rel=1e-12)
    assert result.lower == pytest.approx(35 / 18 - 2.66 * 1.0, rel=1e-12)
    assert result.upper == pytest.approx(35 / 18 + 2.66 * 1.0, rel=1e-12)
    assert (round(result.mean, 2), round(result.lower, 2), round(result.upper, 2)) == (1.94, -0.72, 4.60)
    assert result.lower_2sigma == pytest.approx(35 / 18 - 2 * 2.66 / 3, rel=1e-12)
    assert result.upper_2sigma == pytest.approx(35 / 18 + 2 * 2.66 / 3, rel=1e-12)


@pytest.mark.parametrize(
    ("values", "mean", "lower", "upper"),
    [
        # _snaps/ptd_spc.md: summary(ptd_spc(d, "y", "x")) -> mean_col 0.142, lpl -3.01, upl 3.29
        (RNORM_SEED_123, 0.142, -3.01, 3.29),
        # _snaps/ptd_spc.md, facet_field = "facet" with facet = rep(c(0, 1), each = 10)
        (RNORM_SEED_123[:10], 0.0746, -2.60, 2.75),
        (RNORM_SEED_123[10:], 0.209, -3.28, 3.70),
    ],
)
def test_matches_nhsrplotthedots_summary_snapshots(
    values: list[float], mean: float, lower: float, upper: float
) -> None:
    result = xmr(values, polarity="up")
    # The snapshots print three significant figures.
    assert float(f"{result.mean:.3g}") == mean
    assert float(f"{result.lower:.3g}") == lower
    assert float(f"{result.upper:.3g}") == upper
    # ... and every point is common cause (common_cause = n, no improvement or concern).
    assert {p.point_type for p in result.points} == {COMMON_CAUSE}
    assert result.variation == VARIATION_COMMON_CAUSE


def test_unscreened_moving_ranges_when_none_is_extreme() -> None:
    result = xmr([1, 3, 2, 5, 4], polarity="up")
    # Moving ranges 2, 1, 3, 1: mean 7/4, all below 3.267 x 7/4.
    assert result.mean_moving_range == pytest.approx(7 / 4, rel=1e-12)
    assert result.mean == pytest.approx(3.0, rel=1e-12)


def test_flat_series_has_limits_on_the_mean() -> None:
    result = xmr([5.0] * 12, polarity="up", target=5.0)
    assert (result.lower, result.mean, result.upper) == (5.0, 5.0, 5.0)
    assert {p.point_type for p in result.points} == {COMMON_CAUSE}
    assert result.assurance == ASSURANCE_HIT_AND_MISS


# ------------------------------------------------------------------------------------------------
# The four rules: a series that fires exactly one rule, and a near miss that fires none
# ------------------------------------------------------------------------------------------------


def test_steady_series_fires_no_rule() -> None:
    result = xmr(STEADY + STEADY, polarity="up")
    assert _flagged(result) == {}
    assert result.special_cause_count == 0


def test_rule_outside_limits() -> None:
    result = xmr([1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1], polarity="up")
    assert _flagged(result) == {4: (RULE_OUTSIDE_LIMITS, "high")}
    assert result.points[4].point_type == IMPROVEMENT
    assert result.points[4] == SpcPoint(
        value=10.0, point_type=IMPROVEMENT, rule=RULE_OUTSIDE_LIMITS, direction="high"
    )


def test_rule_outside_limits_near_miss() -> None:
    result = xmr(STEADY + [10, 12, 10, 12, 16], polarity="up")
    assert 16 < result.upper
    assert _flagged(result) == {}


def test_rule_trend() -> None:
    rising = [9.5, 10, 10.5, 11, 11.5, 12, 12.5]
    result = xmr(STEADY + rising + [10, 12, 10, 12], polarity="up")
    assert _flagged(result) == {i: (RULE_TREND, "high") for i in range(12, 19)}
    # Every point of the trend sits inside the 2-sigma lines: only the trend rule applies.
    assert all(result.lower_2sigma < v < result.upper_2sigma for v in rising)


def test_rule_trend_falling_is_an_improvement_when_lower_is_better() -> None:
    falling = [12.5, 12, 11.5, 11, 10.5, 10, 9.5]
    result = xmr(STEADY + falling + [12, 10, 12, 10], polarity="down")
    assert _flagged(result) == {i: (RULE_TREND, "low") for i in range(12, 19)}
    assert {result.points[i].point_type for i in range(12, 19)} == {IMPROVEMENT}


def test_rule_trend_near_miss_six_points() -> None:
    result = xmr(STEADY + [9.5, 10, 10.5, 11, 11.5, 12] + [10, 12, 10, 12], polarity="up")
    assert _flagged(result) == {}


def test_rule_trend_cases_from_nhsrplotthedots() -> None:
    # test-ptd_calculate_point_type.R, ptd_seven_point_trend(): the run ends are flagged ...
    assert _seven_point_trend([1, 2, 3, 4, 5, 6]).tolist() == [False] * 6
    assert _seven_point_trend([1, 2, 3, 3, 4, 5, 6]).tolist() == [False] * 7  # a tie breaks a trend
    assert _seven_point_trend([1, 2, 3, 4, 5, 6, 7]).tolist() == [False] * 6 + [True]
    assert _seven_point_trend([2, 1, 2, 3, 4, 5, 6, 7, 3]).tolist() == [False] * 7 + [True, False]
    assert _seven_point_trend([2, 7, 6, 5, 4, 3, 2, 1, 3]).tolist() == [False] * 7 + [True, False]
    # ... and ptd_part_of_seven_trend() flags the run's 7 points.
    in_trend = _part_of_run(_seven_point_trend([2, 1, 2, 3, 4, 5, 6, 7, 3]))
    assert in_trend.tolist() == [False] + [True] * 7 + [False]
    result = xmr([2, 1, 2, 3, 4, 5, 6, 7, 3], polarity="up")
    assert _flagged(result) == {i: (RULE_TREND, "high") for i in range(1, 8)}


def test_rule_two_of_three() -> None:
    result = xmr(STEADY + STEADY[:8] + [15, 15] + [12, 10, 12, 10], polarity="up")
    # 12, 15, 15 are all above the mean and two of them beyond the upper 2-sigma line (but
    # inside the limit): the two beyond the line are flagged, not the third.
    assert _flagged(result) == {20: (RULE_TWO_OF_THREE, "high"), 21: (RULE_TWO_OF_THREE, "high")}
    assert result.upper_2sigma < 15 < result.upper


def test_rule_two_of_three_below_is_an_improvement_when_lower_is_better() -> None:
    result = xmr(STEADY + STEADY[:8] + [7, 7] + [10, 12, 10, 12], polarity="down")
    assert _flagged(result) == {20: (RULE_TWO_OF_THREE, "low"), 21: (RULE_TWO_OF_THREE, "low")}
    assert result.points[20].point_type == IMPROVEMENT


def test_rule_two_of_three_near_miss_other_side_of_mean() -> None:
    # 10, 15, 15, 10: both windows holding the two 15s include a point below the mean.
    result = xmr(STEADY + STEADY[:8] + [10, 15, 15, 10] + [12, 10, 12, 10], polarity="up")
    assert _flagged(result) == {}


def test_rule_two_of_three_opposite_sides_from_nhsrplotthedots() -> None:
    # test-ptd_spc_standard.R: two successive points close to the limits on opposite sides of
    # the mean are common cause.
    data = [1, -1] * 8
    data[14], data[15] = 5.5, -5.5
    result = xmr(data, polarity="up")
    assert [p.point_type for p in result.points[-2:]] == [COMMON_CAUSE, COMMON_CAUSE]
    assert result.upper_2sigma < 5.5 < result.upper


def test_rule_shift() -> None:
    above = [11.5, 12, 11.5, 12, 11.5, 12, 11.5]
    result = xmr(STEADY + [10] + above + [10, 12, 10], polarity="up")
    assert _flagged(result) == {i: (RULE_SHIFT, "high") for i in range(13, 20)}
    assert all(result.mean < v < result.upper_2sigma for v in above)


def test_rule_shift_below_on_a_neutral_measure() -> None:
    below = [10.5, 10, 10.5, 10, 10.5, 10, 10.5]
    result = xmr(STEADY + below + [12, 10, 12], polarity="neutral")
    assert _flagged(result) == {i: (RULE_SHIFT, "low") for i in range(12, 19)}
    assert {result.points[i].point_type for i in range(12, 19)} == {NEUTRAL}


def test_rule_shift_near_miss_six_points() -> None:
    result = xmr(STEADY + [10] + [11.5, 12, 11.5, 12, 11.5, 12] + [10, 12, 10], polarity="up")
    assert _flagged(result) == {}


def test_rule_shift_cases_from_nhsrplotthedots() -> None:
    # test-ptd_calculate_point_type.R, ptd_seven_point_one_side_mean() and ptd_part_of_seven_trend().
    assert _seven_point_one_side([1.0] * 6).tolist() == [False] * 6
    assert _seven_point_one_side([1.0] * 6 + [-1.0]).tolist() == [False] * 7
    assert _seven_point_one_side([1.0] * 8 + [-1.0]).tolist() == [False] * 6 + [True, True, False]
    assert _seven_point_one_side([-1.0] * 8 + [1.0]).tolist() == [False] * 6 + [True, True, False]
    assert _seven_point_one_side([-1.0] + [1.0] * 8 + [-1.0]).tolist() == [False] * 7 + [True, True, False]
    assert _part_of_run(_seven_point_one_side([1.0] * 8 + [-1.0])).tolist() == [True] * 8 + [False]


def test_rules_apply_in_order_outside_limits_first() -> None:
    # A rising run of 7 whose last point is beyond the limit: that point is 'outside limits',
    # the rest 'trend'.
    result = xmr(STEADY + STEADY + [10.2, 10.4, 10.6, 10.8, 11, 11.2, 30] + [10, 12], polarity="up")
    flagged = _flagged(result)
    assert flagged[30] == (RULE_OUTSIDE_LIMITS, "high")
    assert all(flagged[i] == (RULE_TREND, "high") for i in range(24, 30))


# ------------------------------------------------------------------------------------------------
# Point types and icons
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("polarity", "point_type", "variation"),
    [
        ("up", IMPROVEMENT, VARIATION_IMPROVEMENT),
        ("down", CONCERN, VARIATION_CONCERN),
        ("neutral", NEUTRAL, VARIATION_NEUTRAL_HIGH),
    ],
)
def test_high_last_point_by_polarity(polarity: str, point_type: str, variation: str) -> None:
    result = xmr([1, 2] * 8 + [10], polarity=polarity)
    assert result.points[-1].point_type == point_type
    assert result.variation == variation


@pytest.mark.parametrize(
    ("polarity", "point_type", "variation"),
    [
        ("up", CONCERN, VARIATION_CONCERN),
        ("down", IMPROVEMENT, VARIATION_IMPROVEMENT),
        ("neutral", NEUTRAL, VARIATION_NEUTRAL_LOW),
    ],
)
def test_low_last_point_by_polarity(polarity: str, point_type: str, variation: str) -> None:
    result = xmr([10, 12] * 8 + [0], polarity=polarity)
    assert result.points[-1].point_type == point_type
    assert result.points[-1].direction == "low"
    assert result.variation == variation


def test_variation_describes_the_last_point_only() -> None:
    result = xmr([1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1], polarity="up")
    assert result.points[4].point_type == IMPROVEMENT
    assert result.variation == VARIATION_COMMON_CAUSE


@pytest.mark.parametrize(
    ("target", "polarity", "assurance"),
    [
        # STEADY has limits 5.68 and 16.32. The cases of test-ptd_calculate_assurance_type.R:
        # target above the upper limit, below the lower limit, and between them.
        (20, "up", ASSURANCE_FAIL),
        (3, "up", ASSURANCE_PASS),
        (11, "up", ASSURANCE_HIT_AND_MISS),
        (20, "down", ASSURANCE_PASS),
        (3, "down", ASSURANCE_FAIL),
        (11, "down", ASSURANCE_HIT_AND_MISS),
        (20, "neutral", ""),
        (None, "up", ""),
        (float("nan"), "up", ""),
    ],
)
def test_assurance(target: float | None, polarity: str, assurance: str) -> None:
    result = xmr(STEADY, polarity=polarity, target=target)
    assert result.assurance == assurance


def test_assurance_target_on_a_limit_is_hit_and_miss() -> None:
    limits = xmr(STEADY, polarity="up")
    assert xmr(STEADY, polarity="up", target=limits.upper).assurance == ASSURANCE_HIT_AND_MISS
    assert xmr(STEADY, polarity="up", target=limits.lower).assurance == ASSURANCE_HIT_AND_MISS


# ------------------------------------------------------------------------------------------------
# Short and gappy series
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], [4.0], [None, 4.0, None], [math.nan]])
def test_not_enough_data(values: list[float | None]) -> None:
    result = xmr(values, polarity="up", target=3)
    assert not result.enough_data
    assert result.provisional
    assert math.isnan(result.mean) and math.isnan(result.lower) and math.isnan(result.upper)
    assert len(result.points) == len(values)
    assert all(p.point_type == "" and p.rule == "" for p in result.points)
    assert (result.variation, result.assurance) == ("", "")


def test_two_points_give_provisional_limits() -> None:
    result = xmr([1, 3], polarity="up", target=10)
    assert result.enough_data and result.provisional
    assert result.mean == 2.0
    assert result.upper == pytest.approx(2 + 2.66 * 2, rel=1e-12)
    assert result.assurance == ASSURANCE_FAIL


def test_limits_are_provisional_below_twelve_points() -> None:
    assert xmr(STEADY[:11], polarity="up").provisional
    assert not xmr(STEADY, polarity="up").provisional
    # Missing values do not count towards the twelve.
    assert xmr(STEADY[:11] + [None], polarity="up").provisional


def test_missing_values_keep_their_place_and_are_skipped() -> None:
    values = [1, 2, 1, None, 2, 10, 1, 2, float("nan"), 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    result = xmr(values, polarity="up")
    observed = [v for v in values if v is not None and not math.isnan(v)]
    compact = xmr(observed, polarity="up")
    assert len(result.points) == len(values)
    assert result.points[3].point_type == "" and math.isnan(result.points[3].value)
    assert result.points[8].point_type == ""
    assert (result.mean, result.lower, result.upper) == (compact.mean, compact.lower, compact.upper)
    kept = [p for p in result.points if not math.isnan(p.value)]
    assert kept == list(compact.points)
    assert result.points[5].rule == RULE_OUTSIDE_LIMITS


def test_pandas_missing_values_are_accepted() -> None:
    result = xmr(pd.Series([1, 2, pd.NA, 1, 2], dtype="Int64"), polarity="up")
    assert result.points[2].point_type == ""
    assert result.mean == 1.5


def test_bad_input_raises_clear_errors() -> None:
    with pytest.raises(ValueError, match="polarity"):
        xmr([1, 2, 3], polarity="higher")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="infinite"):
        xmr([1, math.inf, 3], polarity="up")


def test_result_is_frozen() -> None:
    result = xmr(STEADY, polarity="up")
    with pytest.raises(AttributeError):
        result.mean = 0  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------

values_strategy = st.lists(
    st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)), min_size=0, max_size=40
)


@given(values=values_strategy, polarity=st.sampled_from(["up", "down", "neutral"]))
@settings(max_examples=300, deadline=None)
def test_xmr_properties(values: list[float | None], polarity: str) -> None:
    result = xmr(values, polarity=polarity)
    assert len(result.points) == len(values)
    observed = sum(v is not None for v in values)
    assert result.enough_data == (observed >= 2)
    assert result.provisional == (observed < 12)
    if result.enough_data:
        assert result.lower <= result.lower_2sigma <= result.mean <= result.upper_2sigma <= result.upper
        assert result.upper - result.mean == pytest.approx(result.mean - result.lower, rel=1e-9, abs=1e-6)
    for value, point in zip(values, result.points, strict=True):
        if value is None or not result.enough_data:
            assert point.point_type == "" and point.rule == ""
        else:
            assert point.point_type in (IMPROVEMENT, CONCERN, NEUTRAL, COMMON_CAUSE)
            assert (point.rule == "") == (point.point_type == COMMON_CAUSE)
            if point.rule == RULE_OUTSIDE_LIMITS:
                assert not result.lower <= value <= result.upper
            elif result.lower < value < result.upper:
                assert point.rule != RULE_OUTSIDE_LIMITS


@given(
    values=st.lists(st.integers(min_value=-1000, max_value=1000), min_size=2, max_size=40, unique=True),
)
@settings(max_examples=300, deadline=None)
def test_mirroring_the_series_swaps_the_better_direction(values: list[int]) -> None:
    # Turning the chart upside down and saying lower is better gives the same verdicts.
    # (Distinct values avoid NHSRplotthedots' quirk of calling a flat step between two trends
    # "decreasing", which is not symmetric.)
    up = xmr([float(v) for v in values], polarity="up")
    down = xmr([-float(v) for v in values], polarity="down")
    assert down.mean == pytest.approx(-up.mean, abs=1e-9)
    assert [p.point_type for p in down.points] == [p.point_type for p in up.points]
    assert [p.rule for p in down.points] == [p.rule for p in up.points]
    assert down.variation == up.variation
