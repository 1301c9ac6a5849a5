"""Frames shaped exactly like ``metrics.reports`` output, built by hand for the chart tests.

The figures are worked out with the project's own statistics (Wilson limits, funnel limits,
XmR), so the charts are drawn from realistic, self-consistent numbers without a database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders.periods import Quarter, quarters_between
from metrics import spc, statistics
from metrics.reports import FIELDS, FUNNEL_FIELDS, SPC_FIELDS
from metrics.targets import standing

FIRST, LAST = Quarter(2021, 3), Quarter(2026, 2)  # 2021-22 Q3 to 2026-27 Q2: 20 quarters
AREA, AREA_NAME = "E99000001", "Northvale (demo)"


def _row(kpi: str, period: Quarter, numerator: float, denominator: float | None, *, group: str = "",
         breakdown: str = "", area: str = AREA, target: float | None = None, provisional: bool = False,
         benchmark: float | None = None) -> dict[str, object]:
    if denominator is None:  # a count
        value = numerator
        lo, hi = statistics.byar_limits(numerator)
        lo998, hi998 = statistics.byar_limits(numerator, confidence=0.998)
    else:
        value = numerator / denominator if denominator else np.nan
        lo, hi = statistics.wilson_limits(numerator, denominator)
        lo998, hi998 = statistics.wilson_limits(numerator, denominator, confidence=0.998)
    s = standing(kpi=kpi, value=None if np.isnan(value) else value, numerator=numerator, denominator=denominator,
                 target=target)
    comparison = statistics.benchmark_comparison(value=value, lower95=lo, upper95=hi, benchmark=benchmark,
                                                 polarity="up")
    return {
        "kpi": kpi, "name": None, "area": area, "breakdown": breakdown, "group": group, "period": period.label,
        "window_start": "", "window_end": period.end.isoformat(), "numerator": numerator,
        "denominator": denominator, "value": value, "lower95": lo, "upper95": hi, "lower998": lo998,
        "upper998": hi998, "provisional": provisional, "target": np.nan if s.target is None else s.target,
        "status": s.status, "gap": np.nan if s.gap is None else s.gap,
        "needed": np.nan if s.needed is None else s.needed,
        "benchmark": np.nan if benchmark is None else benchmark, "benchmark_comparison": comparison,
    }


def series_frame(kpi: str = "completions_opiate", *, quarters: int = 20, polarity: str = "up") -> pd.DataFrame:
    """One partnership's measure over ``quarters`` quarters: rising completions with a
    trajectory target from 2023-24 Q1, an England benchmark and two provisional quarters."""
    periods = quarters_between(FIRST, LAST)[-quarters:]
    rng = np.random.default_rng(7)
    rows = []
    for i, q in enumerate(periods):
        denominator = 420 + 6 * i
        rate = 0.048 + 0.0016 * i + rng.normal(0, 0.004)
        numerator = round(rate * denominator)
        target = None if q < Quarter(2023, 1) else 0.05 + 0.004 * (q.year * 4 + q.number - (2023 * 4 + 1))
        rows.append(_row(kpi, q, numerator, denominator, target=target, provisional=i >= len(periods) - 2,
                         benchmark=0.055 + 0.0005 * i))
    df = pd.DataFrame(rows, columns=FIELDS)
    df["name"] = "Successful completions, opiate (PHOF C19a)"
    df["target_text"] = ""
    return with_spc(df, polarity=polarity)


def with_spc(df: pd.DataFrame, *, polarity: str) -> pd.DataFrame:
    """The SPC columns as ``metrics.reports.series`` adds them."""
    df = df.copy()
    targets = df["target"].dropna()
    result = spc.xmr(df["value"].tolist(), polarity=polarity,  # type: ignore[arg-type]
                     target=float(targets.iloc[-1]) if not targets.empty else None)
    df["spc_mean"], df["spc_lower"], df["spc_upper"] = result.mean, result.lower, result.upper
    df["spc_point"] = [p.point_type for p in result.points]
    df["spc_rule"] = [p.rule for p in result.points]
    df["spc_variation"], df["spc_assurance"] = result.variation, result.assurance
    df["spc_provisional"] = result.provisional
    assert list(df.columns[: len(FIELDS)]) == FIELDS and set(SPC_FIELDS) <= set(df.columns)
    return df


PROVIDERS = {
    "P01": (61, 160), "P02": (140, 300), "P03": (18, 120), "P04": (250, 420), "P05": (95, 260),
    "P06": (30, 75), "P07": (170, 390), "P08": (12, 30),
}
PROVIDER_NAMES = {
    "P01": "Harbour Recovery", "P02": "Northvale Community Services", "P03": "Riverside Drug Service",
    "P04": "Change Grow Live (demo)", "P05": "Turning Point (demo)", "P06": "Young Adults Team",
    "P07": "Northvale Alcohol Service", "P08": "Outreach Team",
}


def funnel_frame(kpi: str = "top_compliance") -> pd.DataFrame:
    """Providers of one partnership for one quarter, as ``metrics.reports.funnel`` returns them."""
    q = LAST
    rows = [_row(kpi, q, n, d, group=code, breakdown="provider", target=0.86)
            for code, (n, d) in PROVIDERS.items()]
    df = pd.DataFrame(rows, columns=FIELDS)
    df["name"] = "TOP compliance"
    centre = statistics.pooled_proportion(numerators=df["numerator"], denominators=df["denominator"])
    limits = statistics.funnel_limits(centre=centre, denominators=df["denominator"].to_numpy(dtype=float))
    df["funnel_centre"] = centre
    df["funnel_lower95"], df["funnel_upper95"] = limits.lower_95, limits.upper_95
    df["funnel_lower998"], df["funnel_upper998"] = limits.lower_998, limits.upper_998
    df["funnel_significance"] = statistics.funnel_significance(
        numerators=df["numerator"].to_numpy(dtype=float), denominators=df["denominator"].to_numpy(dtype=float),
        centre=centre)
    assert set(FUNNEL_FIELDS) <= set(df.columns)
    return df.sort_values("value", ascending=False).reset_index(drop=True)


def partnerships_frame(count: int = 150) -> pd.DataFrame:
    """Many partnerships for one quarter, without funnel columns (the builder works them out)."""
    rng = np.random.default_rng(1)
    denominators = rng.integers(50, 2000, count)
    numerators = rng.binomial(denominators, 0.45)
    return pd.DataFrame({"kpi": "top_compliance", "area": [f"E99{i:06d}" for i in range(count)], "group": "",
                         "numerator": numerators, "denominator": denominators, "value": numerators / denominators})


ETHNIC_GROUPS = {
    "White (A-C)": (410, 520), "Mixed (D-G)": (22, 31), "Asian (H-L)": (35, 52), "Black (M-P)": (28, 44),
    "Chinese or other (R-S)": (6, 11), "Not stated (Z)": (0, 0),
}


def breakdown_frame(kpi: str = "effective_treatment_rate") -> pd.DataFrame:
    """A scorecard by ethnic group, with the partnership's own row ('' group) first."""
    q = LAST
    total_n = sum(n for n, _ in ETHNIC_GROUPS.values())
    total_d = sum(d for _, d in ETHNIC_GROUPS.values())
    rows = [_row(kpi, q, total_n, total_d, target=0.8)]
    rows += [_row(kpi, q, n, d, group=g, breakdown="ethnic_group", target=0.8) for g, (n, d) in ETHNIC_GROUPS.items()]
    df = pd.DataFrame(rows, columns=FIELDS)
    df["name"] = "Effective treatment rate"
    return df


