"""Tables of figures for export (CSV and Excel), made safe to publish.

The figures describe people in drug and alcohol treatment, so every exported table applies
statistical disclosure control, and every text cell is made inert before a spreadsheet sees it.

Disclosure control (the usual NHS / OHID small-number rule):

* Primary suppression: a count from 1 to 4 is shown as ``*``. A true zero is shown: it is not
  disclosive. (Counts should be whole numbers; any count strictly between 0 and 5 is treated
  as small, so a fractional count cannot slip through.)
* Every rate, proportion or interval built on a suppressed count in the same row is ``*`` too
  (``value``, ``lower95``, ``upper95``, ``lower998``, ``upper998`` and, when present, ``gap``
  and ``needed``, which give the value or the numerator away).
* Secondary suppression, so that no ``*`` can be worked out by subtraction. In a frame of
  figures (``metrics.reports`` columns) the rows of one breakdown (e.g. every ethnic group) for
  one measure, area and quarter sum to, or are bounded by, the whole-partnership figure (the
  row with breakdown ``''``). Numerator and denominator are handled separately. When exactly
  one group in such a set is suppressed, the next smallest non-zero group is suppressed as
  well, repeated until every set with any suppression has at least two suppressed groups. When
  no non-zero group is left to hide, the hidden group is the only non-zero one: if the groups
  add up to the total, the total equals it and is suppressed; if they fall short of it (groups
  left out), subtraction gives only a bound, and the total is left alone, because hiding it
  would not help (another breakdown of the same people would give it back). Two suppressed
  groups are required even when the total is suppressed, because the whole-partnership figure
  is published elsewhere (the scorecard) and can often be rebuilt from another breakdown. For
  the same reason a breakdown is protected even when its total row is not in the frame.
* For a plain 2-D table with a total row and a total column (:func:`suppress_grid`): the
  standard iterative row-and-column rule (no row or column, totals included, has exactly one
  suppressed cell), followed by a check that no suppressed cell can be rebuilt by combining
  several rows and columns (a suppressed cell on no cycle of suppressed cells), which the
  row-and-column rule alone misses.

Not covered here, and worth knowing: differencing overlapping rolling 12-month windows from one
quarter to the next, nested breakdowns (teams within providers), and SPC means over a series
that includes a suppressed quarter; and any hand-made export bypassing this module writes unsuppressed
counts, so downloads for people should come from this module.

Export choices: :func:`figures_table` rounds for people (percentages to one decimal place,
rates to two, counts as whole numbers, intervals of counts to one decimal place) and says the
unit in a ``Unit`` column, so one table can hold measures of different units; the CSV and the
Excel file carry the same rounded numbers as the screen (full precision stays with the
command line). The CSV is UTF-8 with a byte-order mark (so Excel shows names correctly), with
the note in a final ``Note`` column on every row, so the file stays one rectangular table that
survives sorting and filtering. The Excel sheet has the title, the note under it, the table
with a styled, frozen, filterable header, numbers stored as numbers and no formula cells.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from charts import plain_text
from charts.theme import DARK_BLUE, TEXT
from loaders.formulas import neutralise
from metrics.registry import BREAKDOWN_LABELS, Measure, UnknownMeasure
from metrics.registry import measure as registered_measure
from metrics.targets import STATUS_WORDS

SUPPRESSED = "*"
COUNT_COLUMNS = ("numerator", "denominator")
RATE_COLUMNS = ("value", "lower95", "upper95", "lower998", "upper998", "gap", "needed")
# The columns that name one measure, area and quarter: the rows of a breakdown within them add up.
BLOCK_COLUMNS = ("kpi", "area", "period", "window_start", "window_end", "month")

SUPPRESSION_NOTE = (
    "Counts of 1 to 4 are shown as *, and other cells are shown as * where they could otherwise be worked "
    "out from totals; rates and intervals built on a suppressed count are shown as * too. Figures are for "
    "the rolling 12 months to the end of each quarter."
)

FIGURES_COLUMNS = [
    "Measure", "Area", "Area name", "Breakdown", "Group", "Period", "Window start", "Window end", "Numerator", "Denominator",
    "Value", "Lower 95%", "Upper 95%", "Unit", "Status", "Target", "Provisional", "Coverage",
]
NOTE_COLUMN = "Note"
UNIT_WORDS = {"proportion": "%", "rate": "ratio", "count": "count"}

_IDENTIFIER = re.compile(
    r"(?:^|_)(?:client|patient|person|service_?user|nhs)_?"
    r"(?:id|ids|key|keys|ref|reference|number|no|code|identifier)(?:_|$)"
)


class ClientIdentifierError(ValueError):
    """A table about to be exported has a column that looks like a client identifier."""


class UnsuppressedCounts(ValueError):
    """A table about to be exported shows counts of 1 to 4: it has not been through suppression."""


# --- formula injection -------------------------------------------------------------------------------


def _is_text_column(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype | pd.CategoricalDtype)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, column name and index label made inert."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _is_text_column(column):
            # Built by hand: Series.map would re-infer the dtype and turn numbers into numpy scalars.
            out.isetitem(position, pd.Series([neutralise(v) for v in column], index=out.index, dtype=object))
    out.columns = pd.Index([neutralise(c) for c in out.columns], dtype=object)
    if _is_text_column(out.index.to_series()):
        out.index = pd.Index([neutralise(v) for v in out.index], dtype=object, name=out.index.name)
    return out


# --- client identifiers ------------------------------------------------------------------------------


def _snake(name: object) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def check_no_client_identifiers(columns: Iterable[object]) -> None:
    """Raise :class:`ClientIdentifierError` when a column is named like a client identifier
    (``clientid``, ``client_key``, ``ClientRef``, ``nhs_number`` and the like)."""
    found = [str(c) for c in columns if _IDENTIFIER.search(_snake(c))]
    if found:
        raise ClientIdentifierError(
            f"This table has client identifiers ({', '.join(found)}); they are never exported. "
            "Export figures only."
        )


# --- suppression -------------------------------------------------------------------------------------


def _small(values: np.ndarray, low: int, high: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (values > low - 1) & (values < high + 1)


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The column as floats (NaN where missing), and where it already holds a ``*``."""
    starred = column.map(lambda v: isinstance(v, str) and v.strip() == SUPPRESSED).to_numpy(dtype=bool)
    values = pd.to_numeric(column.where(~starred), errors="coerce").to_numpy(dtype=float)
    return values, starred


