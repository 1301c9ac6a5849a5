"""Whether the extract a measure needs was uploaded for its window: "no data" is not zero.

The TOP measures count TOPs due (from journeys) against TOPs done (from the TOPs extract), and the
criminal-justice measures come from the DIP activity extract. Without those extracts the stored
figures are zeros (no TOPs done, no activity), which would read as the worst performance when the
truth is that the file was never uploaded. This module says, at read time, how much of each
window the extract covers:

* TOPs cover a partnership from the start of the quarter holding the earliest TOPDATE of its TOP
  rows (TOPs files come quarter by quarter, and the first TOP of a quarter is rarely on its first
  day; coverage.sql says why every version counts) to the latest reporting-period end of its TOP
  uploads. None of the window
  covered: the TOP measures have no figure. Part of it: the figure stands, marked partial.
* DIP activity covers the months of the window that have at least one current DIP row for the
  partnership. No month: the criminal-justice measures have no figure; some months missing:
  partial. (A month's own row, breakdown 'month', is covered or not.)
* Measures from journeys alone are always 'full': they exist only where journeys were loaded.

The materialised ``results`` table is left as computed; :func:`with_coverage` applies this to the
rows ``metrics.reports`` reads, one query for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from loaders.store import Store
from metrics.periods import Quarter, add_months, quarters_between
from metrics.registry import MEASURES
from metrics.versioned import per_version

FULL, PARTIAL, NONE = "full", "partial", "none"
COVERAGE_FIELDS = ["coverage", "coverage_note"]

# The figures a measure has no value for when its extract covers none of the window.
FIGURE_COLUMNS = ("numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998")

# The extracts a measure needs besides journeys, by the registry's ``source``.
EXTRACT_NAMES = {
    "tops": ("TOPs", "Treatment Outcomes Profiles (TOPs) extract"),
    "dip": ("DIP activity", "Drug Interventions Programme (DIP) activity extract"),
}

_SOURCES = {m.id: m.source for m in MEASURES}

T = TypeVar("T")


@cache
def _sql() -> str:
    return Path(__file__).with_name("coverage.sql").read_text(encoding="utf-8")


def _day(v: object) -> date | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    return pd.Timestamp(v).date()  # type: ignore[arg-type]


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _months(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s to ``end``'s."""
    first = start.replace(day=1)
    count = (end.year - first.year) * 12 + end.month - first.month + 1
    return [add_months(first, k) for k in range(count)]


def _window_words(start: date, end: date) -> str:
    """'the 12 months to 31 December 2024'; a single month as 'December 2024'."""
    if (start.year, start.month) == (end.year, end.month):
        return f"{end:%B %Y}"
    return f"the {len(_months(start, end))} months to {_long(end)}"


def _runs(items: Sequence[T], follows: Callable[[T, T], bool]) -> list[tuple[T, T]]:
    """Consecutive runs of sorted items, as (first, last)."""
    runs: list[tuple[T, T]] = []
    for item in items:
        if runs and follows(runs[-1][1], item):
            runs[-1] = (runs[-1][0], item)
        else:
            runs.append((item, item))
    return runs


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def quarter_list(quarters: Sequence[Quarter]) -> str:
    """'2023-24 Q4 to 2024-25 Q2', runs of consecutive quarters joined with 'and'."""
    runs = _runs(sorted(set(quarters)), lambda last, q: last.shift(1) == q)
    return _and([str(a) if a == b else f"{a} to {b}" for a, b in runs])


def _month_list(months: Sequence[date]) -> str:
    runs = _runs(sorted(months), lambda last, m: add_months(last, 1) == m)
    return _and([f"{a:%B %Y}" if a == b else f"{a:%B %Y} to {b:%B %Y}" for a, b in runs])


def _quarters_of(start: date, end: date) -> list[Quarter]:
    return quarters_between(Quarter.containing(start), Quarter.containing(end))


def _none_note(source: str, start: date, end: date) -> str:
    short, full = EXTRACT_NAMES[source]
    return (f"No {short} extract covers {_window_words(start, end)}: upload the {full} for "
            f"{quarter_list(_quarters_of(start, end))}.")


