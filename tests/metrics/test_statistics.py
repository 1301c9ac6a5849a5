"""Tests for metrics.statistics against PHEindicatormethods' own published reference data.

Reference sources (all public):

- PHEindicatormethods, ukhsa-collaboration/PHEindicatormethods on GitHub:
  R/utils.R (wilson_lower, wilson_upper, byars_lower, byars_upper), R/Rates.R (phe_rate's switch to
  exact limits below 10), R/Funnels.R (calculate_funnel_limits, assign_funnel_significance,
  sigma_adjustment), and the testthat data tests/testthat/testdata_funnel_prop_inputs.csv,
  testdata_funnel_prop_outputs.csv and testdata_funnel_prop_outputs_with_axis_variation.csv,
  copied below (area names left out).
- Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of
  seven methods. Statistics in Medicine 17:857-872, Table II (method 3, the Wilson score).
"""

from __future__ import annotations

import io
import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from metrics.statistics import (
    BETTER,
    FUNNEL_LABELS,
    FUNNEL_NO_DATA,
    HIGH_0001,
    LOW_0025,
    NOT_COMPARED,
    NOT_SIGNIFICANT,
    SIMILAR,
    WORSE,
    StatisticsInputError,
    _r_nchar,
    benchmark_comparison,
    benchmark_comparisons,
    byar_limits,
    funnel_limits,
    funnel_plot_denominators,
    funnel_significance,
    pooled_proportion,
    wilson_limits,
    z_score,
)

REL = 1e-9


def _funnel_inputs() -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(FUNNEL_INPUTS_CSV), header=None, names=["numerator", "denominator", "significance"]
    )


def _funnel_outputs(text: str) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(text), header=None, names=["population", "l95", "u95", "l998", "u998", "base"]
    )


# ------------------------------------------------------------------------------------------------
# Wilson score limits
# ------------------------------------------------------------------------------------------------