def _check_thresholds(low: int, high: int) -> None:
    if not 1 <= low <= high:
        raise ValueError("The suppression thresholds must satisfy 1 <= threshold_low <= threshold_high.")


def _text(series: pd.Series) -> np.ndarray:
    return np.array(["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in series],
                    dtype=object)


def _linked_sets(frame: pd.DataFrame, total_row_label: str | None,
                 block_columns: Sequence[str]) -> list[tuple[np.ndarray, int | None]]:
    """Each set of rows that adds up to (or is bounded by) a total row: (member positions, total
    position or None when the total is not in the frame)."""
    n = len(frame)
    keys = [c for c in block_columns if c in frame.columns]
    if keys:
        blocks = frame[keys].astype(object).fillna("").astype(str).groupby(keys, sort=False).ngroup().to_numpy()
    else:
        blocks = np.zeros(n, dtype=int)
    breakdown = _text(frame["breakdown"]) if "breakdown" in frame.columns else np.full(n, "", dtype=object)
    group = _text(frame["group"]) if "group" in frame.columns else np.full(n, "", dtype=object)
    labelled = (group == total_row_label) if total_row_label is not None else np.zeros(n, dtype=bool)

    sets: list[tuple[np.ndarray, int | None]] = []
    for block in pd.unique(blocks):
        rows = np.flatnonzero(blocks == block)
        whole = rows[breakdown[rows] == ""]
        whole_labelled = whole[labelled[whole]]
        if len(whole_labelled) > 1:
            raise ValueError(f"Two rows labelled '{total_row_label}' for the same measure, area and quarter.")
        partnership = (int(whole_labelled[0]) if len(whole_labelled) else
                       int(whole[0]) if len(whole) == 1 else None)
        for b in pd.unique(breakdown[rows]):
            part = rows[breakdown[rows] == b]
            totals = part[labelled[part]]
            if len(totals) > 1:
                raise ValueError(f"Two rows labelled '{total_row_label}' in breakdown '{b}'.")
            if len(totals):
                sets.append((part[~labelled[part]], int(totals[0])))
            elif b != "":
                sets.append((part, partnership))
            else:
                continue  # whole-partnership rows with no labelled total are totals, not members
            repeated = pd.Series(group[sets[-1][0]]).duplicated()
            if repeated.any():
                # Rows of different months or quarters mixed in one set would let one suppressed
                # cell per quarter through: refuse rather than under-protect.
                raise ValueError(
                    f"Group '{group[sets[-1][0]][repeated.to_numpy()][0]}' of breakdown '{b}' appears twice for "
                    "the same measure, area and quarter; pass block_columns naming the column that tells the "
                    "rows apart.")
    return [(members, total) for members, total in sets if len(members)]


def _protect_sets(values: np.ndarray, hidden: np.ndarray, sets: Sequence[tuple[np.ndarray, int | None]]) -> None:
    """Secondary suppression within sets that add up to a total (``hidden`` is updated in place)."""
    changed = True
    while changed:
        changed = False
        for members, total in sets:
            if hidden[members].sum() != 1:
                continue
            with np.errstate(invalid="ignore"):
                candidates = members[~hidden[members] & (values[members] > 0)]
            if len(candidates):
                hidden[candidates[np.argmin(values[candidates])]] = True
                changed = True
            elif total is not None and not hidden[total] and np.nansum(values[members]) == values[total]:
                # Only reachable when the hidden group is the whole (small) total. When the groups
                # fall short of the total, subtraction gives a bound, not the figure, and hiding the
                # total would not help: another breakdown would give it away.
                hidden[total] = True
                changed = True


def suppression_mask(frame: pd.DataFrame, *, count_columns: Sequence[str], rate_columns: Sequence[str],
                     total_row_label: str | None = None, threshold_low: int = 1, threshold_high: int = 4,
                     block_columns: Sequence[str] = BLOCK_COLUMNS) -> pd.DataFrame:
    """Which cells :func:`suppress` hides: a boolean frame over ``count_columns + rate_columns``."""
    _check_thresholds(threshold_low, threshold_high)
    missing = [c for c in (*count_columns, *rate_columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"The table has no column(s) {', '.join(missing)} to suppress.")
    sets = _linked_sets(frame, total_row_label, block_columns)
    mask = pd.DataFrame(False, index=frame.index, columns=list(dict.fromkeys([*count_columns, *rate_columns])))
    row_hidden = np.zeros(len(frame), dtype=bool)
    for column in count_columns:
        values, starred = _numbers(frame[column])
        hidden = starred | _small(values, threshold_low, threshold_high)
        _protect_sets(values, hidden, sets)
        mask[column] = hidden
        row_hidden |= hidden
    for column in rate_columns:
        values, starred = _numbers(frame[column])
        mask[column] = mask[column].to_numpy(dtype=bool) | starred | (row_hidden & ~np.isnan(values))
    return mask


def _apply(frame: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in mask.columns:
        hidden = mask[column].to_numpy(dtype=bool)
        if hidden.any():
            values = out[column].astype(object).to_numpy(copy=True)
            values[hidden] = SUPPRESSED
            out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


# What a chart draws from a row of figures: hidden together when the row's counts are small.
_CHART_FIGURES = ("value", "lower95", "upper95", "lower998", "upper998", "gap", "needed", "funnel_lower95",
                  "funnel_upper95", "funnel_lower998", "funnel_upper998")
HIDDEN_COLUMN = "hidden_small"  # set by hide_small on the rows it blanked
CHART_HIDDEN_NOTE = "Figures based on 1 to 4 people, or that would give such a figure away, are not shown."
CHART_ALL_HIDDEN = "Every figure here is based on 1 to 4 people<br>(or would give one away), so none is shown"


def hide_small(frame: pd.DataFrame, *, block_columns: Sequence[str] = BLOCK_COLUMNS) -> tuple[pd.DataFrame, bool]:
    """A frame of figures (``metrics.reports`` columns) made safe to draw in an exported chart.

    The rows :func:`suppress` would star (small counts, with the secondary suppression of a
    breakdown) keep their labels but lose every number a chart draws: counts, value, intervals,
    gap, funnel limits. Returns the frame and whether anything was hidden.
    """
    counts = [c for c in ("numerator", "denominator") if c in frame.columns]
    if frame.empty or not counts:
        return frame, False
    mask = suppression_mask(frame, count_columns=counts, rate_columns=[c for c in ("value",) if c in frame.columns],
                            block_columns=block_columns)
    hidden = mask.any(axis=1).to_numpy(dtype=bool)
    if not hidden.any():
        return frame, False
    out = frame.copy()
    for column in (*counts, *(c for c in _CHART_FIGURES if c in out.columns)):
        out[column] = pd.to_numeric(out[column], errors="coerce").mask(hidden)
    out[HIDDEN_COLUMN] = hidden
    return out, True


def suppress(frame: pd.DataFrame, *, count_columns: Sequence[str], rate_columns: Sequence[str],
             total_row_label: str | None = None, threshold_low: int = 1, threshold_high: int = 4,
             block_columns: Sequence[str] = BLOCK_COLUMNS) -> pd.DataFrame:
    """A copy of ``frame`` with small counts, and the cells that would give them away, shown as ``*``.

    ``count_columns`` hold counts of people; ``rate_columns`` hold figures built on a row's counts
    and are hidden wherever a count in the row is. Rows of one breakdown for the same measure,
    area and quarter (the ``block_columns`` the frame has) are protected against the whole-partnership row
    (breakdown ``''``); with ``total_row_label``, the row whose ``group`` has that label is the
    total of the other rows of its breakdown instead. Suppressed columns become object columns
    holding numbers and ``*``; everything else is unchanged. See the module notes for the rules.
    """
    mask = suppression_mask(frame, count_columns=count_columns, rate_columns=rate_columns,
                            total_row_label=total_row_label, threshold_low=threshold_low,
                            threshold_high=threshold_high, block_columns=block_columns)
    return _apply(frame, mask)


def _component(hidden: np.ndarray, start: tuple[str, int], without: tuple[int, int]) -> tuple[set[int], set[int]]:
    """The rows and columns joined to ``start`` through suppressed cells, leaving out one cell."""
    rows: set[int] = set()
    cols: set[int] = set()
    (rows if start[0] == "r" else cols).add(start[1])
    queue = [start]
    while queue:
        kind, k = queue.pop()
        if kind == "c":
            for i in map(int, np.flatnonzero(hidden[:, k])):
                if (i, k) != without and i not in rows:
                    rows.add(i)
                    queue.append(("r", i))
        else:
            for j in map(int, np.flatnonzero(hidden[k, :])):
                if (k, j) != without and j not in cols:
                    cols.add(j)
                    queue.append(("c", j))
    return rows, cols


def _bridge(hidden: np.ndarray, skip: set[tuple[int, int]]) -> tuple[tuple[int, int], set[int], set[int]] | None:
    """A suppressed cell on no cycle of suppressed cells, which the row and column totals give
    away, with the rows on its column's side and the columns on its row's side once it is
    taken away (a cell joining the two closes a cycle through it)."""
    for i0, j0 in zip(*np.nonzero(hidden), strict=True):
        cell = (int(i0), int(j0))
        if cell in skip:
            continue
        far_rows, _ = _component(hidden, ("c", cell[1]), cell)
        if cell[0] in far_rows:
            continue
        _, near_cols = _component(hidden, ("r", cell[0]), cell)
        return cell, far_rows, near_cols
    return None


def _pick(values: np.ndarray, hidden: np.ndarray, cells: Iterable[tuple[int, int]]) -> tuple[int, int] | None:
    """The cell to suppress next: the smallest non-zero, else a zero, never a missing one."""
    best: tuple[int, int] | None = None
    best_key: tuple[bool, float] | None = None
    for i, j in cells:
        v = values[i, j]
        if hidden[i, j] or math.isnan(v):
            continue
        key = (v == 0, float(v))
        if best_key is None or key < best_key:
            best, best_key = (i, j), key
    return best


def grid_suppression_mask(grid: pd.DataFrame, *, threshold_low: int = 1, threshold_high: int = 4,
                          total_label: object = "Total") -> pd.DataFrame:
    """Which cells :func:`suppress_grid` hides, as a boolean frame shaped like ``grid``."""
    _check_thresholds(threshold_low, threshold_high)
    if total_label not in grid.index or total_label not in grid.columns:
        raise ValueError(f"The table needs a total row and a total column labelled '{total_label}'.")
    if not grid.index.is_unique or not grid.columns.is_unique:
        raise ValueError("The table's row and column labels must be unique.")
    values = grid.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    starred = grid.map(lambda v: isinstance(v, str) and v.strip() == SUPPRESSED).to_numpy(dtype=bool)
    hidden = starred | _small(values, threshold_low, threshold_high)
    ti, tj = grid.index.get_loc(total_label), grid.columns.get_loc(total_label)
    n_rows, n_cols = values.shape
    lines = [([(i, j) for j in range(n_cols)], (i, tj)) for i in range(n_rows)]
    lines += [([(i, j) for i in range(n_rows)], (ti, j)) for j in range(n_cols)]
    unfixable: set[tuple[int, int]] = set()
    while True:
        changed = True
        while changed:  # the standard rule: no row or column with exactly one suppressed cell
            changed = False
            for cells, total in lines:
                if sum(hidden[c] for c in cells) != 1:
                    continue
                members = [c for c in cells if c != total and values[c] > 0]
                pick = _pick(values, hidden, members) or _pick(values, hidden, [total])
                if pick is not None:
                    hidden[pick] = True
                    changed = True
        found = _bridge(hidden, unfixable)
        if found is None:
            break
        cell, far_rows, near_cols = found
        pick = _pick(values, hidden, [(i, j) for i in sorted(far_rows) for j in sorted(near_cols)])
        if pick is None:
            unfixable.add(cell)
        else:
            hidden[pick] = True
    return pd.DataFrame(hidden, index=grid.index, columns=grid.columns)


def suppress_grid(grid: pd.DataFrame, *, threshold_low: int = 1, threshold_high: int = 4,
                  total_label: object = "Total") -> pd.DataFrame:
    """A rows-by-columns table of counts with a total row and a total column (both labelled
    ``total_label``, e.g. ``pivot_table(..., margins=True, margins_name="Total")``), with counts
    of 1 to 4 and every cell that would give one away shown as ``*``."""
    mask = grid_suppression_mask(grid, threshold_low=threshold_low, threshold_high=threshold_high,
                                 total_label=total_label)
    return grid.astype(object).mask(mask, SUPPRESSED)


# --- the export table --------------------------------------------------------------------------------


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float | np.floating) and math.isnan(v))


def round_figure(v: object, unit: str, *, interval: bool = False) -> object:
    """A figure as people read it: percentages to 1 dp (a proportion 0-1 as a percentage), rates to 2 dp,
    counts whole; '*' (suppressed) and other text kept, missing as None."""
    if isinstance(v, str) or _missing(v):
        return None if _missing(v) else v
    x = float(v)  # type: ignore[arg-type]
    if unit == "proportion":
        return round(x * 100, 1)
    if unit == "percent":
        return round(x, 1)
    if unit == "rate":
        return round(x, 2)
    if unit == "count":
        return round(x, 1) if interval else int(round(x))
    return float(f"{x:.4g}")  # an uploaded indicator: four significant figures, in its own unit


def count_figure(v: object) -> object:
    """A count as a whole number where it is one; '*' and other text kept, missing as None."""
    if isinstance(v, str) or _missing(v):
        return None if _missing(v) else v
    x = float(v)  # type: ignore[arg-type]
    return int(x) if x.is_integer() else x


def _date(v: object) -> dt.date | None:
    if _missing(v) or v == "":
        return None
    return pd.Timestamp(v).date()  # type: ignore[arg-type]


def _resolve(measure: Measure | str | None) -> Measure | None:
    if measure is None or isinstance(measure, Measure):
        return measure
    return registered_measure(measure)


def figures_table(frame: pd.DataFrame, *, measure: Measure | str | None = None) -> pd.DataFrame:
    """A tidy table of figures (from ``metrics.reports``) for people to download: suppressed,
    rounded, labelled, and safe to open in a spreadsheet.

    Columns: ``FIGURES_COLUMNS``. Values and targets are in the unit the ``Unit`` column names
    (``%`` for proportions, shown as percentages to one decimal place). ``measure`` sets the
    unit and name for every row; without it each row's ``kpi`` is looked up in the registry,
    and an uploaded indicator keeps its own unit. ``Coverage`` carries the row's coverage note
    (``metrics.coverage``): blank when the extracts the measure needs cover its whole window,
    else what they cover, or that none was uploaded and which to upload (the figure is then empty).
    """
    check_no_client_identifiers(frame.columns)
    fixed = _resolve(measure)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FIGURES_COLUMNS})
    counts = [c for c in COUNT_COLUMNS if c in frame.columns]
    rates = [c for c in RATE_COLUMNS if c in frame.columns]
    safe = suppress(frame, count_columns=counts, rate_columns=rates)
    rows = []
    for record in safe.to_dict("records"):
        m = fixed
        if m is None:
            try:
                m = registered_measure(str(record.get("kpi", "")))
            except UnknownMeasure:
                m = None
        unit = m.unit if m is not None else "uploaded"
        name = record.get("name")
        breakdown = "" if _missing(record.get("breakdown")) else str(record.get("breakdown"))
        group = "" if _missing(record.get("group")) else str(record.get("group"))
        if group and not _missing(record.get("group_name")) and record.get("group_name"):
            group = str(record.get("group_name"))  # a provider or team by its name, with its code
        status = record.get("status")
        provisional = record.get("provisional")
        uploaded_unit = record.get("unit")
        rows.append({
            "Measure": m.name if m is not None else (name if isinstance(name, str) and name else record.get("kpi")),
            "Area": record.get("area"),
            "Area name": plain_text.clean(record.get("area_name") or record.get("area") or ""),
            "Breakdown": BREAKDOWN_LABELS.get(breakdown, breakdown.replace("_", " ").capitalize()) if breakdown
            else "Partnership",
            "Group": group or "All",
            "Period": record.get("period"),
            "Window start": _date(record.get("window_start")),
            "Window end": _date(record.get("window_end")),
            "Numerator": count_figure(record.get("numerator")),
            "Denominator": count_figure(record.get("denominator")),
            "Value": round_figure(record.get("value"), unit),
            "Lower 95%": round_figure(record.get("lower95"), unit, interval=True),
            "Upper 95%": round_figure(record.get("upper95"), unit, interval=True),
            "Unit": UNIT_WORDS.get(unit, "" if _missing(uploaded_unit) else str(uploaded_unit)),
            "Status": STATUS_WORDS.get(status, "") if isinstance(status, str) else "",
            "Target": round_figure(record.get("target"), unit),
            "Provisional": "" if _missing(provisional) else ("Yes" if bool(provisional) else "No"),
            # Where the extract a measure needs covers none or part of the window: which, and what to upload.
            "Coverage": "" if _missing(record.get("coverage_note")) else str(record.get("coverage_note")),
        })
    table = pd.DataFrame(rows, columns=FIGURES_COLUMNS).astype(object)
    return neutralise_frame(table)


