"""Confidence intervals, benchmarking and funnel plots, as Public Health England publishes them.

Every figure here reproduces the R package PHEindicatormethods (the methods behind Fingertips)
to at least nine significant figures, so a number on this dashboard matches the number a
public-health analyst gets from the same counts:

- proportions get Wilson score limits (``phe_proportion`` / ``wilson_lower`` / ``wilson_upper``);
- counts get Byar's limits, or exact Poisson limits from the chi-squared distribution when the
  count is below 10 (``phe_rate`` / ``byars_lower`` / ``byars_upper``);
- an area is *better*, *similar* or *worse* than a benchmark by the Fingertips rule;
- providers or partnerships are compared on a funnel plot with control limits around the pooled
  proportion (``calculate_funnel_limits`` / ``assign_funnel_significance``).

All functions take plain numbers, numpy arrays or pandas Series (they broadcast, so tens of
thousands of rows are one call). A scalar in gives a float out; a Series in gives a Series
out with the same index; otherwise a numpy array.

Where PHEindicatormethods stops with an error, this module gives no value instead when the
reason is "nothing to measure" (a zero or missing denominator: shown as "no data"), and raises
:class:`StatisticsInputError` when the figures themselves are impossible (a negative count, a
numerator larger than its denominator), because that means the measure was built wrongly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
from scipy import stats

ArrayLike: TypeAlias = float | int | np.ndarray | pd.Series | Sequence[float | int | None]
"""A single number, or many: a numpy array, a pandas Series or a list."""

Polarity: TypeAlias = Literal["up", "down", "neutral"]

CONFIDENCE_95 = 0.95
CONFIDENCE_998 = 0.998

# Byar's approximation is used from this count upwards; below it, exact Poisson limits
# (PHEindicatormethods: ``if_else(x < 10, <exact>, <Byar's>)``).
BYAR_MINIMUM_COUNT = 10

BETTER = "better"
SIMILAR = "similar"
WORSE = "worse"
NOT_COMPARED = "not compared"
HIGHER = "higher"  # a neutral measure (no better direction) outside the benchmark's reach, above it
LOWER = "lower"

# The funnel-plot labels, worded exactly as PHEindicatormethods ``assign_funnel_significance``.
HIGH_0001 = "High (0.001)"
HIGH_0025 = "High (0.025)"
LOW_0001 = "Low (0.001)"
LOW_0025 = "Low (0.025)"
NOT_SIGNIFICANT = "Not significant"
FUNNEL_LABELS = (HIGH_0001, HIGH_0025, LOW_0001, LOW_0025, NOT_SIGNIFICANT)
# Our own label for a row with nothing to plot (missing numerator, zero or missing denominator);
# PHEindicatormethods refuses such rows outright.
FUNNEL_NO_DATA = "No data"

# The one-sided probabilities behind the funnel lines: 0.975 gives the 95% (two-sided 0.025)
# lines, 0.999 the 99.8% (two-sided 0.001) lines.
_FUNNEL_P_95 = 0.975
_FUNNEL_P_998 = 0.999

# PHEindicatormethods draws each funnel as 100 points between neat axis ends.
FUNNEL_PLOT_POINTS = 100


class StatisticsInputError(ValueError):
    """The counts given cannot be right (a negative count, or more cases than people)."""


# --------------------------------------------------------------------------------------------
# Confidence intervals
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def z_score(confidence: float) -> float:
    """The standard normal quantile for a two-sided interval at ``confidence`` (0.95 -> 1.96)."""
    _check_confidence(confidence)
    # Written as PHEindicatormethods writes it, qnorm(confidence + (1 - confidence) / 2).
    return float(stats.norm.ppf(confidence + (1 - confidence) / 2))


def wilson_limits(
    numerator: ArrayLike, denominator: ArrayLike, *, confidence: float = CONFIDENCE_95
) -> tuple[ArrayLike, ArrayLike]:
    """Lower and upper confidence limits of a proportion, as proportions between 0 and 1.

    This is the Wilson score interval that Fingertips uses for every proportion: the range
    within which the true rate plausibly lies given how many people it is based on. A share
    of 20 out of 100 has 95% limits of about 13% to 29%; the same 20% of 10,000 people has
    limits of about 19% to 21%.

    Use ``confidence=0.998`` for the 99.8% limits. A zero or missing denominator (or a missing
    numerator) gives NaN limits: there is nothing to measure. A negative count, or a
    numerator larger than its denominator, raises :class:`StatisticsInputError`.
    """
    z = z_score(confidence)
    x = _as_float_array(numerator)
    n = _as_float_array(denominator)
    x, n = np.broadcast_arrays(x, n)
    _check_not_negative(x, "numerator")
    _check_not_negative(n, "denominator")
    if np.any(x > n):
        bad = np.flatnonzero((x > n).ravel())[0]
        raise StatisticsInputError(
            f"A numerator is larger than its denominator ({x.ravel()[bad]:g} out of {n.ravel()[bad]:g}): "
            "a proportion cannot be more than 100%."
        )
    has_value = np.isfinite(x) & np.isfinite(n) & (n > 0)
    safe_n = np.where(has_value, n, 1.0)
    safe_x = np.where(has_value, x, 0.0)
    # The formula exactly as PHEindicatormethods wilson_lower / wilson_upper evaluate it.
    root = z * np.sqrt(z**2 + 4 * safe_x * (1 - (safe_x / safe_n)))
    lower = (2 * safe_x + z**2 - root) / 2 / (safe_n + z**2)
    upper = (2 * safe_x + z**2 + root) / 2 / (safe_n + z**2)
    # At 0 cases the lower limit is exactly 0, and at 100% the upper limit exactly 1; the formula
    # can land a rounding error (about 1e-16) either side, so pin them (far inside 9 figures).
    lower = np.where(safe_x == 0, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(safe_x == safe_n, 1.0, np.clip(upper, 0.0, 1.0))
    lower = np.where(has_value, lower, np.nan)
    upper = np.where(has_value, upper, np.nan)
    return _like_inputs(lower, numerator, denominator), _like_inputs(upper, numerator, denominator)


def byar_limits(count: ArrayLike, *, confidence: float = CONFIDENCE_95) -> tuple[ArrayLike, ArrayLike]:
    """Lower and upper confidence limits of a count of events (people, referrals, exits).

    Counts of 10 or more use Byar's approximation to the Poisson distribution; counts below
    10 use exact Poisson limits from the chi-squared distribution, as PHEindicatormethods
    ``phe_rate`` does. Divide both limits by the population (and multiply by 100,000, say) to
    get the limits of a rate. A count of 0 has a lower limit of 0 and an upper limit of about
    3.7. A missing count gives NaN; a negative count raises :class:`StatisticsInputError`.
    """
    z = z_score(confidence)
    x = _as_float_array(count)
    _check_not_negative(x, "count")
    present = np.isfinite(x)
    exact = present & (x < BYAR_MINIMUM_COUNT)
    byar = present & ~exact

    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)

    # Exact limits: qchisq((1 - c) / 2, 2x) / 2 and qchisq(c + (1 - c) / 2, 2x + 2) / 2.
    # R's qchisq with 0 degrees of freedom is 0 (all the mass is at 0); scipy's is undefined.
    xe = x[exact]
    lower[exact] = np.where(
        xe > 0, stats.chi2.ppf((1 - confidence) / 2, 2 * np.where(xe > 0, xe, 1.0)) / 2, 0.0
    )
    upper[exact] = stats.chi2.ppf(confidence + (1 - confidence) / 2, 2 * xe + 2) / 2

    xb = x[byar]
    byar_lower = xb * (1 - 1 / (9 * xb) - z / (3 * np.sqrt(xb))) ** 3
    # PHEindicatormethods sets a negative Byar's lower limit to NA (only possible for
    # confidence levels far above 99.8%).
    lower[byar] = np.where(byar_lower < 0, np.nan, byar_lower)
    upper[byar] = (xb + 1) * (1 - 1 / (9 * (xb + 1)) + z / (3 * np.sqrt(xb + 1))) ** 3

    return _like_inputs(lower, count), _like_inputs(upper, count)


# --------------------------------------------------------------------------------------------
# Benchmarking
# --------------------------------------------------------------------------------------------


def benchmark_comparison(
    *,
    value: float | None,
    lower95: float | None,
    upper95: float | None,
    benchmark: float | None,
    polarity: Polarity,
) -> str:
    """Whether an area is better, similar or worse than a benchmark such as England.

    The Fingertips rule: *similar* when the benchmark lies inside the area's 95% confidence
    interval (a difference that size could be chance); otherwise *better* or *worse*
    depending on whether higher is better (``polarity="up"``) or lower is better
    (``"down"``); for a measure with no better direction (``"neutral"``), *higher* or *lower*
    (Fingertips' blue, and the command line's contract, spec/cli.md). A missing value, interval
    or benchmark is *not compared*.
    """
    return str(
        benchmark_comparisons(
            value=value, lower95=lower95, upper95=upper95, benchmark=benchmark, polarity=polarity
        )
    )


def benchmark_comparisons(
    *,
    value: ArrayLike,
    lower95: ArrayLike,
    upper95: ArrayLike,
    benchmark: ArrayLike,
    polarity: Polarity,
) -> np.ndarray | pd.Series:
    """:func:`benchmark_comparison` for many areas at once (one benchmark may serve them all).

    Returns strings ('better', 'similar', 'worse', 'higher', 'lower', 'not compared'): a Series if any input is a
    Series, otherwise a numpy array of objects.
    """
    _check_polarity(polarity)
    v, lo, hi, b = np.broadcast_arrays(
        _as_float_array(value), _as_float_array(lower95), _as_float_array(upper95), _as_float_array(benchmark)
    )
    result = np.full(v.shape, NOT_COMPARED, dtype=object)
    compared = np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi) & np.isfinite(b)
    area_higher = compared & (b < lo)
    area_lower = compared & (b > hi)
    result[compared] = SIMILAR
    result[area_higher] = BETTER if polarity == "up" else WORSE if polarity == "down" else HIGHER
    result[area_lower] = WORSE if polarity == "up" else BETTER if polarity == "down" else LOWER
    return _like_inputs(result, value, lower95, upper95, benchmark)


# --------------------------------------------------------------------------------------------
# Funnel plots for proportions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelLimits:
    """Funnel-plot control limits at each denominator, as proportions between 0 and 1.

    ``lower_95``/``upper_95`` are PHEindicatormethods' 2-sigma (two-sided 0.025) lines and
    ``lower_998``/``upper_998`` its 3-sigma (two-sided 0.001) lines; ``centre`` is the pooled
    proportion they surround. Limits are clipped to 0 and 1, as the package clips them to 0
    and 100 on its percentage scale.
    """

    centre: float
    denominators: ArrayLike
    lower_95: ArrayLike
    upper_95: ArrayLike
    lower_998: ArrayLike
    upper_998: ArrayLike


def pooled_proportion(*, numerators: ArrayLike, denominators: ArrayLike) -> float:
    """The proportion for all areas together: the sum of numerators over the sum of denominators.

    This is the centre line of a funnel plot. Rows without a usable figure (missing
    numerator, zero or missing denominator) are left out of both sums; NaN when none is left.
    """
    x, n = np.broadcast_arrays(_as_float_array(numerators), _as_float_array(denominators))
    usable = np.isfinite(x) & np.isfinite(n) & (n > 0)
    if not usable.any():
        return math.nan
    return math.fsum(x[usable].tolist()) / math.fsum(n[usable].tolist())


def funnel_limits(*, centre: float, denominators: ArrayLike) -> FunnelLimits:
    """Funnel-plot control limits around ``centre`` for each denominator.

    At a given denominator, the lines are where an area's proportion would have to be for
    its Wilson confidence interval (95% or 99.8%) just to touch the pooled value: the same
    method as PHEindicatormethods ``calculate_funnel_limits(statistic = "proportion")``. A
    provider outside the 99.8% lines is very unlikely to differ by chance alone.

    A zero or missing denominator gives NaN limits.
    """
    n = _as_float_array(denominators)
    usable = np.isfinite(n) & (n > 0)
    safe_n = np.where(usable, n, 1.0)
    limits = {}
    for name, p, side in (
        ("lower_95", _FUNNEL_P_95, "low"),
        ("upper_95", _FUNNEL_P_95, "high"),
        ("lower_998", _FUNNEL_P_998, "low"),
        ("upper_998", _FUNNEL_P_998, "high"),
    ):
        raw = _sigma_adjustment(p=p, population=safe_n, average=float(centre), side=side)
        # R's max(0, .) and min(100, .) on the percentage scale; np.clip keeps NaN as R does.
        clipped = np.clip(raw, 0.0, 1.0)
        limits[name] = _like_inputs(np.where(usable, clipped, np.nan), denominators)
    return FunnelLimits(centre=float(centre), denominators=denominators, **limits)


def funnel_significance(
    *, numerators: ArrayLike, denominators: ArrayLike, centre: float | None = None
) -> ArrayLike:
    """How far each area sits from the pooled proportion, labelled as PHEindicatormethods does.

    "High (0.001)" or "Low (0.001)": outside the 99.8% funnel line, above or below the pooled
    value; "High (0.025)" or "Low (0.025)": outside the 95% line only; "Not significant":
    inside both. Rows with no value (missing numerator, zero or missing denominator) are
    labelled "No data".

    ``centre`` defaults to the pooled proportion of the rows given (as the package computes
    it); pass it to compare against another centre, such as a wider pooled value.
    Raises :class:`StatisticsInputError` for a negative numerator or one above its denominator.
    """
    x_raw, n_raw = numerators, denominators
    x, n = np.broadcast_arrays(_as_float_array(x_raw), _as_float_array(n_raw))
    _check_not_negative(x, "numerator")
    _check_not_negative(n, "denominator")
    if np.any(x > n):
        raise StatisticsInputError(
            "A numerator is larger than its denominator: a proportion cannot be more than 100%."
        )
    average = pooled_proportion(numerators=x, denominators=n) if centre is None else float(centre)
    usable = np.isfinite(x) & np.isfinite(n) & (n > 0)
    safe_n = np.where(usable, n, 1.0)
    share = np.where(usable, x, 0.0) / safe_n

    def line(p: float, side: Literal["low", "high"]) -> np.ndarray:
        # The unclipped lines, multiplier 1, as assign_funnel_significance compares them.
        return _sigma_adjustment(p=p, population=safe_n, average=average, side=side)

    # Comparisons with NaN are False, so a NaN line falls through to the next test, just as
    # an NA condition does in dplyr::case_when.
    labels = np.select(
        [
            share < line(_FUNNEL_P_998, "low"),
            share < line(_FUNNEL_P_95, "low"),
            share > line(_FUNNEL_P_998, "high"),
            share > line(_FUNNEL_P_95, "high"),
        ],
        [LOW_0001, LOW_0025, HIGH_0001, HIGH_0025],
        default=NOT_SIGNIFICANT,
    ).astype(object)
    labels[~usable] = FUNNEL_NO_DATA
    return _like_inputs(labels, x_raw, n_raw)


def funnel_plot_denominators(denominators: ArrayLike) -> np.ndarray:
    """The 100 denominators at which PHEindicatormethods draws the funnel lines.

    They run from a neat round number at or below the smallest denominator (or from 1 when
    the largest is more than twice the smallest) to a neat round number about 5% above the
    largest, spaced geometrically so the curve is smooth where it bends most. Pass them to
    :func:`funnel_limits` to draw the funnel.
    """
    n = _as_float_array(denominators).ravel()
    n = n[np.isfinite(n) & (n > 0)]
    if n.size == 0:
        return np.array([], dtype=float)
    smallest, largest = float(n.min()), float(n.max())
    axis_minimum = 0.0 if largest > 2 * smallest else _signif_floor(smallest)
    axis_maximum = _signif_ceiling(largest)
    points = [max(1.0, axis_minimum)]
    for j in range(2, FUNNEL_PLOT_POINTS + 1):
        previous = points[-1]
        step = (axis_maximum / previous) ** (1 / (101 - j)) * previous
        # R's round() rounds halves to even, as numpy's does.
        points.append(max(float(np.round(step)), previous + 1))
    return np.array(points)


def _sigma_adjustment(
    *, p: float, population: np.ndarray, average: float, side: Literal["low", "high"]
) -> np.ndarray:
    """PHEindicatormethods' internal ``sigma_adjustment`` with multiplier 1, term for term.

    It solves the Wilson score equation for the observed proportion whose interval at this
    population has ``average`` as its boundary.
    """
    q = stats.norm.ppf(p)
    first_part = average * (population / q**2 + 1)
    last_part = 1 / q**2 + 1 / population
    discriminant = (-8 * average * (population / q**2 + 1)) ** 2 - 64 * last_part * average * (
        population * (average * (population / q**2 + 2) - 1) + q**2 * (average - 1)
    )
    # The discriminant is exactly 0 when the pooled proportion is 1; rounding can make it a hair
    # below 0 there, which gives R a NaN line; here it is treated as the 0 it is.
    adj = np.sqrt(np.maximum(discriminant, 0.0))
    if side == "low":
        adjusted = (first_part - adj / 8) / last_part
    else:
        adjusted = (first_part + adj / 8) / last_part
    return adjusted / population


def _r_nchar(whole_number: float) -> int:
    """``nchar()`` of a whole number as R prints it, including R's switch to "1e+05" style.

    R writes a double in scientific notation when that is shorter than fixed notation, so
    ``nchar(100000)`` is 5 ("1e+05") while ``nchar(110000)`` is 6. The funnel axis ends
    depend on this, so it is reproduced.
    """
    value = abs(int(whole_number))
    fixed = str(value)
    width = len(fixed) + (1 if whole_number < 0 else 0)
    if value == 0:
        return width
    mantissa_digits = len(fixed.rstrip("0")[:15])
    exponent = len(fixed) - 1
    sci_width = mantissa_digits + (1 if mantissa_digits > 1 else 0) + 2 + max(2, len(str(exponent)))
    sci_width += 1 if whole_number < 0 else 0
    return width if width <= sci_width else sci_width


def _signif_floor(x: float, percentage_down: float = 0.95) -> float:
    """PHEindicatormethods' ``signif.floor``: round 95% of ``x`` down to its leading digit."""
    if x == 0:
        return 0.0
    digits = _r_nchar(math.floor(x * percentage_down)) - 1
    return math.floor(x * percentage_down / 10**digits) * 10**digits