def test_wilson_matches_phe_reference_for_20_of_100() -> None:
    # PHEindicatormethods wilson_lower(20, 100) and wilson_upper(20, 100), 95%, as given in the brief.
    lower, upper = wilson_limits(20, 100)
    assert lower == pytest.approx(0.1333669333310325, rel=REL)
    assert upper == pytest.approx(0.28882916559315885, rel=REL)


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [
        # Newcombe (1998), Table II, method 3 (score interval), printed to 4 decimal places.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(x: int, n: int, lower: float, upper: float) -> None:
    got_lower, got_upper = wilson_limits(x, n)
    assert got_lower == pytest.approx(lower, abs=5e-5)
    assert got_upper == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize(("x", "n"), [(65, 100), (1045, 5000), (0.445, 1), (20, 100), (3, 7)])
def test_wilson_limits_solve_the_score_equation(x: float, n: float, confidence: float) -> None:
    # The cases of PHEindicatormethods tests/testthat/testWilson.R (65/100, 1045/5000, 0.445/1) and
    # more: each Wilson limit p is a root of (x/n - p)^2 = z^2 p (1 - p) / n, a check that does not
    # share the implementation's closed form.
    z = NormalDist().inv_cdf(confidence + (1 - confidence) / 2)
    for p in wilson_limits(x, n, confidence=confidence):
        assert (x / n - p) ** 2 == pytest.approx(z**2 * p * (1 - p) / n, rel=REL)


def test_z_score_is_the_two_sided_normal_quantile() -> None:
    assert z_score(0.95) == pytest.approx(1.959963984540054, rel=1e-12)
    assert z_score(0.998) == pytest.approx(NormalDist().inv_cdf(0.999), rel=1e-12)
    with pytest.raises(ValueError, match="between 0 and 1"):
        z_score(95)


def test_wilson_zero_denominator_gives_no_value_not_an_error() -> None:
    lower, upper = wilson_limits(0, 0)
    assert math.isnan(lower) and math.isnan(upper)
    lower, upper = wilson_limits(np.array([5, 0, 3]), np.array([10, 0, np.nan]))
    assert lower[0] == pytest.approx(wilson_limits(5, 10)[0], rel=REL)
    assert np.isnan(lower[1:]).all() and np.isnan(upper[1:]).all()


def test_wilson_missing_values_give_no_value() -> None:
    for x, n in [(None, 10), (5, None), (float("nan"), 10)]:
        lower, upper = wilson_limits(x, n)
        assert math.isnan(lower) and math.isnan(upper)
    lower, upper = wilson_limits(pd.Series([1, pd.NA], dtype="Int64"), pd.Series([10, 10], dtype="Int64"))
    assert not math.isnan(lower.iloc[0]) and math.isnan(lower.iloc[1])


def test_wilson_zero_numerator_and_numerator_equal_to_denominator() -> None:
    z = z_score(0.95)
    lower, upper = wilson_limits(0, 50)
    assert lower == 0.0
    assert upper == pytest.approx(z**2 / (50 + z**2), rel=REL)
    lower, upper = wilson_limits(50, 50)
    assert upper == 1.0
    assert lower == pytest.approx(50 / (50 + z**2), rel=REL)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(StatisticsInputError, match="larger than its denominator"):
        wilson_limits(11, 10)
    with pytest.raises(StatisticsInputError, match="negative"):
        wilson_limits(-1, 10)
    with pytest.raises(StatisticsInputError, match="negative"):
        wilson_limits(np.array([1, 2]), np.array([10, -10]))


def test_wilson_vectorised_agrees_with_scalar_and_keeps_the_index() -> None:
    x = pd.Series([0, 3, 17, 250, 9], index=["a", "b", "c", "d", "e"])
    n = pd.Series([12, 40, 17, 1000, 9000], index=x.index)
    for confidence in (0.95, 0.998):
        lower, upper = wilson_limits(x, n, confidence=confidence)
        assert isinstance(lower, pd.Series) and list(lower.index) == list(x.index)
        for key in x.index:
            scalar_lower, scalar_upper = wilson_limits(int(x[key]), int(n[key]), confidence=confidence)
            assert lower[key] == pytest.approx(scalar_lower, rel=1e-15, abs=1e-300)
            assert upper[key] == pytest.approx(scalar_upper, rel=1e-15)
    # A scalar denominator broadcasts over an array of numerators.
    lower, upper = wilson_limits(np.array([1, 2, 3]), 10)
    assert isinstance(lower, np.ndarray) and lower.shape == (3,)
    assert upper[2] == pytest.approx(wilson_limits(3, 10)[1], rel=1e-15)


counts = st.integers(min_value=0, max_value=1_000_000)


@given(data=st.data(), n=st.integers(min_value=1, max_value=1_000_000))
@settings(max_examples=300, deadline=None)
def test_wilson_properties(data: st.DataObject, n: int) -> None:
    x = data.draw(st.integers(min_value=0, max_value=n))
    lower95, upper95 = wilson_limits(x, n)
    lower998, upper998 = wilson_limits(x, n, confidence=0.998)
    p = x / n
    assert 0 <= lower95 <= p <= upper95 <= 1
    assert 0 <= lower998 <= lower95 and upper95 <= upper998 <= 1


# ------------------------------------------------------------------------------------------------
# Byar's and exact Poisson limits
# ------------------------------------------------------------------------------------------------


def test_count_zero_has_exact_limits() -> None:
    # With 2 degrees of freedom the chi-squared quantile is -2 ln(1 - q), so the exact limits for
    # 0 and 1 events have closed forms: upper(0) = -ln(alpha/2), lower(1) = -ln(1 - alpha/2).
    assert byar_limits(0) == (0.0, pytest.approx(-math.log(0.025), rel=REL))
    assert byar_limits(0, confidence=0.998) == (0.0, pytest.approx(-math.log(0.001), rel=REL))
    assert byar_limits(1)[0] == pytest.approx(-math.log(0.975), rel=REL)
    assert byar_limits(1, confidence=0.998)[0] == pytest.approx(-math.log(0.999), rel=REL)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("count", range(1, 10))
def test_counts_below_ten_use_exact_poisson_limits(count: int, confidence: float) -> None:
    # The exact limits are the means at which seeing `count` or more (lower) or `count` or fewer
    # (upper) events has probability alpha/2, checked with scipy's Poisson distribution.
    alpha = 1 - confidence
    lower, upper = byar_limits(count, confidence=confidence)
    assert stats.poisson.sf(count - 1, lower) == pytest.approx(alpha / 2, rel=REL)
    assert stats.poisson.cdf(count, upper) == pytest.approx(alpha / 2, rel=REL)


def _byar_formula(x: float, confidence: float) -> tuple[float, float]:
    # byars_lower / byars_upper in PHEindicatormethods R/utils.R, with Python's own normal quantile.
    z = NormalDist().inv_cdf(confidence + (1 - confidence) / 2)
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("count", [10, 11, 65, 1045, 100_000])
def test_counts_of_ten_or_more_use_byar(count: int, confidence: float) -> None:
    # 65, 1045 and 10 are the cases in PHEindicatormethods tests/testthat/testByars.R.
    lower, upper = byar_limits(count, confidence=confidence)
    expected_lower, expected_upper = _byar_formula(count, confidence)
    assert lower == pytest.approx(expected_lower, rel=REL)
    assert upper == pytest.approx(expected_upper, rel=REL)


def test_the_switch_from_exact_to_byar_is_between_nine_and_ten() -> None:
    exact_9 = (stats.chi2.ppf(0.025, 18) / 2, stats.chi2.ppf(0.975, 20) / 2)
    assert byar_limits(9) == (pytest.approx(exact_9[0], rel=REL), pytest.approx(exact_9[1], rel=REL))
    exact_10_lower = stats.chi2.ppf(0.025, 20) / 2
    byar_10_lower, _ = _byar_formula(10, 0.95)
    assert abs(exact_10_lower - byar_10_lower) > 1e-3  # the two methods really differ at 10
    assert byar_limits(10)[0] == pytest.approx(byar_10_lower, rel=REL)
    lower, upper = byar_limits(np.array([9, 10]))
    assert lower[0] == pytest.approx(exact_9[0], rel=REL)
    assert lower[1] == pytest.approx(byar_10_lower, rel=REL)


def test_byar_vectorised_agrees_with_scalar() -> None:
    values = np.array([0, 1, 5, 9, 10, 11, 250, np.nan])
    lower, upper = byar_limits(values, confidence=0.998)
    for i, value in enumerate(values[:-1]):
        scalar = byar_limits(float(value), confidence=0.998)
        assert lower[i] == pytest.approx(scalar[0], rel=1e-15, abs=1e-300)
        assert upper[i] == pytest.approx(scalar[1], rel=1e-15)
    assert np.isnan(lower[-1]) and np.isnan(upper[-1])
    series_lower, _ = byar_limits(pd.Series(values[:3], index=[7, 8, 9]))
    assert list(series_lower.index) == [7, 8, 9]


def test_byar_rejects_negative_counts() -> None:
    with pytest.raises(StatisticsInputError, match="negative"):
        byar_limits(-1)


@given(count=st.integers(min_value=0, max_value=10_000_000))
@settings(max_examples=300, deadline=None)
def test_byar_properties(count: int) -> None:
    lower95, upper95 = byar_limits(count)
    lower998, upper998 = byar_limits(count, confidence=0.998)
    assert 0 <= lower95 <= count <= upper95
    assert 0 <= lower998 <= lower95 and upper95 <= upper998


# ------------------------------------------------------------------------------------------------
# Benchmarking
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "lower", "upper", "benchmark", "polarity", "expected"),
    [
        (0.5, 0.4, 0.6, 0.45, "up", SIMILAR),
        (0.5, 0.4, 0.6, 0.4, "up", SIMILAR),  # on the interval's edge is inside it
        (0.5, 0.4, 0.6, 0.6, "down", SIMILAR),
        (0.5, 0.4, 0.6, 0.3, "up", BETTER),
        (0.5, 0.4, 0.6, 0.3, "down", WORSE),
        (0.5, 0.4, 0.6, 0.7, "up", WORSE),
        (0.5, 0.4, 0.6, 0.7, "down", BETTER),
        (0.5, 0.4, 0.6, 0.3, "neutral", "higher"),  # Fingertips' blue: no better or worse (spec/cli.md)
        (0.5, 0.4, 0.6, 0.7, "neutral", "lower"),
        (0.5, 0.4, 0.6, 0.5, "neutral", SIMILAR),
        (None, 0.4, 0.6, 0.3, "neutral", NOT_COMPARED),
        (None, 0.4, 0.6, 0.3, "up", NOT_COMPARED),
        (0.5, 0.4, 0.6, None, "up", NOT_COMPARED),
        (0.5, float("nan"), float("nan"), 0.3, "up", NOT_COMPARED),
    ],
)
def test_benchmark_comparison(
    value: float | None, lower: float, upper: float, benchmark: float | None, polarity: str, expected: str
) -> None:
    got = benchmark_comparison(
        value=value, lower95=lower, upper95=upper, benchmark=benchmark, polarity=polarity
    )
    assert got == expected