# --- writers -----------------------------------------------------------------------------------------


def _check_exportable(table: pd.DataFrame) -> None:
    check_no_client_identifiers(table.columns)
    for column in table.columns:
        if _snake(column) in ("numerator", "denominator"):
            values, _ = _numbers(table[column])
            if _small(values, 1, 4).any():
                raise UnsuppressedCounts(
                    f"The column '{column}' shows counts of 1 to 4; apply suppression before exporting.")


def to_csv_bytes(table: pd.DataFrame, *, note: str = SUPPRESSION_NOTE) -> bytes:
    """The table as CSV (UTF-8 with a byte-order mark, CRLF line ends), the note in a final
    ``Note`` column on every row, every text cell made inert."""
    _check_exportable(table)
    if NOTE_COLUMN in table.columns:
        raise ValueError(f"The table already has a '{NOTE_COLUMN}' column.")
    out = neutralise_frame(table).reset_index(drop=True)
    if out.empty:
        out = pd.DataFrame([[None] * out.shape[1]], columns=out.columns, dtype=object)
    out[NOTE_COLUMN] = neutralise(note)
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _cell_value(v: object) -> object:
    if _missing(v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", v))
    if isinstance(v, bool | int | float | dt.date | dt.datetime):
        return v
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(v)))


def _display_width(v: object) -> int:
    if v is None:
        return 0
    if isinstance(v, float):
        return len(f"{v:,}")
    if isinstance(v, int) and not isinstance(v, bool):
        return len(f"{v:,}")
    if isinstance(v, dt.date):
        return 10
    return max((len(line) for line in str(v).splitlines()), default=0)


