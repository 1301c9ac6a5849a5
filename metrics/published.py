"""Figures published elsewhere, read as the product's own: limits for every uploaded figure, and the
published figures of the product's measures (NDTMS ViewIt's numbers in treatment and successful
completions, England's BME share, an indicators upload of a measure) as results rows.

A partnership that sends no client-level extracts still gets a scorecard, trajectories and a board
pack from what it downloads; where a figure is both computed from journeys and published, the
computed one stands and the published one is shown beside it (``published_beside``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from loaders.store import Store
from metrics import statistics
from metrics.registry import MEASURES

MEASURE_UNITS = {m.id: m.unit for m in MEASURES}
_LIMITS = ("lower95", "upper95", "lower998", "upper998")


def _multiplier(unit: object) -> float | None:
    """The N of a rate 'per N' ('per 100,000' is 100000), or None."""
    match = re.search(r"per\s*([0-9][0-9,]*)", str(unit or ""), re.IGNORECASE)
    return float(match[1].replace(",", "")) if match else None


def with_limits(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of figures: kpi, numerator, denominator, value, unit and the four limits) with the
    limits of every figure that came without them, computed as for the product's own measures:
    Wilson's for a proportion with its numerator and denominator, Byar's for a count and for a rate
    per N (the count's limits over the denominator, times N). Published limits are kept as given."""
    if frame.empty:
        return frame
    out = frame.copy()
    # Worked on arrays and written into the frame once: a few rows at a time, pandas' own steps cost more
    # than the arithmetic.
    limits = {column: _floats(out[column]).copy() if column in out else np.full(len(out), np.nan)
              for column in _LIMITS}
    units = out["unit"] if "unit" in out else [None] * len(out)
    unit_text = [("" if pd.isna(u) else str(u)).lower()
                 for u in (u if not pd.isna(u) else MEASURE_UNITS.get(k) for u, k in zip(units, out["kpi"], strict=True))]
    per = np.array([np.nan if m is None else m for m in map(_multiplier, unit_text)], dtype=float)
    texts = np.array(unit_text, dtype=object)
    num, den, value = _floats(out["numerator"]), _floats(out["denominator"]), _floats(out["value"])
    missing = np.isnan(limits["lower95"]) & np.isnan(limits["upper95"])
    with np.errstate(invalid="ignore"):
        counted_rows = missing & ~np.isnan(num) & (den > 0)
        proportion = counted_rows & (num <= den) & np.isnan(per) & np.isin(texts, ["proportion", "percent", "%", ""])
    rate = counted_rows & ~np.isnan(per)
    count = missing & ~proportion & ~rate & (texts == "count") & (~np.isnan(num) | ~np.isnan(value))
    for confidence, (low, high) in ((statistics.CONFIDENCE_95, ("lower95", "upper95")),
                                    (statistics.CONFIDENCE_998, ("lower998", "upper998"))):
        if proportion.any():
            limits[low][proportion], limits[high][proportion] = statistics.wilson_limits(
                num[proportion], den[proportion], confidence=confidence)
        if rate.any():
            lo, hi = statistics.byar_limits(num[rate], confidence=confidence)
            scale = per[rate] / den[rate]
            limits[low][rate], limits[high][rate] = lo * scale, hi * scale
        if count.any():
            counted = np.where(~np.isnan(num), num, value)[count]
            lo, hi = statistics.byar_limits(np.where(counted < 0, 0.0, counted), confidence=confidence)
            limits[low][count], limits[high][count] = lo, hi
    for column in _LIMITS:
        out[column] = pd.Series(limits[column], index=out.index)
    return out


def _floats(column: pd.Series) -> np.ndarray:
    """A column as floats (anything not a number: NaN)."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _literal_list(values: list[str]) -> str:
    # Our own registry ids (letters, digits, '_'), never user values.
    return "[" + ", ".join("'" + v + "'" for v in values) + "]"


# The published figures of the product's measures, each in the quarter whose rolling 12 months it is:
# a quarter's figure (an indicators upload of a measure for '2024-25 Q3' is its rolling year), or a year
# (financial or calendar) or rolling year ending at a quarter end. Columns as the results table's, with
# the unit and the upload the figure came with. A count measure's figure is its numerator too.
SQL = f"""
SELECT indicator AS kpi, area_code AS area, breakdown, grp,
       fy || '-' || lpad(((fy + 1) % 100)::VARCHAR, 2, '0') || ' Q' || q AS period,
       (period_end - INTERVAL 12 MONTH + INTERVAL 1 DAY)::DATE AS window_start, period_end AS window_end,
       CASE WHEN numerator IS NULL AND denominator IS NULL
                 AND list_contains({_literal_list([m.id for m in MEASURES if m.unit == "count"])}, indicator)
            THEN value ELSE numerator END AS numerator,
       denominator, value, lower_ci AS lower95, upper_ci AS upper95, lower998, upper998, false AS provisional,
       unit, upload_kind || ': ' || file_name || ' (upload ' || upload_id || ')' AS source
FROM (
    SELECT i.*, u.kind AS upload_kind, u.file_name,
           CASE WHEN month(i.period_end) >= 4 THEN year(i.period_end) ELSE year(i.period_end) - 1 END AS fy,
           (month(i.period_end) + 8) % 12 // 3 + 1 AS q
    FROM current_indicators i JOIN uploads u USING (upload_id)
    WHERE list_contains({_literal_list([m.id for m in MEASURES])}, i.indicator)
      AND (i.period_kind = 'quarter'
           OR (i.period_start + INTERVAL 12 MONTH - INTERVAL 1 DAY = i.period_end
               AND i.period_end = last_day(i.period_end) AND month(i.period_end) IN (3, 6, 9, 12)))
)
"""


def published(store: Store, *, where: str = "true", params: list[object] | None = None) -> pd.DataFrame:
    """The published figures of the product's measures as results rows (with ``unit`` and ``source``),
    limits computed where none were published. ``where`` filters the rows (SQL over the results
    table's columns: kpi, area, breakdown, grp, period) with positional ``params``."""
    frame = store.df(f"SELECT * FROM ({SQL}) WHERE {where}", params or [])
    return with_limits(frame)