def test_benchmark_comparisons_vectorised_agrees_with_scalar() -> None:
    value = pd.Series([0.5, 0.2, 0.9, np.nan], index=list("abcd"))
    lower = pd.Series([0.4, 0.1, 0.85, np.nan], index=list("abcd"))
    upper = pd.Series([0.6, 0.25, 0.95, np.nan], index=list("abcd"))
    england = 0.55
    for polarity in ("up", "down", "neutral"):
        got = benchmark_comparisons(
            value=value, lower95=lower, upper95=upper, benchmark=england, polarity=polarity
        )
        assert list(got.index) == list("abcd")
        for key in value.index:
            assert got[key] == benchmark_comparison(
                value=value[key], lower95=lower[key], upper95=upper[key], benchmark=england, polarity=polarity
            )
    assert list(
        benchmark_comparisons(value=value, lower95=lower, upper95=upper, benchmark=england, polarity="up")
    ) == [SIMILAR, WORSE, BETTER, NOT_COMPARED]


def test_benchmark_rejects_unknown_polarity() -> None:
    with pytest.raises(ValueError, match="polarity"):
        benchmark_comparison(value=1, lower95=0, upper95=2, benchmark=1, polarity="higher")


# ------------------------------------------------------------------------------------------------
# Funnel plots
# ------------------------------------------------------------------------------------------------


def test_pooled_proportion_matches_phe_baseline() -> None:
    inputs = _funnel_inputs()
    centre = pooled_proportion(numerators=inputs.numerator, denominators=inputs.denominator)
    assert centre * 100 == pytest.approx(80.642448, abs=5e-7)  # Baseline, testdata_funnel_prop_outputs.csv
    short = inputs[inputs.denominator < 31000]
    centre = pooled_proportion(numerators=short.numerator, denominators=short.denominator)
    # Baseline, testdata_funnel_prop_outputs_with_axis_variation.csv
    assert centre * 100 == pytest.approx(82.18033788, abs=5e-9)
    assert pooled_proportion(numerators=[1, 5, None], denominators=[10, 0, 4]) == pytest.approx(0.1)
    assert math.isnan(pooled_proportion(numerators=[1], denominators=[0]))


@pytest.mark.parametrize(
    ("outputs_csv", "max_denominator", "printed_to"),
    [
        ("FUNNEL_OUTPUTS_CSV", math.inf, 5e-7),
        ("FUNNEL_OUTPUTS_AXIS_VARIATION_CSV", 31000, 5e-9),
    ],
)
def test_funnel_limits_match_phe_reference(
    outputs_csv: str, max_denominator: float, printed_to: float
) -> None:
    inputs = _funnel_inputs()
    inputs = inputs[inputs.denominator < max_denominator]
    expected = _funnel_outputs(globals()[outputs_csv])
    centre = pooled_proportion(numerators=inputs.numerator, denominators=inputs.denominator)

    # The 100 plotting denominators are PHEindicatormethods' exactly (including the axis ends).
    populations = funnel_plot_denominators(inputs.denominator)
    assert populations.tolist() == expected.population.astype(float).tolist()

    limits = funnel_limits(centre=centre, denominators=populations)
    # The reference is printed to 6 (or 8) decimal places of a percentage, so agree to within
    # half a unit in the last printed place; for the 8-place file that is 10 significant figures.
    for field, column in [
        ("lower_95", "l95"),
        ("upper_95", "u95"),
        ("lower_998", "l998"),
        ("upper_998", "u998"),
    ]:
        got = getattr(limits, field) * 100
        assert got == pytest.approx(expected[column].to_numpy(), abs=printed_to), field


def test_funnel_limits_clip_at_zero_and_one() -> None:
    # In the reference, the 99.8% lower line is 0 for populations 1 and 2 and the upper lines are
    # 100% up to populations 16 (95%) and 37 (99.8%).
    centre = 0.8064244785714956
    limits = funnel_limits(centre=centre, denominators=np.array([1.0, 2.0, 16.0, 37.0, 41.0]))
    assert limits.lower_998[:2].tolist() == [0.0, 0.0]
    assert limits.upper_95[2] == 1.0 and limits.upper_998[3] == 1.0
    assert limits.upper_998[4] == pytest.approx(0.99710497, abs=5e-9)


def test_funnel_limits_zero_denominator_gives_no_value() -> None:
    limits = funnel_limits(centre=0.5, denominators=pd.Series([0, 100, np.nan], index=["x", "y", "z"]))
    assert list(limits.lower_95.index) == ["x", "y", "z"]
    assert np.isnan(limits.lower_95["x"]) and np.isnan(limits.upper_998["z"])
    assert limits.lower_95["y"] < 0.5 < limits.upper_95["y"]


def test_funnel_significance_matches_phe_reference() -> None:
    inputs = _funnel_inputs()
    labels = funnel_significance(numerators=inputs.numerator, denominators=inputs.denominator)
    assert isinstance(labels, pd.Series)
    assert labels.tolist() == inputs.significance.tolist()
    # The reference data has all five labels, worded as the package words them.
    assert set(labels) == set(FUNNEL_LABELS)
    assert (labels == LOW_0025).sum() == 1


def test_funnel_significance_with_a_given_centre_and_no_data_rows() -> None:
    labels = funnel_significance(
        numerators=np.array([90, 50, 0, 3]), denominators=np.array([100, 100, 0, 10]), centre=0.5
    )
    assert labels.tolist() == [HIGH_0001, NOT_SIGNIFICANT, FUNNEL_NO_DATA, NOT_SIGNIFICANT]
    with pytest.raises(StatisticsInputError):
        funnel_significance(numerators=[11], denominators=[10])