def to_xlsx_bytes(table: pd.DataFrame, *, title: str, note: str = SUPPRESSION_NOTE) -> bytes:
    """The table as an Excel workbook: the title, the note, then the table under a styled, frozen
    header; numbers stored as numbers, dates as dates, no formula anywhere."""
    _check_exportable(table)
    out = neutralise_frame(table).reset_index(drop=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Figures"
    wb.properties.title = _cell_value(title)  # type: ignore[assignment]
    wb.properties.creator = "Drug and alcohol treatment dashboard"

    ws.cell(row=1, column=1, value=_cell_value(title)).font = Font(bold=True, size=14, color=TEXT[1:])
    ws.cell(row=2, column=1, value=_cell_value(note)).font = Font(italic=True, color=TEXT[1:])
    header_row = 4
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=DARK_BLUE[1:])
    header_border = Border(bottom=Side(style="thin", color=TEXT[1:]))
    widths = []
    for j, name in enumerate(out.columns, start=1):
        cell = ws.cell(row=header_row, column=j, value=_cell_value(name))
        cell.font, cell.fill, cell.border = header_font, header_fill, header_border
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        widths.append(_display_width(cell.value))
    right = Alignment(horizontal="right")
    for i, record in enumerate(out.itertuples(index=False, name=None), start=header_row + 1):
        for j, raw in enumerate(record, start=1):
            value = _cell_value(raw)
            cell = ws.cell(row=i, column=j, value=value)
            if isinstance(value, bool):
                pass
            elif isinstance(value, int):
                cell.number_format = "#,##0"
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif value == SUPPRESSED:
                cell.alignment = right
            widths[j - 1] = max(widths[j - 1], _display_width(value))
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 50)

    last_row = header_row + max(len(out), 0)
    if len(out.columns):
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(out.columns))}{last_row}"
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    # Belt and braces: a formula cell can only come from text that escaped neutralise().
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                raise ValueError(f"Refusing to write a formula in cell {cell.coordinate}.")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def safe_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Any table a page offers for download, made safe to share.

    Tables of figures (with a ``kpi`` column) go through :func:`figures_table`; other tables
    (e.g. counts of missing fields) have their count columns suppressed (the writers
    neutralise text).
    """
    if "kpi" in frame.columns:
        return figures_table(frame)
    counts = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
    return suppress(frame, count_columns=counts, rate_columns=[c for c in frame.columns if c == "share"],
                    block_columns=())