def _signif_ceiling(x: float, percentage_up: float = 1.05) -> float:
    """PHEindicatormethods' ``signif.ceiling``: round 105% of ``x`` up to two leading digits."""
    if x == 0:
        return 0.0
    digits = _r_nchar(math.ceil(x * percentage_up)) - 2
    return math.ceil(x * percentage_up / 10.0**digits) * 10.0**digits


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _as_float_array(values: ArrayLike | None) -> np.ndarray:
    """Numbers as a float array; None, pandas NA and NaN all become NaN."""
    if values is None:
        return np.array(np.nan)
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy(dtype=float, na_value=np.nan)
    if isinstance(values, np.ndarray) and values.dtype != object:
        return values.astype(float, copy=False)
    if np.ndim(values) == 0:
        return np.array(np.nan if values is None or pd.isna(values) else float(values))
    return np.array([np.nan if v is None or pd.isna(v) else float(v) for v in values], dtype=float)


def _like_inputs(result: np.ndarray, *inputs: object) -> ArrayLike:
    """Give the result back in the shape of the inputs: float, Series or array."""
    if all(np.ndim(i) == 0 for i in inputs if not isinstance(i, pd.Series)) and not any(
        isinstance(i, pd.Series) for i in inputs
    ):
        item = np.asarray(result).item()
        return item if isinstance(item, str) else float(item)
    for i in inputs:
        if isinstance(i, pd.Series) and i.shape == np.shape(result):
            return pd.Series(result, index=i.index, dtype=result.dtype)
    return result


def _check_not_negative(values: np.ndarray, what: str) -> None:
    if np.any(values < 0):
        bad = values[values < 0].ravel()[0]
        raise StatisticsInputError(f"A {what} is negative ({bad:g}): counts of people cannot be below zero.")
    if np.any(np.isinf(values)):
        raise StatisticsInputError(f"A {what} is infinite: check how the measure was counted.")


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (such as 0.95), not {confidence!r}")


def _check_polarity(polarity: str) -> None:
    if polarity not in ("up", "down", "neutral"):
        raise ValueError(f"polarity must be 'up', 'down' or 'neutral', not {polarity!r}")