def test_funnel_axis_uses_r_number_printing() -> None:
    # R prints 100000 as "1e+05" (5 characters) but 110000 in full; PHEindicatormethods' axis
    # rounding counts those characters.
    assert _r_nchar(100000) == 5
    assert _r_nchar(110000) == 6
    assert _r_nchar(15566) == 5
    assert _r_nchar(2000000) == 5
    assert _r_nchar(7) == 1


@given(
    centre=st.floats(min_value=0, max_value=1),
    denominators=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=20),
)
@settings(max_examples=300, deadline=None)
def test_funnel_properties(centre: float, denominators: list[int]) -> None:
    limits = funnel_limits(centre=centre, denominators=np.array(denominators, dtype=float))
    # PHEindicatormethods' closed form loses digits to cancellation as the centre nears 1 (about
    # 1e-8 at a centre of exactly 1), so the ordering is checked to within 1e-7.
    tolerance = 1e-7
    assert not np.isnan(limits.lower_95).any()
    assert (limits.lower_998 >= 0).all() and (limits.upper_998 <= 1).all()
    assert (limits.lower_998 <= limits.lower_95 + tolerance).all()
    assert (limits.lower_95 <= centre + tolerance).all()
    assert (centre <= limits.upper_95 + tolerance).all()
    assert (limits.upper_95 <= limits.upper_998 + tolerance).all()


@given(data=st.data(), n=st.integers(min_value=1, max_value=100_000))
@settings(max_examples=200, deadline=None)
def test_funnel_significance_agrees_with_the_limits(data: st.DataObject, n: int) -> None:
    x = data.draw(st.integers(min_value=0, max_value=n))
    centre = data.draw(st.floats(min_value=0.01, max_value=0.99))
    label = funnel_significance(numerators=[x], denominators=[n], centre=centre)[0]
    limits = funnel_limits(centre=centre, denominators=float(n))
    p = x / n
    if p < limits.lower_998:
        assert label == "Low (0.001)"
    elif p > limits.upper_998:
        assert label == HIGH_0001
    elif limits.lower_95 <= p <= limits.upper_95:
        assert label == NOT_SIGNIFICANT


