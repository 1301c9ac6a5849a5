"""Statistical process control for trends: NHS England's "Making Data Count" XmR charts.

An XmR chart asks of a run of figures over time: is this just the usual ups and downs
(*common cause* variation), or has something changed (*special cause* variation)? It draws
the average, and *process limits* at the average plus and minus 2.66 times the average
quarter-to-quarter movement (the mean moving range). Almost all points of a stable process
fall inside them.

The calculations match the R package NHSRplotthedots (``ptd_spc`` with its default
settings; the rule labelling of its current ``ptd_special_cause_type``), which implements
NHS England's "Making Data Count" guidance:

- moving ranges more than 3.267 times their mean are left out, and the mean moving range is
  worked out again without them, so one unusual jump does not widen the limits;
- a point is special cause when, checked in this order, it is
  1. outside the process limits (``'outside limits'``);
  2. part of a run of 7 points each higher than the last, or each lower (``'trend'``);
  3. one of 2 out of 3 consecutive points on the same side of the average that lie beyond the
     "2-sigma" line, two thirds of the way to the process limit (``'two of three'``);
  4. part of a run of 7 points on the same side of the average (``'shift'``);
- a special-cause point is an *improvement* or a *concern* depending on which way is better
  for the measure, or *neutral* when neither way is;
- the variation icon describes the latest point, and the assurance icon says whether a
  target is within reach of the process: *consistent pass* (every point will probably meet
  it), *consistent fail* (none will, without a change to the process) or *hit and miss*.

With fewer than 12 points the limits are *provisional*: Making Data Count advises at least
12 before relying on them. They are still worked out from 2 points; with fewer there is not
enough data for a chart at all.

Missing values (None or NaN) keep their place in the result but take no part: they are left
out of the average, and the points either side of a gap are treated as neighbours for the
moving ranges and the runs. (NHSRplotthedots expects a series without gaps; this is our
reading of how to treat one.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

Polarity: TypeAlias = Literal["up", "down", "neutral"]

# Making Data Count constants (NHSRplotthedots ``ptd_spc_standard``).
LIMIT_MULTIPLIER = 2.66
TWO_SIGMA_MULTIPLIER = 2 * (LIMIT_MULTIPLIER / 3)
MOVING_RANGE_SCREEN = 3.267
RUN_LENGTH = 7
MINIMUM_POINTS = 2
RECOMMENDED_POINTS = 12

# What each point is.
IMPROVEMENT = "improvement"
CONCERN = "concern"
NEUTRAL = "neutral"
COMMON_CAUSE = "common cause"

# Which rule made a point special cause (the first that applies, in this order).
RULE_OUTSIDE_LIMITS = "outside limits"
RULE_TREND = "trend"
RULE_TWO_OF_THREE = "two of three"
RULE_SHIFT = "shift"
RULES = (RULE_OUTSIDE_LIMITS, RULE_TREND, RULE_TWO_OF_THREE, RULE_SHIFT)

# Variation icon: what the latest point says.
VARIATION_IMPROVEMENT = "special cause improvement"
VARIATION_CONCERN = "special cause concern"
VARIATION_NEUTRAL_HIGH = "special cause neutral high"
VARIATION_NEUTRAL_LOW = "special cause neutral low"
VARIATION_COMMON_CAUSE = "common cause"

# Assurance icon: can the process meet the target?
ASSURANCE_PASS = "consistent pass"
ASSURANCE_FAIL = "consistent fail"
ASSURANCE_HIT_AND_MISS = "hit and miss"

HIGH = "high"
LOW = "low"


@dataclass(frozen=True)
class SpcPoint:
    """One period on the chart.

    ``point_type`` is 'improvement', 'concern', 'neutral' (special cause on a measure where
    neither direction is better) or 'common cause'; '' for a missing value or when there is
    not enough data. ``rule`` names the first rule that made the point special cause ('' for
    common cause). ``direction`` says which way a special-cause point departs: 'high' (above
    the average, or part of a rising run) or 'low'; '' for common cause.
    """

    value: float
    point_type: str
    rule: str
    direction: str


@dataclass(frozen=True)
class SpcResult:
    """An XmR chart of a measure over time.

    ``mean`` is the centre line; ``lower``/``upper`` the process limits (mean -/+ 2.66 x mean
    moving range); ``lower_2sigma``/``upper_2sigma`` the lines two thirds of the way to them.
    ``points`` follow the input order, one per value given.

    ``variation`` describes the latest point: 'special cause improvement', 'special cause
    concern', 'special cause neutral high', 'special cause neutral low' or 'common cause'.
    ``assurance`` compares the target with the process limits: 'consistent pass',
    'consistent fail', 'hit and miss', or '' when there is no target, the measure is neutral
    or there is not enough data.

    ``provisional`` is True with fewer than 12 points. ``enough_data`` is False with fewer
    than 2 points: then the lines are NaN, every point's type is '' and both icons are ''.
    """

    mean: float
    lower: float
    upper: float
    lower_2sigma: float
    upper_2sigma: float
    mean_moving_range: float
    points: tuple[SpcPoint, ...]
    variation: str
    assurance: str
    provisional: bool
    enough_data: bool
    polarity: Polarity
    target: float | None

    @property
    def special_cause_count(self) -> int:
        """How many points show special-cause variation."""
        return sum(1 for p in self.points if p.rule)


def xmr(values: Sequence[float | None], *, polarity: Polarity, target: float | None = None) -> SpcResult:
    """An XmR statistical process control chart of ``values`` in time order.

    ``polarity`` says which way is better: 'up' (higher is better, such as successful
    completions), 'down' (lower is better, such as re-presentations) or 'neutral' (no better
    direction, such as numbers in treatment). ``target`` is the level the measure should
    meet, if any; it decides the assurance icon.

    Never raises for short or gappy series: fewer than 2 values gives a result with
    ``enough_data=False``. Raises ValueError for an unknown polarity or an infinite value.
    """
    if polarity not in ("up", "down", "neutral"):
        raise ValueError(f"polarity must be 'up', 'down' or 'neutral', not {polarity!r}")
    all_values = np.array([math.nan if v is None or pd.isna(v) else float(v) for v in values], dtype=float)
    if np.isinf(all_values).any():
        raise ValueError("An SPC chart cannot plot an infinite value: check how the measure was calculated.")
    observed = ~np.isnan(all_values)
    y = all_values[observed]
    target_value = None if target is None or math.isnan(float(target)) else float(target)

    if y.size < MINIMUM_POINTS:
        return SpcResult(
            mean=math.nan,
            lower=math.nan,
            upper=math.nan,
            lower_2sigma=math.nan,
            upper_2sigma=math.nan,
            mean_moving_range=math.nan,
            points=tuple(SpcPoint(value=float(v), point_type="", rule="", direction="") for v in all_values),
            variation="",
            assurance="",
            provisional=True,
            enough_data=False,
            polarity=polarity,
            target=target_value,
        )

    mean = math.fsum(y.tolist()) / y.size
    mean_mr = _screened_mean_moving_range(y)
    lower = mean - LIMIT_MULTIPLIER * mean_mr
    upper = mean + LIMIT_MULTIPLIER * mean_mr
    lower_2sigma = mean - TWO_SIGMA_MULTIPLIER * mean_mr
    upper_2sigma = mean + TWO_SIGMA_MULTIPLIER * mean_mr

    rules, directions = _special_causes(
        y, mean=mean, lower=lower, upper=upper, lower_2sigma=lower_2sigma, upper_2sigma=upper_2sigma
    )
    types = [
        _point_type(rule, direction, polarity) for rule, direction in zip(rules, directions, strict=True)
    ]

    points: list[SpcPoint] = []
    observed_index = 0
    for value, present in zip(all_values, observed, strict=True):
        if not present:
            points.append(SpcPoint(value=math.nan, point_type="", rule="", direction=""))
            continue
        points.append(
            SpcPoint(
                value=float(value),
                point_type=types[observed_index],
                rule=rules[observed_index],
                direction=directions[observed_index],
            )
        )
        observed_index += 1

    return SpcResult(
        mean=mean,
        lower=lower,
        upper=upper,
        lower_2sigma=lower_2sigma,
        upper_2sigma=upper_2sigma,
        mean_moving_range=mean_mr,
        points=tuple(points),
        variation=_variation(types[-1], directions[-1]),
        assurance=_assurance(target_value, lower=lower, upper=upper, polarity=polarity),
        provisional=y.size < RECOMMENDED_POINTS,
        enough_data=True,
        polarity=polarity,
        target=target_value,
    )


def _screened_mean_moving_range(y: np.ndarray) -> float:
    """Mean of the moving ranges, leaving out any of 3.267 times their mean or more.

    NHSRplotthedots keeps a moving range only when it is strictly below 3.267 x the mean. For a
    flat series (every moving range 0) that keeps none and the package's limits become NaN;
    here the mean moving range stays 0, so the limits sit on the average.
    """
    moving_ranges = np.abs(np.diff(y))
    first_mean = math.fsum(moving_ranges.tolist()) / moving_ranges.size
    kept = moving_ranges[moving_ranges < MOVING_RANGE_SCREEN * first_mean]
    if kept.size == 0:
        return first_mean
    return math.fsum(kept.tolist()) / kept.size


def _special_causes(
    y: np.ndarray, *, mean: float, lower: float, upper: float, lower_2sigma: float, upper_2sigma: float
) -> tuple[list[str], list[str]]:
    """The rule that flags each point ('' for none) and the direction it flags it in."""
    m = y.size
    outside = (y > upper) | (y < lower)
    relative_to_mean = np.sign(y - mean)
    # Beyond the 2-sigma line but not beyond the process limit.
    close = ~outside & ((y < lower_2sigma) | (y > upper_2sigma))

    in_trend = _part_of_run(_seven_point_trend(y))
    in_shift = _part_of_run(_seven_point_one_side(relative_to_mean))
    in_two_of_three = _two_of_three(close, relative_to_mean) & close

    # A trend point takes the direction of its step to the next point when that point is in
    # the trend too, otherwise of its step from the previous point (as NHSRplotthedots does).
    steps = np.sign(np.diff(y))
    step_right = np.append(steps, steps[-1:])
    step_left = np.insert(steps, 0, 0.0)
    next_in_trend = np.append(in_trend[1:], False)
    trend_step = np.where(in_trend & next_in_trend, step_right, step_left)

    rules: list[str] = []
    directions: list[str] = []
    for i in range(m):
        side = HIGH if relative_to_mean[i] > 0 else LOW
        if outside[i]:
            rules.append(RULE_OUTSIDE_LIMITS)
            directions.append(HIGH if relative_to_mean[i] == 1 else LOW)
        elif in_trend[i]:
            rules.append(RULE_TREND)
            directions.append(HIGH if trend_step[i] == 1 else LOW)
        elif in_two_of_three[i]:
            rules.append(RULE_TWO_OF_THREE)
            directions.append(side)
        elif in_shift[i]:
            rules.append(RULE_SHIFT)
            directions.append(side)
        else:
            rules.append("")
            directions.append("")
    return rules, directions


def _seven_point_trend(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """True at the 7th point of every run of 7 points each strictly above (or below) the last."""
    y = np.asarray(values, dtype=float)
    steps = np.sign(np.diff(y))
    ends = np.zeros(y.size, dtype=bool)
    for i in range(RUN_LENGTH - 1, y.size):
        window = steps[i - (RUN_LENGTH - 1) : i]
        ends[i] = bool(np.all(window == 1) or np.all(window == -1))
    return ends


def _seven_point_one_side(sides: Sequence[float] | np.ndarray) -> np.ndarray:
    """True at the 7th point of every run of 7 points on the same side of the mean.

    ``sides`` is the sign of each point's difference from the mean. A point exactly on the mean
    belongs to neither side and breaks a run.
    """
    relative_to_mean = np.asarray(sides, dtype=float)
    ends = np.zeros(relative_to_mean.size, dtype=bool)
    for i in range(RUN_LENGTH - 1, relative_to_mean.size):
        window = relative_to_mean[i - (RUN_LENGTH - 1) : i + 1]
        ends[i] = bool(window[-1] != 0 and np.all(window == window[-1]))
    return ends


def _part_of_run(run_ends: np.ndarray) -> np.ndarray:
    """True for every point in a run: the run's last point or any of the 6 before it."""
    part = np.zeros(run_ends.size, dtype=bool)
    for i in np.flatnonzero(run_ends):
        part[max(0, i - (RUN_LENGTH - 1)) : i + 1] = True
    return part


