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
    for column in _LIMITS:
        if column not in out:
            out[column] = np.nan
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    unit = out["unit"] if "unit" in out else pd.Series(None, index=out.index, dtype=object)
    unit = unit.where(unit.notna(), out["kpi"].map(MEASURE_UNITS))
    num = pd.to_numeric(out["numerator"], errors="coerce").astype(float)
    den = pd.to_numeric(out["denominator"], errors="coerce").astype(float)
    value = pd.to_numeric(out["value"], errors="coerce").astype(float)
    missing = out["lower95"].isna() & out["upper95"].isna()
    unit_text = unit.fillna("").astype(str).str.lower()
    per = unit_text.map(_multiplier)
    proportion = missing & num.notna() & (den > 0) & (num <= den) & per.isna() & (
        unit_text.isin(["proportion", "percent", "%", ""]))
    rate = missing & num.notna() & (den > 0) & per.notna()
    count = missing & ~proportion & ~rate & unit_text.isin(["count"]) & (num.notna() | value.notna())
    for confidence, (low, high) in ((statistics.CONFIDENCE_95, ("lower95", "upper95")),
                                    (statistics.CONFIDENCE_998, ("lower998", "upper998"))):
        if proportion.any():
            lo, hi = statistics.wilson_limits(num[proportion], den[proportion], confidence=confidence)
            out.loc[proportion, low], out.loc[proportion, high] = lo, hi
        if rate.any():
            lo, hi = statistics.byar_limits(num[rate], confidence=confidence)
            scale = per[rate] / den[rate]
            out.loc[rate, low], out.loc[rate, high] = lo * scale, hi * scale
        if count.any():
            counted = num[count].where(num[count].notna(), value[count])
            lo, hi = statistics.byar_limits(counted.clip(lower=0), confidence=confidence)
            out.loc[count, low], out.loc[count, high] = lo, hi
    return out


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