# tests/testthat/testdata_funnel_prop_inputs.csv: numerator, denominator and the significance
# PHEindicatormethods assigns each row (its test checks assign_funnel_significance reproduces it).
FUNNEL_INPUTS_CSV = """\
35078.4880000,41980,High (0.001)
24803.6256000,31824,Low (0.001)
50050.7443000,61921,Not significant
48686.4364000,59804,High (0.001)
35795.6324000,45449,Low (0.001)
66969.6742000,80002,High (0.001)
48514.4460000,64755,Low (0.001)
70670.2858000,93122,Low (0.001)
26029.3176000,33708,Low (0.001)
22506.3828000,25932,High (0.001)
20619.5552000,25852,Low (0.001)
19847.1920000,23684,High (0.001)
23617.7778000,28954,High (0.001)
21121.0160000,27530,Low (0.001)
30294.3882000,41066,Low (0.001)
24648.7596000,30521,Not significant
18986.0000000,22000,High (0.001)
31759.3850000,39350,Not significant
26008.3050000,29850,High (0.001)
49524.9445000,63065,Low (0.001)
24107.1107000,28519,High (0.001)
55471.6028000,73972,Low (0.001)
30573.2632000,39752,Low (0.001)
49513.0482000,69993,Low (0.001)
39350.4825000,52293,Low (0.001)
54063.9774000,71034,Low (0.001)
55438.5333000,77743,Low (0.001)
29561.6517000,36627,Not significant
18631.5660000,21342,High (0.001)
32137.8848000,38024,High (0.001)
18365.4621000,29277,Low (0.001)
27622.3500000,35076,Low (0.001)
18205.1925000,22215,High (0.001)
20235.1110000,24590,High (0.001)
29722.5035000,41845,Low (0.001)
46855.9900000,56453,High (0.001)
33893.8041000,40989,High (0.001)
18550.7595000,22905,Not significant
48475.9332000,59604,High (0.001)
27846.1152000,36486,Low (0.001)
21114.2036000,25214,High (0.001)
26529.3344000,32048,High (0.001)
26789.2380000,33012,High (0.025)
43206.2400000,51744,High (0.001)
42896.1330000,55818,Low (0.001)
38999.9142000,45662,High (0.001)
24877.3400000,29528,High (0.001)
15990.2792000,18602,High (0.001)
27609.7972000,33434,High (0.001)
51464.1825000,63185,High (0.001)
42343.3836000,50967,High (0.001)
17321.4088000,21587,Not significant
15808.1975000,20597,Low (0.001)
58476.8416000,73316,Low (0.001)
40167.5494000,48949,High (0.001)
26669.8560000,31480,High (0.001)
23388.3000000,29985,Low (0.001)
23320.2424000,29848,Low (0.001)
22102.1585000,26885,High (0.001)
41085.5856000,52566,Low (0.001)
22094.6563000,28969,Low (0.001)
31573.5024000,39212,Not significant
43009.4060000,50380,High (0.001)
32822.1995000,38411,High (0.001)
22030.9072000,27388,Not significant
16404.9694000,19574,High (0.001)
26103.1484000,31442,High (0.001)
32072.8360000,42520,Low (0.001)
16971.6940000,20522,High (0.001)
41936.1228000,49764,High (0.001)
36850.0492000,45449,High (0.025)
58527.8136000,68598,High (0.001)
32974.2245000,37715,High (0.001)
31386.2036000,36649,High (0.001)
24145.8074000,28886,High (0.001)
30111.0810000,37037,High (0.001)
37539.3770000,44743,High (0.001)
31681.4948000,37951,High (0.001)
34502.0685000,42485,High (0.025)
24108.2412000,28177,High (0.001)
20623.8688000,23267,High (0.001)
28315.4886000,32569,High (0.001)
23685.9377000,28397,High (0.001)
32311.8720000,39024,High (0.001)
31340.3520000,36240,High (0.001)
29336.9895000,34665,High (0.001)
26560.1090000,33710,Low (0.001)
17971.5636000,21012,High (0.001)
21059.6532000,25306,High (0.001)
55711.1808000,66704,High (0.001)
23910.2469000,29457,High (0.025)
24789.7336000,28879,High (0.001)
30239.1376000,36904,High (0.001)
19328.1155000,22229,High (0.001)
21955.5516000,25661,High (0.001)
29301.6135000,33415,High (0.001)
30821.2788000,36363,High (0.001)
30898.8120000,41160,Low (0.001)
49993.8450000,61050,High (0.001)
44395.0808000,52801,High (0.001)
21953.8428000,26868,High (0.001)
14493.3552000,17964,Not significant
41853.2554000,53174,Low (0.001)
17967.1247000,22603,Low (0.001)
60027.0906000,73079,High (0.001)
21834.8100000,26307,High (0.001)
21838.3308000,28041,Low (0.001)
17288.2710000,19998,High (0.001)
26371.7175000,29775,High (0.001)
37216.4698000,45986,Not significant
33458.8056000,42962,Low (0.001)
39994.4982000,46821,High (0.001)
15371.4413000,17951,High (0.001)
18169.4562000,21739,High (0.001)
29196.8608000,35632,High (0.001)
34759.1180000,44449,Low (0.001)
30453.2129000,37741,Not significant
29865.2200000,33880,High (0.001)
27617.9472000,32507,High (0.001)
30277.5312000,37828,Low (0.025)
24866.9160000,30929,Not significant
21139.2936000,25992,High (0.025)
20759.6500000,25750,Not significant
27035.5764000,32898,High (0.001)
21823.4910000,26517,High (0.001)
21463.4220000,25491,High (0.001)
41388.6880000,49508,High (0.001)
21306.0303000,26333,Not significant
34087.5366000,42926,Low (0.001)
35804.9654000,42433,High (0.001)
29921.5840000,35860,High (0.001)
37930.4752000,45904,High (0.001)
22297.9500000,26865,High (0.001)
49272.1026000,59493,High (0.001)
20649.9294000,27121,Low (0.001)
36343.7088000,46028,Low (0.001)
29299.4686000,36929,Low (0.001)
53485.6845000,64965,High (0.001)
33001.0560000,38720,High (0.001)
18773.5158000,23894,Low (0.001)
38314.0408000,47678,Not significant
38045.3716000,46958,High (0.025)
16924.1296000,20776,High (0.025)
17414.1015000,21085,High (0.001)
34188.8140000,42001,High (0.001)
15524.9934000,19257,Not significant
30035.0871000,37269,Not significant
27851.4816000,36724,Low (0.001)
19109.2370000,25513,Low (0.001)
16997.2937000,21839,Low (0.001)
35982.2873000,44461,Not significant
30905.7200000,37075,High (0.001)
30006.6536000,35752,High (0.001)
41001.8990000,59726,Low (0.001)
41581.1286000,53166,Low (0.001)
33431.7795000,39795,High (0.001)
53873.8618000,63877,High (0.001)
41825.7675000,49005,High (0.001)
17487.1408000,21176,High (0.001)
19020.9916000,22441,High (0.001)
48590.8983000,60459,Not significant
52752.0840000,64806,High (0.001)
46269.4848000,62594,Low (0.001)
17677.9584000,23328,Low (0.001)
27321.2720000,34024,Not significant
13551.2220000,16386,High (0.001)
24180.7545000,29151,High (0.001)
59356.4384000,73352,Not significant
21667.1616000,26869,Not significant
30130.0802000,38149,Low (0.001)
27715.4463000,34981,Low (0.001)
29334.6610000,36238,Not significant
32730.8129000,43289,Low (0.001)
21893.0980000,25666,High (0.001)
27706.9455000,35345,Low (0.001)
55735.3934000,67714,High (0.001)
22557.7128000,26236,High (0.001)
41657.6196000,50202,High (0.001)
20013.1828000,25196,Low (0.001)
20125.9692000,24254,High (0.001)
72885.0164000,96053,Low (0.001)
51088.3010000,67595,Low (0.001)
24159.2202000,30906,Low (0.001)
41206.0880000,49616,High (0.001)
37299.2620000,46277,Not significant
29053.7724000,38436,Low (0.001)
44673.5670000,54255,High (0.001)
41423.2908000,49103,High (0.001)
33742.5907000,40747,High (0.001)
18599.3456000,22264,High (0.001)
20275.7984000,24544,High (0.001)
21877.7319000,25943,High (0.001)
48450.4800000,57135,High (0.001)
33210.6936000,39284,High (0.001)
46717.7490000,58617,Low (0.001)
40575.3975000,54647,Low (0.001)
38496.4354000,50507,Low (0.001)
25938.8600000,32834,Low (0.001)
23104.8464000,27112,High (0.001)
29375.6832000,35248,High (0.001)
25156.8975000,29775,High (0.001)
18504.9982000,22739,High (0.025)
25810.4160000,31172,High (0.001)
32352.2484000,40787,Low (0.001)
29947.9362000,35763,High (0.001)
19676.7054000,23111,High (0.001)
21057.8940000,24543,High (0.001)
24217.5490000,28670,High (0.001)
48244.4227000,57427,High (0.001)
37764.5735000,45803,High (0.001)
26734.0178000,32867,High (0.001)
29311.7004000,35908,High (0.001)
20781.4840000,25672,Not significant
38384.7005000,48619,Low (0.001)
40086.8865000,51705,Low (0.001)
64290.8550000,88775,Low (0.001)
43879.7100000,56220,Low (0.001)
50161.2996000,68043,Low (0.001)
46828.1065000,61901,Low (0.001)
71273.1704000,92108,Low (0.001)
17183.6880000,20920,High (0.001)
30309.7041000,36699,High (0.001)
18746.7077000,23233,Not significant
19663.4268000,24012,High (0.001)
40416.5916000,49518,High (0.001)
29709.0543000,36583,High (0.025)
24154.9560000,28035,High (0.001)
44689.6786000,52171,High (0.001)
32810.9509000,38077,High (0.001)
56140.4742000,70053,Low (0.001)
33698.3088000,42484,Low (0.001)
19941.1968000,24224,High (0.001)
57183.5824000,68656,High (0.001)
32555.8572000,39476,High (0.001)
32294.8308000,39188,High (0.001)
40118.0766000,49273,High (0.001)
35176.5102000,39734,High (0.001)
32335.6402000,38893,High (0.001)
43886.9340000,53586,High (0.001)
40207.3551000,47883,High (0.001)
42177.0041000,54233,Low (0.001)
51594.8418000,60922,High (0.001)
55826.0785000,67139,High (0.001)
19387.5944000,23308,High (0.001)
50623.2867000,61593,High (0.001)
44620.7166000,54462,High (0.001)
42724.9914000,51594,High (0.001)
41845.5120000,51789,Not significant
39309.8886000,49242,Low (0.001)
41728.5048000,57908,Low (0.001)
47372.6876000,66647,Low (0.001)
74612.5980000,101060,Low (0.001)
56898.4045000,79835,Low (0.001)
58379.6200000,77324,Low (0.001)
69813.9400000,92776,Low (0.001)
46932.2676000,56929,High (0.001)
27543.7679000,32393,High (0.001)
19618.6936000,22406,High (0.001)
21614.9820000,25671,High (0.001)
31834.0190000,38345,High (0.001)
43622.6530000,52274,High (0.001)
18672.6456000,22683,High (0.001)
58815.3654000,72237,High (0.001)
32775.7593000,38977,High (0.001)
33232.5100000,38620,High (0.001)
56530.8036000,68622,High (0.001)
42276.3940000,51670,High (0.001)
37945.3125000,46875,Not significant
32638.4190000,38786,High (0.001)
67289.9760000,87435,Low (0.001)
56612.0280000,67540,High (0.001)
48822.4950000,60990,Low (0.001)
28735.0316000,37631,Low (0.001)
45239.2392000,56634,Low (0.001)
81412.8600000,102950,Low (0.001)
38873.3924000,48236,Not significant
18003.1000000,21955,High (0.001)
22441.8338000,28946,Low (0.001)
20274.1032000,24292,High (0.001)
59851.2992000,75992,Low (0.001)
24374.6640000,29438,High (0.001)
27339.7012000,33131,High (0.001)
20574.1692000,25948,Low (0.001)
13240.9172000,16477,Not significant
25812.6393000,32753,Low (0.001)
31973.4336000,39488,Not significant
25716.8488000,30806,High (0.001)
25700.2025000,30775,High (0.001)
38797.1714000,46397,High (0.001)
36354.8534000,43838,High (0.001)
53914.2098000,64537,High (0.001)
33506.9514000,40482,High (0.001)
53405.3864000,67363,Low (0.001)
46845.3090000,58962,Low (0.001)
36378.5696000,45202,Not significant
45320.7168000,63904,Low (0.001)
43013.5895000,55181,Low (0.001)
45487.9818000,60066,Low (0.001)
49697.2917000,65331,Low (0.001)
66151.5729000,76273,High (0.001)
28537.4507000,35201,High (0.025)
45559.3820000,54070,High (0.001)
26882.4969000,32573,High (0.001)
"""