def monthly_frame(kpi: str = "toa_test_rate", months: int = 18) -> pd.DataFrame:
    """Month-by-month custody-suite figures: three suites and the partnership's total ('')."""
    rng = np.random.default_rng(3)
    month_labels = pd.period_range("2025-01", periods=months, freq="M").strftime("%Y-%m")
    rows = []
    for suite, base in (("Northvale Central", 0.82), ("Harbour Road", 0.7), ("Millbrook", 0.9)):
        for i, month in enumerate(month_labels):
            arrests = int(rng.integers(40, 80))
            tests = round(arrests * min(1.2, base + 0.005 * i + rng.normal(0, 0.04)))
            rows.append({"kpi": kpi, "area": AREA, "breakdown": "suite", "group": suite, "month": month,
                         "numerator": tests, "denominator": arrests, "value": tests / arrests})
    df = pd.DataFrame(rows)
    total = df.groupby("month", as_index=False)[["numerator", "denominator"]].sum()
    total = total.assign(kpi=kpi, area=AREA, breakdown="", group="", value=total["numerator"] / total["denominator"])
    return pd.concat([df, total], ignore_index=True)


SCORECARD_KPIS = {
    "completions_opiate": ((28, 470), 0.09, 0.055),
    "top_compliance": ((1610, 1900), 0.86, 0.84),
    "in_treatment": ((1234, None), None, None),
    "representations": ((9, 80), 0.10, 0.08),
    "toa_test_rate": ((410, 470), None, None),
}


def scorecard_frame(period: Quarter = LAST, *, shift: float = 0.0) -> pd.DataFrame:
    """A small scorecard for one quarter; ``shift`` moves every numerator (for earlier quarters)."""
    rows = []
    for kpi, ((n, d), target, benchmark) in SCORECARD_KPIS.items():
        rows.append(_row(kpi, period, max(0, round(n * (1 + shift))), d, target=target, benchmark=benchmark,
                         provisional=kpi == "completions_opiate"))
    df = pd.DataFrame(rows, columns=FIELDS)
    df["name"] = None
    return df