def _two_of_three(close: np.ndarray, relative_to_mean: np.ndarray) -> np.ndarray:
    """True where some window of 3 consecutive points containing the point has 2 or more
    beyond the 2-sigma line and all 3 on the same side of the mean."""
    m = close.size
    flagged = np.zeros(m, dtype=bool)
    for start in range(0, m - 2):
        window = slice(start, start + 3)
        if close[window].sum() >= 2 and abs(relative_to_mean[window].sum()) == 3:
            flagged[window] = True
    return flagged


def _point_type(rule: str, direction: str, polarity: Polarity) -> str:
    if not rule:
        return COMMON_CAUSE
    if polarity == "neutral":
        return NEUTRAL
    better = HIGH if polarity == "up" else LOW
    return IMPROVEMENT if direction == better else CONCERN


def _variation(point_type: str, direction: str) -> str:
    if point_type == IMPROVEMENT:
        return VARIATION_IMPROVEMENT
    if point_type == CONCERN:
        return VARIATION_CONCERN
    if point_type == NEUTRAL:
        return VARIATION_NEUTRAL_HIGH if direction == HIGH else VARIATION_NEUTRAL_LOW
    return VARIATION_COMMON_CAUSE


def _assurance(target: float | None, *, lower: float, upper: float, polarity: Polarity) -> str:
    """NHSRplotthedots ``ptd_calculate_assurance_type``: where the target sits against the limits."""
    if target is None or polarity == "neutral" or math.isnan(lower) or math.isnan(upper):
        return ""
    if target > upper:
        return ASSURANCE_FAIL if polarity == "up" else ASSURANCE_PASS
    if target < lower:
        return ASSURANCE_PASS if polarity == "up" else ASSURANCE_FAIL
    return ASSURANCE_HIT_AND_MISS