# tests/testthat/testdata_funnel_prop_outputs.csv: limits (percent) for all the inputs above.
# Columns: Population, Lower2s0025limit, Upper2s0025limit, Lower3s0001limit, Upper3s0001limit, Baseline.
FUNNEL_OUTPUTS_CSV = """\
1,3.204264,100,0,100,80.642448
2,25.885383,100,0,100,80.642448
3,35.933491,100,10.150815,100,80.642448
4,41.923356,100,19.594903,100,80.642448
5,46.011039,100,26.039864,100,80.642448
6,49.028442,100,30.797336,100,80.642448
7,51.373565,100,34.494842,100,80.642448
8,53.263915,100,37.475315,100,80.642448
9,54.82972,100,39.944085,100,80.642448
10,56.154344,100,42.03259,100,80.642448
11,57.293957,100,43.829393,100,80.642448
12,58.28797,100,45.396631,100,80.642448
13,59.16496,100,46.779363,100,80.642448
14,59.946223,100,48.011163,100,80.642448
16,61.282902,100,50.118675,100,80.642448
18,62.390093,98.894803,51.864359,100,80.642448
20,63.326743,97.958152,53.341156,100,80.642448
22,64.132572,97.152324,54.611687,100,80.642448
24,64.835445,96.449451,55.719892,100,80.642448
27,65.739462,95.545433,57.145237,100,80.642448
30,66.504234,94.780661,58.351036,100,80.642448
33,67.16219,94.122705,59.388421,100,80.642448
37,67.911689,93.373207,60.570139,100,80.642448
41,68.548635,92.73626,61.574398,99.710497,80.642448
45,69.098645,92.186251,62.441586,98.843309,80.642448
50,69.691035,91.593861,63.375595,97.909301,80.642448
55,70.200685,91.08421,64.179149,97.105746,80.642448
61,70.727504,90.557391,65.009774,96.275122,80.642448
68,71.251689,90.033207,65.836243,95.448652,80.642448
75,71.700657,89.584239,66.544121,94.740774,80.642448
83,72.142503,89.142393,67.240771,94.044125,80.642448
92,72.568959,88.715937,67.913155,93.371741,80.642448
102,72.974925,88.309971,68.553233,92.731663,80.642448
113,73.357676,87.927219,69.156708,92.128188,80.642448
125,73.716166,87.56873,69.721931,91.562965,80.642448
139,74.074227,87.210669,70.286478,90.998418,80.642448
154,74.402301,86.882595,70.803745,90.481151,80.642448
171,74.720602,86.564294,71.305603,89.979293,80.642448
190,75.024492,86.260404,71.784739,89.500157,80.642448
211,75.311383,85.973512,72.237075,89.04782,80.642448
234,75.580155,85.70474,72.660842,88.624054,80.642448
260,75.839936,85.44496,73.070432,88.214464,80.642448
289,76.087261,85.197635,73.460384,87.824512,80.642448
321,76.32027,84.964626,73.827764,87.457131,80.642448
356,76.538232,84.746663,74.171421,87.113475,80.642448
395,76.74611,84.538786,74.499177,86.785719,80.642448
438,76.942308,84.342587,74.808519,86.476377,80.642448
486,77.12978,84.155115,75.104102,86.180794,80.642448
539,77.306949,83.977947,75.38344,85.901456,80.642448
598,77.475765,83.809131,75.649608,85.635287,80.642448
664,77.637263,83.647632,75.904239,85.380656,80.642448
737,77.789976,83.49492,76.145017,85.139878,80.642448
818,77.934885,83.35001,76.373493,84.911403,80.642448
908,78.072571,83.212324,76.59058,84.694316,80.642448
1008,78.203374,83.081521,76.796814,84.488082,80.642448
1119,78.327506,82.95739,76.992529,84.292366,80.642448
1242,78.445123,82.839773,77.177973,84.106923,80.642448
1379,78.557126,82.727769,77.354567,83.930329,80.642448
1531,78.663349,82.621547,77.522045,83.76285,80.642448
1699,78.763743,82.521152,77.680336,83.60456,80.642448
1886,78.859312,82.425583,77.831017,83.453878,80.642448
2093,78.949785,82.335111,77.973663,83.311233,80.642448
2323,79.035764,82.249132,78.109224,83.175672,80.642448
2578,79.117294,82.167602,78.237771,83.047125,80.642448
2861,79.194689,82.090207,78.359798,82.925098,80.642448
3175,79.268142,82.016753,78.47561,82.809285,80.642448
3524,79.337968,81.946927,78.585704,82.699192,80.642448
3911,79.40419,81.880706,78.690113,82.594783,80.642448
4341,79.467117,81.817779,78.789329,82.495567,80.642448
4818,79.526814,81.758082,78.883452,82.401444,80.642448
5348,79.583537,81.701359,78.972886,82.31201,80.642448
5936,79.63735,81.647545,79.057733,82.227163,80.642448
6588,79.688382,81.596514,79.138193,82.146703,80.642448
7312,79.736846,81.548049,79.214606,82.07029,80.642448
8116,79.782872,81.502024,79.287174,81.997722,80.642448
9008,79.82654,81.458355,79.356024,81.928871,80.642448
9998,79.867989,81.416907,79.421375,81.863521,80.642448
11097,79.907338,81.377558,79.483416,81.80148,80.642448
12316,79.944665,81.340231,79.542269,81.742627,80.642448
13669,79.980099,81.304797,79.598137,81.686759,80.642448
15171,80.013741,81.271155,79.65118,81.633716,80.642448
16838,80.045674,81.239222,79.701527,81.583368,80.642448
18688,80.075982,81.208914,79.749314,81.535582,80.642448
20742,80.10476,81.180135,79.794688,81.490208,80.642448
23022,80.13208,81.152816,79.837761,81.447134,80.642448
25552,80.158005,81.126891,79.878637,81.406259,80.642448
28360,80.182613,81.102283,79.917436,81.36746,80.642448
31477,80.205974,81.078922,79.954269,81.330627,80.642448
34936,80.228144,81.056751,79.989225,81.295671,80.642448
38775,80.249188,81.035707,80.022404,81.262492,80.642448
43036,80.269164,81.015732,80.053899,81.230996,80.642448
47766,80.288128,80.996768,80.083799,81.201097,80.642448
53016,80.306129,80.978767,80.112181,81.172715,80.642448
58842,80.323212,80.961684,80.139116,81.14578,80.642448
65309,80.33943,80.945466,80.164686,81.12021,80.642448
72486,80.354822,80.930074,80.188954,81.095941,80.642448
80452,80.369433,80.915463,80.211991,81.072905,80.642448
89294,80.383302,80.901594,80.233858,81.051037,80.642448
99108,80.396467,80.888428,80.254616,81.03028,80.642448
110000,80.408963,80.875933,80.274317,81.010578,80.642448
"""

