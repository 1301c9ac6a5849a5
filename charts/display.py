"""Tables of figures formatted for people: statuses in words and symbols, values with units.

Pure functions: a DataFrame from metrics.reports in, a DataFrame to show out.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd

from charts import plain_text
from charts.theme import format_change, is_missing
from metrics import reports
from metrics.registry import Measure, UnknownMeasure, measure
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS


def _status(status: str) -> str:
    return f"{STATUS_SYMBOLS.get(status, '')} {STATUS_WORDS.get(status, '')}".strip()


def _interval(m: Measure, low: object, high: object) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{m.format(float(low))} to {m.format(float(high))}"


def _count(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):,.0f}"


def _column(frame: pd.DataFrame, named: str, coded: str) -> pd.Series:
    """A column of names (metrics.reports' area_name, group_name) where the frame has it, else of codes."""
    return frame[named].where(frame[named].notna() & (frame[named] != ""), frame[coded]) if named in frame \
        else frame[coded]


def comparison_table(frame: pd.DataFrame, *, measure: Measure) -> pd.DataFrame:
    """One row per provider, team, group or area: value, interval, counts, status, significance.

    A column blank in every row (the denominator of a count, the target of a measure without
    one, significance outside a funnel plot) is left out: an empty column only raises questions.
    """
    columns = ["Group", "Value", "95% interval", "Numerator", "Denominator", "Status", "Target", "Significance"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame({
        "Group": [plain_text.clean(g if g else a) for g, a in zip(_column(frame, "group_name", "group"),
                                                                   _column(frame, "area_name", "area"), strict=True)],
        "Value": [measure.format(None if pd.isna(v) else float(v)) for v in frame["value"]],
        "95% interval": [_interval(measure, lo, hi) for lo, hi in zip(frame["lower95"], frame["upper95"], strict=True)],
        "Numerator": [_count(v) for v in frame["numerator"]],
        "Denominator": [_count(v) for v in frame["denominator"]],
        "Status": [_status(s) for s in frame["status"]],
        "Target": [measure.format(None if pd.isna(t) else float(t)) if not pd.isna(t) else "" for t in frame["target"]],
        "Significance": frame["funnel_significance"].fillna("") if "funnel_significance" in frame else "",
    })
    blank = [c for c in ("Denominator", "Target", "Significance") if (out[c].astype(str) == "").all()]
    return out.drop(columns=blank)


SERIES_COLUMNS = ["Period", "Value", "95% interval", "Numerator", "Denominator", "Target", "Status", "Benchmark",
                  "SPC"]


def series_table(series: pd.DataFrame, *, measure: Measure, benchmark_name: str = "Benchmark") -> pd.DataFrame:
    """A trend chart's figures as a table (its text alternative): each period's value, interval, counts,
    target, status, the benchmark and the SPC reading of the point; the whole partnership only."""
    if series.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    rows = series[series["breakdown"].fillna("") == ""] if "breakdown" in series else series
    out = pd.DataFrame({
        "Period": [plain_text.clean(p) for p in rows["period"]],
        "Value": [measure.format(None if pd.isna(v) else float(v)) for v in rows["value"]],
        "95% interval": [_interval(measure, lo, hi) for lo, hi in zip(rows["lower95"], rows["upper95"], strict=True)],
        "Numerator": [_count(v) for v in rows["numerator"]] if "numerator" in rows else "",
        "Denominator": [_count(v) for v in rows["denominator"]] if "denominator" in rows else "",
        "Target": [measure.format(float(t)) if not pd.isna(t) else "" for t in rows["target"]]
        if "target" in rows else "",
        "Status": [_status(s) if isinstance(s, str) else "" for s in rows["status"]] if "status" in rows else "",
        "Benchmark": [measure.format(float(b)) if not pd.isna(b) else "" for b in rows["benchmark"]]
        if "benchmark" in rows else "",
        "SPC": [str(p) if isinstance(p, str) else "" for p in rows["spc_point"]] if "spc_point" in rows else "",
    })
    out = out.rename(columns={"Benchmark": plain_text.clean(benchmark_name) or "Benchmark"})
    empty = [c for c in out.columns if c != "Period" and (out[c].astype(str) == "").all()]
    return out.drop(columns=empty).reset_index(drop=True)


def exception_table(report: pd.DataFrame) -> pd.DataFrame:
    """The exception report: who is red or amber, on what, by how much, and what it takes.

    Gaps are in percentage points ('pp') for proportions, as on the scorecard and in the board
    pack. The area code column is kept only when the report covers more than one partnership.
    """
    rows = []
    for _, row in report.iterrows():
        r = SimpleNamespace(**row.to_dict())
        try:
            m, name = measure(r.kpi), measure(r.kpi).name
        except UnknownMeasure:  # a local or published indicator: its own unit and polarity, at its own period
            m = reports.indicator_measure(row)
            name = f"{plain_text.clean(m.name)} ({plain_text.clean(r.period)})"
        needed = _count(r.needed)
        if m.family == "indicator" and m.unit != "count" and pd.isna(row.get("numerator")) and not pd.isna(r.needed):
            needed = f"{'fall' if m.polarity == 'down' else 'rise'} of {format_change(r.needed, m.unit).lstrip('+')}"
        level = {"": "Partnership", "provider": "Provider", "team": "Team"}[r.breakdown]
        rows.append({
            "Status": _status(r.status), "Area": plain_text.clean(getattr(r, "area_name", r.area)), "Level": level,
            "Provider or team": plain_text.clean(getattr(r, "group_name", r.group)),
            "Measure": name, "Value": m.format(None if pd.isna(r.value) else float(r.value)),
            "Target": m.format(float(r.target)), "Gap": format_change(r.gap, m.unit),
            "Cases needed": needed,
            "Provisional": "provisional" if r.provisional else "",
        })
    table = pd.DataFrame(rows, columns=["Status", "Area", "Level", "Provider or team", "Measure", "Value", "Target",
                                        "Gap", "Cases needed", "Provisional"])
    return table.drop(columns=["Area"]) if table["Area"].nunique() <= 1 else table


def plain_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell as plain text (``plain_text.clean``): a file's name
    with a right-to-left override, say, cannot show as a different name."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = [plain_text.clean(v) if isinstance(v, str) else v for v in out[column]]
    return out


def missing_fields_table(missing: pd.DataFrame) -> pd.DataFrame:
    """The fields most often missing, with column names for people and the share in percent
    (0-100), so it reads to one decimal place like every other percentage."""
    return pd.DataFrame({
        "Field": missing["field"],
        "Journeys missing it": missing["journeys missing it"],
        "Journeys in treatment": missing["journeys"],
        "Share missing": missing["share"] * 100,
    })


def _cell(v: object) -> str:
    if isinstance(v, str):
        return v
    if is_missing(v):
        return ""
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}" if round(v, 1) == v else f"{v:,.2f}"
    if isinstance(v, dt.date | pd.Timestamp):
        return f"{v.day} {v:%b %Y}"
    return str(v)


def preview_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table for download (``charts.tables.safe_table``) as it should read on screen: thousands
    separators, blank cells where there is no figure (never 'None' or 'nan'), dates in words."""
    return table.astype(object).map(_cell)
