"""Exported tables: small counts hidden so nobody can be identified, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charts import tables
from charts.tables import (
    FIGURES_COLUMNS,
    SUPPRESSED,
    SUPPRESSION_NOTE,
    ClientIdentifierError,
    UnsuppressedCounts,
    check_no_client_identifiers,
    figures_table,
    grid_suppression_mask,
    neutralise,
    neutralise_frame,
    suppress,
    suppress_grid,
    suppression_mask,
    to_csv_bytes,
    to_xlsx_bytes,
)
from loaders.formulas import FORMULA_TRIGGERS
from tests.charts import sample_frames as sf

COUNTS = ["numerator", "denominator"]
RATES = ["value", "lower95", "upper95", "lower998", "upper998"]
PAYLOADS = [
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x","y")', "-2+3",
    "=cmd|'/c calc'!A1", " =1+1", "\n=1+1", "\x01=1+1", "\uff1dSUM(A1)", "+44 20 7946 0000",
]


def _visible(text: str) -> str:
    return text.lstrip("".join(chr(c) for c in range(33)))


def _inert(value: object) -> bool:
    """Whether a spreadsheet would take the value as text (or a plain number), never a formula."""
    return not isinstance(value, str) or not (value.startswith(FORMULA_TRIGGERS)
                                              or _visible(value).startswith(FORMULA_TRIGGERS))


def _figures(groups: dict[str, tuple[float, float | None]], *, breakdown: str = "sex", total: bool = True,
             kpi: str = "effective_treatment_rate", period: str = "2025-26 Q4") -> pd.DataFrame:
    """A frame shaped like ``metrics.reports`` rows: the partnership total first, then the groups."""
    rows = []
    if total:
        n = sum(v[0] for v in groups.values())
        d = None if any(v[1] is None for v in groups.values()) else sum(v[1] for v in groups.values())
        rows.append(("", "", n, d))
    rows += [(breakdown, g, n, d) for g, (n, d) in groups.items()]
    out = []
    for b, g, n, d in rows:
        value = n if d is None else (n / d if d else np.nan)
        out.append({"kpi": kpi, "name": None, "area": "E99000001", "breakdown": b, "group": g, "period": period,
                    "window_start": "2025-04-01", "window_end": "2026-03-31", "numerator": float(n),
                    "denominator": np.nan if d is None else float(d), "value": value, "lower95": value * 0.9,
                    "upper95": value * 1.1, "lower998": value * 0.8, "upper998": value * 1.2,
                    "provisional": False, "target": 0.8, "status": "red"})
    return pd.DataFrame(out)


def _rows(frame: pd.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(frame["group"], frame[column], strict=True))


# --- primary and secondary suppression: exact examples ---------------------------------------------------


def test_one_small_group_gets_the_next_smallest_group_suppressed_too() -> None:
    frame = _figures({"Female": (3, 10), "Male": (40, 80), "Other": (7, 10)})
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    # 3 is small; 7 is the next smallest non-zero group, so 50 - 40 cannot give the 3 away.
    assert _rows(out, "numerator") == {"": 50.0, "Female": SUPPRESSED, "Male": 40.0, "Other": SUPPRESSED}
    assert _rows(out, "denominator") == {"": 100.0, "Female": 10.0, "Male": 80.0, "Other": 10.0}
    for column in RATES:
        assert _rows(out, column)["Female"] == SUPPRESSED and _rows(out, column)["Other"] == SUPPRESSED
        assert _rows(out, column)["Male"] == pytest.approx(frame[column].iloc[2])
        assert _rows(out, column)[""] == pytest.approx(frame[column].iloc[0])
    assert list(out["status"]) == list(frame["status"]) and list(out["group"]) == list(frame["group"])


def test_zeros_are_shown_and_never_chosen_as_the_second_cell() -> None:
    frame = _figures({"A": (0, 20), "B": (2, 30), "C": (30, 60), "D": (12, 40)})
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    assert _rows(out, "numerator") == {"": 44.0, "A": 0.0, "B": SUPPRESSED, "C": 30.0, "D": SUPPRESSED}
    assert _rows(out, "value")["A"] == 0.0


def test_rates_on_a_suppressed_denominator_are_starred_even_with_a_zero_numerator() -> None:
    frame = _figures({"A": (0, 3), "B": (10, 30), "C": (20, 40)})
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    assert _rows(out, "numerator")["A"] == 0.0
    assert _rows(out, "denominator") == {"": 73.0, "A": SUPPRESSED, "B": SUPPRESSED, "C": 40.0}
    row = out[out["group"] == "A"].iloc[0]
    assert all(row[c] == SUPPRESSED for c in RATES)
    row_b = out[out["group"] == "B"].iloc[0]
    assert row_b["numerator"] == 10.0 and all(row_b[c] == SUPPRESSED for c in RATES)


def test_counts_of_five_are_shown_and_a_count_measure_hides_its_value() -> None:
    frame = _figures({"A": (4, None), "B": (5, None), "C": (5, None)}, kpi="in_treatment")
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    assert _rows(out, "numerator") == {"": 14.0, "A": SUPPRESSED, "B": SUPPRESSED, "C": 5.0}
    assert _rows(out, "value") == {"": 14.0, "A": SUPPRESSED, "B": SUPPRESSED, "C": 5.0}
    assert pd.isna(_rows(out, "denominator")["A"])  # nothing to hide: stays missing


def test_a_lone_group_short_of_the_total_leaves_the_total_shown() -> None:
    # Only some ethnic groups are listed, so they fall short of the partnership total: 50 - 0
    # bounds the 3 but does not give it away, and hiding the 50 would not help (the sex
    # breakdown adds up to it).
    frame = _figures({"Mixed": (3, 30), "Chinese": (0, 10)}, breakdown="ethnic_group")
    frame.loc[0, ["numerator", "denominator"]] = [50.0, 200.0]
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    assert _rows(out, "numerator") == {"": 50.0, "Mixed": SUPPRESSED, "Chinese": 0.0}
    assert _rows(out, "denominator") == {"": 200.0, "Mixed": 30.0, "Chinese": 10.0}


def test_a_small_total_is_hidden_with_its_groups() -> None:
    frame = _figures({"A": (0, 10), "B": (3, 10)})
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    assert _rows(out, "numerator") == {"": SUPPRESSED, "A": 0.0, "B": SUPPRESSED}


def test_breakdowns_without_their_total_row_are_still_protected() -> None:
    # The partnership figure is on the scorecard, so a breakdown table alone still needs two stars.
    frame = _figures({"A": (3, 10), "B": (30, 60), "C": (9, 20)}, total=False)
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    assert _rows(out, "numerator") == {"A": SUPPRESSED, "B": 30.0, "C": SUPPRESSED}


def test_each_quarter_and_each_breakdown_is_protected_on_its_own() -> None:
    frame = pd.concat([
        _figures({"A": (3, 10), "B": (30, 60), "C": (9, 20)}, period="2025-26 Q3"),
        _figures({"A": (8, 10), "B": (30, 60), "C": (9, 20)}, period="2025-26 Q4"),
        _figures({"18-29": (2, 10), "30+": (40, 80)}, breakdown="age_band", period="2025-26 Q4").iloc[1:],
    ], ignore_index=True)
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    assert list(out["numerator"]) == [42.0, SUPPRESSED, 30.0, SUPPRESSED, 47.0, 8.0, 30.0, 9.0, SUPPRESSED,
                                      SUPPRESSED]


def test_an_explicit_total_row_label() -> None:
    frame = _figures({"A": (3, 10), "B": (30, 60), "C": (9, 20)}, total=False)
    total = frame.iloc[[0]].assign(group="Total", numerator=42.0, denominator=90.0)
    frame = pd.concat([frame, total], ignore_index=True)
    out = suppress(frame, count_columns=COUNTS, rate_columns=RATES, total_row_label="Total")
    assert _rows(out, "numerator") == {"A": SUPPRESSED, "B": 30.0, "C": SUPPRESSED, "Total": 42.0}


def test_suppressing_twice_changes_nothing() -> None:
    frame = _figures({"A": (3, 10), "B": (30, 60), "C": (9, 20), "D": (0, 4)})
    once = suppress(frame, count_columns=COUNTS, rate_columns=RATES)
    twice = suppress(once, count_columns=COUNTS, rate_columns=RATES)
    pd.testing.assert_frame_equal(once, twice)


def test_mixed_up_quarters_are_refused_rather_than_under_protected() -> None:
    frame = pd.concat([_figures({"A": (3, 10), "B": (30, 60)}), _figures({"A": (8, 10), "B": (3, 60)})])
    with pytest.raises(ValueError, match="appears twice"):
        suppress(frame.drop(columns=["period", "window_start", "window_end"]), count_columns=COUNTS,
                 rate_columns=RATES)
    with pytest.raises(ValueError, match="no column"):
        suppress(frame, count_columns=["people"], rate_columns=RATES)
    with pytest.raises(ValueError, match="threshold"):
        suppress(frame, count_columns=COUNTS, rate_columns=RATES, threshold_low=0)


def test_monthly_suite_figures_are_protected_month_by_month() -> None:
    frame = sf.monthly_frame()
    frame.loc[0, "numerator"] = 3.0  # Northvale Central, first month
    out = suppress(frame, count_columns=COUNTS, rate_columns=["value"])
    first = out[out["month"] == frame.loc[0, "month"]]
    assert (first["numerator"] == SUPPRESSED).sum() == 2
    assert (out["numerator"] == SUPPRESSED).sum() == 2


# --- the 2-D table ---------------------------------------------------------------------------------------


def _with_totals(cells: list[list[int]]) -> pd.DataFrame:
    grid = pd.DataFrame(cells, index=[f"r{i}" for i in range(len(cells))],
                        columns=[f"c{j}" for j in range(len(cells[0]))])
    grid["Total"] = grid.sum(axis=1)
    grid.loc["Total"] = grid.sum()
    return grid


def test_grid_row_and_column_secondary_suppression() -> None:
    grid = _with_totals([[10, 3, 20], [15, 12, 9], [8, 7, 30]])
    out = suppress_grid(grid)
    assert out.loc["r0"].tolist() == [SUPPRESSED, SUPPRESSED, 20, 33]
    assert out.loc["r1"].tolist() == [15, 12, 9, 36]
    assert out.loc["r2"].tolist() == [SUPPRESSED, SUPPRESSED, 30, 45]
    assert out.loc["Total"].tolist() == [33, 22, 59, 114]


def test_grid_closes_chains_that_rows_and_columns_alone_leave_open() -> None:
    # The row-and-column rule alone hides r0c0 (5) with r1c0, r2c0 and others, every line with two
    # stars, yet rows r1 + r2 minus columns c0 and c2 give r0c0 away. The cycle check prevents that.
    grid = _with_totals([[5, 2, 8, 10], [8, 20, 5, 10], [1, 8, 1, 15], [15, 1, 20, 6]])
    rows_and_columns_only = pd.DataFrame(False, index=grid.index, columns=grid.columns)
    for cell in [("r0", "c0"), ("r0", "c1"), ("r0", "c3"), ("r1", "c0"), ("r1", "c2"), ("r2", "c0"), ("r2", "c2"),
                 ("r3", "c1"), ("r3", "c3")]:
        rows_and_columns_only.loc[cell] = True
    assert _determined(grid, rows_and_columns_only) == [("r0", "c0")]
    mask = grid_suppression_mask(grid)
    assert (mask | ~rows_and_columns_only).all().all()  # everything the simple rule hides, and one more
    assert mask.to_numpy().sum() == 10
    assert _determined(grid, mask) == []


def test_grid_needs_labelled_totals() -> None:
    with pytest.raises(ValueError, match="total row and a total column"):
        suppress_grid(pd.DataFrame([[1, 2], [3, 4]]))


# --- properties --------------------------------------------------------------------------------------------


def _determined_cells(equations: list[dict[object, float]], unknown: list[object]) -> list[object]:
    """The unknown cells that the equations (sums known) pin down exactly."""
    if not unknown or not equations:
        return []
    a = np.array([[eq.get(u, 0.0) for u in unknown] for eq in equations], dtype=float)
    rank = np.linalg.matrix_rank(a)
    found = []
    for k, u in enumerate(unknown):
        unit = np.zeros((1, len(unknown)))
        unit[0, k] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.append(u)
    return found


def _determined(grid: pd.DataFrame, mask: pd.DataFrame) -> list[tuple[object, object]]:
    members_r = [r for r in grid.index if r != "Total"]
    members_c = [c for c in grid.columns if c != "Total"]
    equations = [{**{(r, c): 1.0 for c in members_c}, (r, "Total"): -1.0} for r in grid.index]
    equations += [{**{(r, c): 1.0 for r in members_r}, ("Total", c): -1.0} for c in grid.columns]
    unknown = [(r, c) for r in grid.index for c in grid.columns if mask.loc[r, c]]
    return _determined_cells(equations, unknown)


@st.composite
def group_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, bool]:
    """A partnership total with two breakdowns (e.g. sex and age band) of the same people; sometimes
    the first leaves out its 'not recorded' group, so it is only bounded by the total."""
    n_first, n_second = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    small_or_large = st.one_of(st.integers(0, 6), st.integers(0, 60))
    denominators = np.array(draw(st.lists(small_or_large, min_size=n_first * n_second,
                                          max_size=n_first * n_second))).reshape(n_first, n_second)
    shares = np.array(draw(st.lists(st.floats(0, 1), min_size=n_first * n_second,
                                    max_size=n_first * n_second))).reshape(n_first, n_second)
    numerators = np.floor(denominators * shares)
    bounded = draw(st.booleans()) and n_first > 1
    rows = [("", "", numerators.sum(), denominators.sum())]
    first = range(n_first - 1) if bounded else range(n_first)
    rows += [("sex", f"s{i}", numerators[i].sum(), denominators[i].sum()) for i in first]
    rows += [("age_band", f"a{j}", numerators[:, j].sum(), denominators[:, j].sum()) for j in range(n_second)]
    frame = pd.DataFrame([{"kpi": "effective_treatment_rate", "area": "E99000001", "period": "2025-26 Q4",
                           "breakdown": b, "group": g, "numerator": float(n), "denominator": float(d),
                           "value": n / d if d else np.nan} for b, g, n, d in rows])
    frame = frame.sample(frac=1, random_state=draw(st.integers(0, 1000))).reset_index(drop=True)
    return frame, bounded


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(group_tables())
def test_no_suppressed_count_can_be_worked_out_from_the_totals(case: tuple[pd.DataFrame, bool]) -> None:
    frame, bounded = case
    out = suppress(frame, count_columns=COUNTS, rate_columns=["value"])
    mask = suppression_mask(frame, count_columns=COUNTS, rate_columns=["value"])
    total = int(np.flatnonzero(frame["breakdown"] == "")[0])
    for column in COUNTS:
        hidden = mask[column].to_numpy()
        shown = out[column][~hidden]
        # Nothing shown is small; what is shown is the true figure.
        assert not shown.between(1, 4).any()
        assert (shown.astype(float) == frame[column][~hidden]).all()
        equations = []
        for breakdown in ("sex", "age_band"):
            members = np.flatnonzero(frame["breakdown"] == breakdown)
            adds_up = not (bounded and breakdown == "sex")
            if hidden[members].any() and adds_up:
                assert hidden[members].sum() >= 2 or hidden[total]
            if adds_up:
                equations.append({**{int(i): 1.0 for i in members}, total: -1.0})
        unknown = [int(i) for i in np.flatnonzero(hidden)]
        assert _determined_cells(equations, unknown) == []
        # Even with the partnership figure known from the scorecard, no group can be worked out.
        if not hidden[total]:
            assert _determined_cells(equations + [{total: 1.0}], unknown) == []
    rows_hidden = mask[COUNTS].any(axis=1).to_numpy()
    rates = out["value"].to_numpy()
    assert all(v == SUPPRESSED for v, h, orig in zip(rates, rows_hidden, frame["value"], strict=True)
               if h and not pd.isna(orig))
    assert not any(v == SUPPRESSED for v, h in zip(rates, rows_hidden, strict=True) if not h)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5).flatmap(lambda c: st.lists(
    st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=c, max_size=c), min_size=1, max_size=5)))
def test_no_suppressed_grid_cell_can_be_worked_out(cells: list[list[int]]) -> None:
    grid = _with_totals(cells)
    mask = grid_suppression_mask(grid)
    out = suppress_grid(grid)
    values = grid.to_numpy()
    hidden = mask.to_numpy()
    assert not ((values[~hidden] >= 1) & (values[~hidden] <= 4)).any()
    assert (out.to_numpy()[~hidden] == values[~hidden]).all()
    assert (out.to_numpy()[hidden] == SUPPRESSED).all()
    for line in [*hidden, *hidden.T]:
        assert line.sum() != 1
    assert _determined(grid, mask) == []


# --- formula injection -------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_payloads_are_made_inert(payload: str) -> None:
    assert neutralise(payload) == "'" + payload
    assert neutralise(neutralise(payload)) == "'" + payload


@pytest.mark.parametrize("value", ["Provider A", "", "'=already inert", "12", "*", -5, -2.5, 0, None, True])
def test_everything_else_is_left_alone(value: object) -> None:
    assert neutralise(value) == value and type(neutralise(value)) is type(value)


def test_neutralise_frame_touches_text_only() -> None:
    frame = pd.DataFrame({
        "provider": pd.Series(["=1+1", "Harbour Road"], dtype="str"),
        "mixed": pd.Series(["@SUM(A1)", 3], dtype=object),
        "kind": pd.Categorical(["-2+3", "ok"]),
        "change": [-3, 4],
        "=name": [1.5, -2.5],
    })
    out = neutralise_frame(frame)
    assert list(out.columns) == ["provider", "mixed", "kind", "change", "'=name"]
    assert out["provider"].tolist() == ["'=1+1", "Harbour Road"]
    assert out["mixed"].tolist() == ["'@SUM(A1)", 3]
    assert out["kind"].tolist() == ["'-2+3", "ok"]
    assert out["change"].tolist() == [-3, 4] and out["change"].dtype == frame["change"].dtype
    assert frame["provider"].tolist() == ["=1+1", "Harbour Road"]  # the input is not changed


def _hostile_figures() -> pd.DataFrame:
    groups = {payload: (10 + i, 40 + i) for i, payload in enumerate(PAYLOADS)}
    frame = _figures(groups, breakdown="provider")
    frame.loc[0, "area"] = "=HYPERLINK(\"http://x\",\"y\")"
    return frame


def test_payloads_come_out_inert_in_the_csv() -> None:
    data = to_csv_bytes(figures_table(_hostile_figures()), note="-note")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(_inert(cell) for row in rows for cell in row)
    header = rows[0]
    groups = {row[header.index("Group")] for row in rows[1:]}
    assert {"'" + payload for payload in PAYLOADS} <= groups
    assert rows[1][header.index("Area")] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text  # quoted as CSV, and inert inside the quotes
    assert {row[-1] for row in rows[1:]} == {"'-note"}


def test_payloads_come_out_inert_in_the_workbook() -> None:
    data = to_xlsx_bytes(figures_table(_hostile_figures()), title="=Title", note="@note")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert values and all(cell.data_type != "f" for cell in values)
    assert all(_inert(cell.value) for cell in values)
    assert sheet["A1"].value == "'=Title"
    groups = [row[4] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in groups and "'@SUM(A1)" in groups and "'-2+3" in groups
    assert "'\t=1+1" in groups and "'=1+1" in groups


# --- the export table and the files ----------------------------------------------------------------------


def test_figures_table_is_rounded_labelled_and_suppressed() -> None:
    table = figures_table(sf.breakdown_frame())
    assert list(table.columns) == FIGURES_COLUMNS
    first = table.iloc[0]
    assert first["Breakdown"] == "Partnership" and first["Group"] == "All"
    assert first["Measure"] == "Effective treatment rate" and first["Unit"] == "%"
    assert first["Numerator"] == 501 and isinstance(first["Numerator"], int)
    assert first["Value"] == round(501 / 658 * 100, 1) and first["Target"] == 80.0
    assert first["Status"] in {"On target", "Near target", "Off target"}
    assert first["Window end"] == dt.date(2026, 9, 30) and first["Provisional"] == "No"
    other = table[table["Group"] == "Chinese or other (R-S)"].iloc[0]
    assert other["Numerator"] == 6 and other["Denominator"] == 11  # 5 and over: shown
    assert not (table == SUPPRESSED).any().any()
    not_stated = table[table["Group"] == "Not stated (Z)"].iloc[0]
    assert not_stated["Numerator"] == 0 and not_stated["Denominator"] == 0


def test_figures_table_for_a_scorecard_of_mixed_units() -> None:
    table = figures_table(sf.scorecard_frame())
    by_measure = table.set_index("Measure")
    assert by_measure.loc["Numbers in treatment", "Value"] == 1234
    assert by_measure.loc["Numbers in treatment", "Unit"] == "count"
    assert by_measure.loc["Tests per trigger arrest", "Unit"] == "ratio"
    assert by_measure.loc["Tests per trigger arrest", "Value"] == round(410 / 470, 2)
    assert by_measure.loc["Successful completions, opiate (PHOF C19a)", "Provisional"] == "Yes"
    assert figures_table(sf.scorecard_frame().iloc[0:0]).columns.tolist() == FIGURES_COLUMNS


def test_figures_table_stars_small_counts_and_their_rates() -> None:
    table = figures_table(_figures({"Female": (3, 10), "Male": (40, 80), "Other": (7, 10)}),
                          measure="effective_treatment_rate")
    female = table[table["Group"] == "Female"].iloc[0]
    assert [female[c] for c in ("Numerator", "Value", "Lower 95%", "Upper 95%")] == [SUPPRESSED] * 4
    assert female["Denominator"] == 10
    male = table[table["Group"] == "Male"].iloc[0]
    assert male["Value"] == 50.0 and male["Lower 95%"] == 45.0


def test_csv_carries_the_note_on_every_row_and_reads_back_as_numbers() -> None:
    table = figures_table(sf.scorecard_frame())
    data = to_csv_bytes(table, note=SUPPRESSION_NOTE)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back.columns.tolist() == FIGURES_COLUMNS + ["Note"]
    assert (back["Note"] == SUPPRESSION_NOTE).all() and len(back) == len(table)
    assert "counts of 1 to 4 are shown as *" in SUPPRESSION_NOTE.lower()
    assert pd.api.types.is_numeric_dtype(back["Value"])
    assert pd.api.types.is_numeric_dtype(back["Numerator"])


def test_an_empty_csv_still_carries_the_note() -> None:
    back = pd.read_csv(io.BytesIO(to_csv_bytes(figures_table(sf.scorecard_frame().iloc[0:0]), note="n")))
    assert back["Note"].tolist() == ["n"]


def test_workbook_opens_with_title_note_header_and_numbers() -> None:
    table = figures_table(_figures({"Female": (3, 10), "Male": (40, 80), "Other": (7, 10)}))
    data = to_xlsx_bytes(table, title="Effective treatment rate by sex, 2025-26 Q4", note=SUPPRESSION_NOTE)
    assert data[:4] == b"PK\x03\x04" and zipfile.is_zipfile(io.BytesIO(data))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "Effective treatment rate by sex, 2025-26 Q4" and sheet["A1"].font.bold
    assert sheet["A2"].value == SUPPRESSION_NOTE
    header = [c.value for c in sheet[4]]
    assert header == FIGURES_COLUMNS and all(c.font.bold for c in sheet[4])
    assert sheet.freeze_panes == "A5"
    rows = {r[FIGURES_COLUMNS.index("Group")]: r for r in sheet.iter_rows(min_row=5, values_only=True)}
    col = {name: i for i, name in enumerate(FIGURES_COLUMNS)}
    assert rows["All"][col["Numerator"]] == 50 and rows["All"][col["Value"]] == 50.0
    assert rows["Male"][col["Lower 95%"]] == 45.0 and rows["Male"][col["Upper 95%"]] == 55.0
    numbers = [c for c in sheet[7] if FIGURES_COLUMNS[c.column - 1] in ("Numerator", "Denominator", "Value")]
    assert [c.data_type for c in numbers] == ["n", "n", "n"] and sheet["E7"].value == "Male"
    assert sheet["I6"].value == SUPPRESSED and sheet["I6"].alignment.horizontal == "right"
    assert rows["Female"][col["Numerator"]] == SUPPRESSED and rows["Female"][col["Denominator"]] == 10
    assert isinstance(rows["Male"][col["Window end"]], dt.datetime)
    widths = [sheet.column_dimensions[c].width for c in "ABCDEFGHIJKLMNOPQ"]
    assert all(8 <= w <= 52 for w in widths) and widths[0] > widths[col["Unit"]]


@pytest.mark.parametrize("name", ["clientid", "client_key", "ClientID", "Client Key", "hashed_client_key",
                                  "nhs_number", "PatientId", "client-ref"])
def test_client_identifiers_are_never_written(name: str) -> None:
    table = pd.DataFrame({"Area": ["E99000001"], name: ["abc"]})
    with pytest.raises(ClientIdentifierError):
        to_csv_bytes(table, note="n")
    with pytest.raises(ClientIdentifierError):
        to_xlsx_bytes(table, title="t", note="n")
    with pytest.raises(ClientIdentifierError):
        figures_table(_figures({"A": (10, 20)}).assign(**{name: "abc"}))


@pytest.mark.parametrize("name", ["clients", "client_count", "Numerator", "kpi", "Clients in treatment"])
def test_ordinary_columns_are_not_taken_for_identifiers(name: str) -> None:
    check_no_client_identifiers([name])


def test_unsuppressed_small_counts_are_refused() -> None:
    with pytest.raises(UnsuppressedCounts):
        to_csv_bytes(pd.DataFrame({"Numerator": [3, 40]}), note="n")
    with pytest.raises(UnsuppressedCounts):
        to_xlsx_bytes(pd.DataFrame({"denominator": [40.0, 2.0]}), title="t", note="n")


def test_an_uploaded_indicator_keeps_its_own_unit() -> None:
    frame = _figures({"A": (40, 100)}, kpi="iom_cohort").iloc[[0]].assign(
        name="IOM cohort in treatment", unit="percent", value=45.678, lower95=np.nan, upper95=np.nan)
    row = figures_table(frame).iloc[0]
    assert (row["Measure"], row["Unit"], row["Value"], row["Lower 95%"]) == (
        "IOM cohort in treatment", "percent", 45.68, None)


def _chart_figures(groups: dict[str, tuple[float, float]], *, breakdown: str = "ethnic_group") -> pd.DataFrame:
    rows = [("", "", sum(n for n, _ in groups.values()), sum(d for _, d in groups.values()))]
    rows += [(breakdown, g, n, d) for g, (n, d) in groups.items()]
    frame = pd.DataFrame(rows, columns=["breakdown", "group", "numerator", "denominator"])
    return frame.assign(kpi="bme_share", area="E1", period="2024-25 Q2", value=frame["numerator"] / frame["denominator"],
                        lower95=0.0, upper95=1.0, funnel_lower95=0.1, gap=-0.01)


def test_hide_small_blanks_what_a_chart_would_draw_of_small_groups_and_their_next_smallest() -> None:
    frame = _chart_figures({"A": (40, 100), "B": (3, 30), "C": (12, 50), "D": (20, 60)})
    safe, hidden = tables.hide_small(frame)
    assert hidden
    gone = safe["group"].isin(["B", "C"])  # B is small; C, the next smallest, so B cannot be worked out
    for column in ("numerator", "denominator", "value", "lower95", "upper95", "funnel_lower95", "gap"):
        assert safe.loc[gone, column].isna().all(), column
        assert safe.loc[~gone, column].notna().all(), column
    assert list(safe["group"]) == list(frame["group"])  # the labels stay: a chart says a group is hidden
    assert frame["numerator"].notna().all()  # the caller's frame is untouched


def test_hide_small_leaves_a_frame_without_small_numbers_alone() -> None:
    frame = _chart_figures({"A": (40, 100), "B": (30, 80)})
    safe, hidden = tables.hide_small(frame)
    assert not hidden and safe is frame
    assert tables.hide_small(frame.iloc[0:0])[1] is False
