"""Tables of figures formatted for people: statuses in words and symbols, values with units.

Pure functions: a DataFrame from metrics.reports in, a DataFrame to show out.
"""

from __future__ import annotations

import pandas as pd

from metrics.registry import Measure, measure
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS


def _status(status: str) -> str:
    return f"{STATUS_SYMBOLS.get(status, '')} {STATUS_WORDS.get(status, '')}".strip()


def _interval(m: Measure, low: object, high: object) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{m.format(float(low))} to {m.format(float(high))}"


def _count(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):,.0f}"


def comparison_table(frame: pd.DataFrame, *, measure: Measure) -> pd.DataFrame:
    """One row per provider, team, group or area: value, interval, counts, status, significance."""
    columns = ["Group", "Value", "95% interval", "Numerator", "Denominator", "Status", "Target", "Significance"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame({
        "Group": [g if g else a for g, a in zip(frame["group"], frame["area"], strict=True)],
        "Value": [measure.format(None if pd.isna(v) else float(v)) for v in frame["value"]],
        "95% interval": [_interval(measure, lo, hi) for lo, hi in zip(frame["lower95"], frame["upper95"], strict=True)],
        "Numerator": [_count(v) for v in frame["numerator"]],
        "Denominator": [_count(v) for v in frame["denominator"]],
        "Status": [_status(s) for s in frame["status"]],
        "Target": [measure.format(None if pd.isna(t) else float(t)) if not pd.isna(t) else "" for t in frame["target"]],
        "Significance": frame["funnel_significance"] if "funnel_significance" in frame else "",
    })
    return out


def exception_table(report: pd.DataFrame) -> pd.DataFrame:
    """The exception report: who is red or amber, on what, by how much, and what it takes."""
    rows = []
    for r in report.itertuples(index=False):
        m = measure(r.kpi)
        level = {"": "Partnership", "provider": "Provider", "team": "Team"}[r.breakdown]
        rows.append({
            "Status": _status(r.status), "Area": r.area, "Level": level, "Provider or team": r.group,
            "Measure": m.name, "Value": m.format(None if pd.isna(r.value) else float(r.value)),
            "Target": m.format(float(r.target)), "Gap": m.format(float(r.gap), signed=True),
            "Cases needed": _count(r.needed),
            "Provisional": "provisional" if r.provisional else "",
        })
    return pd.DataFrame(rows, columns=["Status", "Area", "Level", "Provider or team", "Measure", "Value", "Target",
                                       "Gap", "Cases needed", "Provisional"])