def tops_coverage(*, start: date, end: date, first_top: date | None, last_end: date | None) -> tuple[str, str]:
    """(coverage, note) of the TOP measures over the window [start, end]."""
    if first_top is None or last_end is None:
        return NONE, _none_note("tops", start, end)
    covered_from = Quarter.containing(first_top).start
    if last_end < start or covered_from > end:
        return NONE, _none_note("tops", start, end)
    if covered_from <= start and last_end >= end:
        return FULL, ""
    lo, hi = max(start, covered_from), min(end, last_end)
    missing = [q for q in _quarters_of(start, end) if q.end < lo or q.start > hi]
    short, full = EXTRACT_NAMES["tops"]
    return PARTIAL, (f"Partial: {short} cover {_long(lo)} to {_long(hi)} of {_window_words(start, end)}; "
                     f"upload the {full} for {quarter_list(missing)} to complete it.")


def dip_coverage(*, start: date, end: date, months: Sequence[date]) -> tuple[str, str]:
    """(coverage, note) of the criminal-justice measures over the window [start, end]."""
    every = _months(start, end)
    have = {m.replace(day=1) for m in months}
    missing = [m for m in every if m not in have]
    if not missing:
        return FULL, ""
    if len(missing) == len(every):
        return NONE, _none_note("dip", start, end)
    short, full = EXTRACT_NAMES["dip"]
    quarters = sorted({Quarter.containing(m) for m in missing})
    return PARTIAL, (f"Partial: {short} for {len(every) - len(missing)} of {_window_words(start, end)}; "
                     f"none for {_month_list(missing)} (upload the {full} for {quarter_list(quarters)}).")


@per_version
def _spans(store: Store, areas: tuple[str, ...], starts: tuple[date, ...], ends: tuple[date, ...]) -> tuple:
    """How far the extracts reach into each window asked about (_sql), once per version of the data."""
    return tuple(store.rows(_sql(), {"areas": list(areas), "starts": list(starts), "ends": list(ends)}))


def coverage_of(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """For each row of figures (columns kpi, area, window_start, window_end): its ``coverage``
    ('full', 'partial' or 'none') and ``coverage_note`` ('' when full), indexed as ``rows``.

    One query answers every row: the windows are gathered first, and only the partnerships asked
    about are read.
    """
    states: list[str] = [FULL] * len(rows)
    notes: list[str] = [""] * len(rows)
    # Which rows need an extract: looked up row by row, then the frame is built once (a few rows at a
    # time, pandas' own steps cost more than the work).
    sources = [_SOURCES.get(k) for k in rows["kpi"]]
    needs = [i for i, source in enumerate(sources) if source in EXTRACT_NAMES]
    if needs:
        areas = [str(a) for a in rows["area"].take(needs)]
        starts = [_day(v) for v in rows["window_start"].take(needs)]
        ends = [_day(v) for v in rows["window_end"].take(needs)]
        found = _spans(store, tuple(areas), tuple(starts), tuple(ends))
        spans = {(area, _day(s), _day(e)): (_day(first), _day(last), [_day(m) for m in months])
                 for area, s, e, first, last, months in found}
        answers: dict[tuple[str, str, date, date], tuple[str, str]] = {}
        for i, area, start, end in zip(needs, areas, starts, ends, strict=True):
            source = sources[i]
            key = (source, area, start, end)
            if key not in answers:
                first_top, last_end, months = spans.get((area, start, end), (None, None, []))
                if source == "tops":
                    answers[key] = tops_coverage(start=start, end=end, first_top=first_top, last_end=last_end)
                else:
                    answers[key] = dip_coverage(start=start, end=end, months=months)
            states[i], notes[i] = answers[key]
    return pd.DataFrame({"coverage": states, "coverage_note": notes}, index=rows.index, dtype=object)


def with_coverage(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with ``coverage`` and ``coverage_note`` added, and where the extract a measure needs
    covers none of the window, its figures (counts, value, limits) emptied: "no data", not zero."""
    rows = rows.copy()
    found = coverage_of(store, rows)
    rows["coverage"] = found["coverage"]
    rows["coverage_note"] = found["coverage_note"]
    empty = (found["coverage"] == NONE).to_numpy()
    if empty.any():
        for column in FIGURE_COLUMNS:
            if column in rows:
                rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
                rows.loc[empty, column] = np.nan
    return rows


def notes(frame: pd.DataFrame) -> list[str]:
    """The distinct coverage notes of a frame of figures, in order: what a caption under a table says."""
    if frame.empty or "coverage_note" not in frame:
        return []
    return [n for n in dict.fromkeys(frame["coverage_note"].fillna("").astype(str)) if n]


def caption(frame: pd.DataFrame) -> str:
    """The notes of :func:`notes` as one line under a table or chart ('' when every figure is whole).

    Built only from dates, quarter labels and fixed words, never from a file's text, so it is safe
    to show as Markdown."""
    return " ".join(notes(frame))