# tests/testthat/testdata_funnel_prop_outputs_with_axis_variation.csv: limits (percent) for the inputs
# with denominator < 31000, printed to 8 decimal places. Same columns.
FUNNEL_OUTPUTS_AXIS_VARIATION_CSV = """\
10000,81.43030244,82.93037332,80.99777342,83.36290233,82.18033788
10121,81.43479938,82.92587637,81.00486365,83.3558121,82.18033788
10244,81.43928875,82.921387,81.01194194,83.34873381,82.18033788
10368,81.44373351,82.91694225,81.01894989,83.34172586,82.18033788
10494,81.44816901,82.91250674,81.02594326,83.33473249,82.18033788
10621,81.45255961,82.90811614,81.03286582,83.32780993,82.18033788
10750,81.45693946,82.90373629,81.03977143,83.32090432,82.18033788
10880,81.46127422,82.89940153,81.04660596,83.3140698,82.18033788
11012,81.4655969,82.89507886,81.05342142,83.30725433,82.18033788
11146,81.46990628,82.89076947,81.06021594,83.30045981,82.18033788
11281,81.47416995,82.8865058,81.06693837,83.29373738,82.18033788
11418,81.47841925,82.8822565,81.07363815,83.2870376,82.18033788
11557,81.48265313,82.87802262,81.08031361,83.28036214,82.18033788
11697,81.48684095,82.8738348,81.08691646,83.2737593,82.18033788
11839,81.49101249,82.86966327,81.09349363,83.26718213,82.18033788
11983,81.49516683,82.86550893,81.10004368,83.26063207,82.18033788
12128,81.49927503,82.86140073,81.10652099,83.25415476,82.18033788
12275,81.50336536,82.85731039,81.11297014,83.24770561,82.18033788
12424,81.50743705,82.85323871,81.11938987,83.24128588,82.18033788
12575,81.51148933,82.84918642,81.12577901,83.23489674,82.18033788
12728,81.51552151,82.84515424,81.13213647,83.22853928,82.18033788
12882,81.51950729,82.84116846,81.13842075,83.222255,82.18033788
13038,81.52347261,82.83720314,81.14467279,83.21600296,82.18033788
13196,81.52741688,82.83325887,81.15089164,83.20978411,82.18033788
13356,81.53133955,82.82933621,81.15707642,83.20359934,82.18033788
13518,81.53524007,82.82543568,81.16322629,83.19744946,82.18033788
13682,81.53911798,82.82155778,81.1693405,83.19133525,82.18033788
13848,81.54297281,82.81770294,81.17541833,83.18525743,82.18033788
14016,81.54680415,82.8138716,81.18145912,83.17921663,82.18033788
14186,81.55061161,82.81006414,81.18746226,83.17321349,82.18033788
14358,81.55439484,82.80628091,81.1934272,83.16724855,82.18033788
14532,81.55815352,82.80252224,81.19935342,83.16132234,82.18033788
14708,81.56188733,82.79878842,81.20524045,83.15543531,82.18033788
14886,81.56559603,82.79507972,81.21108786,83.14958789,82.18033788
15067,81.56929964,82.79137612,81.21692726,83.14374849,82.18033788
15250,81.57297693,82.78769882,81.22272517,83.13795058,82.18033788
15435,81.57662774,82.78404801,81.22848132,83.13219443,82.18033788
15622,81.58025191,82.78042384,81.23419548,83.12648028,82.18033788
15812,81.58386818,82.77680757,81.23989717,83.12077858,82.18033788
16004,81.5874569,82.77321885,81.24555542,83.11512033,82.18033788
16198,81.591018,82.76965775,81.25117013,83.10950562,82.18033788
16395,81.59456929,82.76610646,81.25676938,83.10390638,82.18033788
16594,81.59809224,82.76258351,81.26232393,83.09835182,82.18033788
16795,81.60158684,82.75908891,81.26783379,83.09284196,82.18033788
16999,81.60507003,82.75560572,81.27332566,83.08735009,82.18033788
17205,81.60852432,82.75215143,81.27877196,83.08190379,82.18033788
17414,81.61196609,82.74870967,81.28419852,83.07647724,82.18033788
17625,81.6153785,82.74529725,81.28957879,83.07109696,82.18033788
17839,81.6187774,82.74189835,81.29493777,83.06573798,82.18033788
18055,81.62214661,82.73852914,81.30024992,83.06042583,82.18033788
18274,81.62550144,82.73517431,81.30553941,83.05513634,82.18033788
18496,81.62884123,82.73183452,81.31080519,83.04987057,82.18033788
18720,81.63215071,82.72852504,81.31602317,83.04465258,82.18033788
18947,81.63544446,82.72523129,81.32121636,83.03945939,82.18033788
19177,81.63872192,82.72195383,81.32638385,83.0342919,82.18033788
19410,81.64198255,82.71869321,81.33152481,83.02915094,82.18033788
19646,81.64522585,82.71544991,81.33663845,83.0240373,82.18033788
19884,81.64843798,82.71223778,81.34170295,83.0189728,82.18033788
20125,81.65163236,82.70904339,81.34673947,83.01393629,82.18033788
20369,81.65480858,82.70586717,81.35174734,83.00892841,82.18033788
20616,81.65796625,82.70270951,81.35672596,83.00394979,82.18033788
20866,81.661105,82.69957075,81.36167477,82.99900099,82.18033788
21119,81.66422451,82.69645125,81.36659322,82.99408253,82.18033788
21375,81.66732446,82.69335129,81.37148085,82.9891949,82.18033788
21634,81.67040458,82.69027117,81.37633721,82.98433854,82.18033788
21897,81.67347618,82.68719958,81.38118013,82.97949562,82.18033788
22163,81.67652703,82.68414872,81.38599035,82.97468541,82.18033788
22432,81.67955694,82.68111881,81.39076754,82.96990821,82.18033788
22704,81.68256572,82.67811003,81.39551142,82.96516433,82.18033788
22980,81.68556399,82.67511177,81.40023872,82.96043704,82.18033788
23259,81.68854043,82.67213532,81.40493162,82.95574414,82.18033788
23541,81.69149495,82.6691808,81.40958994,82.95108581,82.18033788
23827,81.69443765,82.6662381,81.41422963,82.94644613,82.18033788
24116,81.69735788,82.66331788,81.41883388,82.94184187,82.18033788
24409,81.70026542,82.66041033,81.42341814,82.93725761,82.18033788
24705,81.70315005,82.6575257,81.42796628,82.93270948,82.18033788
25005,81.70602124,82.65465451,81.43249322,82.92818253,82.18033788
25308,81.70886917,82.65180658,81.43698349,82.92369226,82.18033788
25615,81.711703,82.64897275,81.44145153,82.91922422,82.18033788
25926,81.71452228,82.64615347,81.44589662,82.91477913,82.18033788
26241,81.71732657,82.64334918,81.45031809,82.91035766,82.18033788
26559,81.72010682,82.64056894,81.45470164,82.90597411,82.18033788
26881,81.72287161,82.63780414,81.45906083,82.90161492,82.18033788
27207,81.7256206,82.63505515,81.4633951,82.89728065,82.18033788
27537,81.72835345,82.6323223,81.46770392,82.89297183,82.18033788
27871,81.73106985,82.6296059,81.47198682,82.88868893,82.18033788
28209,81.73376953,82.62690623,81.47624334,82.88443242,82.18033788
28551,81.73645221,82.62422354,81.48047306,82.88020269,82.18033788
28898,81.73912529,82.62155046,81.48468765,82.8759881,82.18033788
29249,81.74178065,82.6188951,81.4888743,82.87180146,82.18033788
29604,81.74441808,82.61625767,81.49303268,82.86764307,82.18033788
29963,81.74703743,82.61363832,81.49716255,82.86351321,82.18033788
30327,81.74964562,82.61103013,81.50127483,82.85940092,82.18033788
30695,81.75223518,82.60844058,81.50535772,82.85531803,82.18033788
31068,81.75481282,82.60586293,81.50942184,82.85125391,82.18033788
31445,81.75737136,82.60330439,81.51345583,82.84721992,82.18033788
31827,81.75991733,82.60075842,81.51747,82.84320575,82.18033788
32213,81.76244382,82.59823194,81.52145346,82.83922229,82.18033788
32604,81.76495715,82.5957186,81.52541618,82.83525958,82.18033788
33000,81.76745696,82.5932188,81.52935757,82.83131819,82.18033788
"""
