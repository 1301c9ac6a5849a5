"""No file the product writes for a spreadsheet holds a live formula, whatever the uploaded files held.

Every payload goes into every column of every writer: the problems CSV (Upload page and
``loaders load --errors-csv``), the loaders command line's csv (load, history), the metrics
command line's csv, and the exported tables (CSV and Excel). The check of a written cell is this
test's own (not the product's): a cell is live when, after any leading spaces or control
characters, it begins with a formula sign.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from charts import tables
from loaders import __main__ as loaders_cli
from loaders.formulas import neutralise
from loaders.problems import Problem, problems_csv
from metrics import __main__ as metrics_cli
from tests.conftest import INDICATOR_HEADER, JOURNEY_HEADER, csv_text, load_text

ROOT = Path(__file__).resolve().parent.parent

# Written out here, independently of loaders.formulas: what a spreadsheet may run.
SIGNS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PAYLOADS = (
    '=HYPERLINK("https://evil.example","x")', "=1+1", "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
    " =1+1", "\u00a0=1+1", "\x01=1+1", "\u200b=1", "\uff1dSUM(A1)", "\uff0b1", "\uff0d1", "\uff20A1",
)


def _live(cell: object) -> bool:
    if not isinstance(cell, str):
        return False
    stripped = cell.lstrip()
    while stripped and (stripped[0].isspace() or unicodedata.category(stripped[0]) in ("Cc", "Cf")):
        stripped = stripped[1:]
    return cell.startswith(SIGNS) or stripped.startswith(SIGNS)


def _csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _assert_inert(rows: list[list[str]], where: str) -> None:
    live = [(r, c, cell) for r, row in enumerate(rows) for c, cell in enumerate(row) if _live(cell)]
    assert not live, f"live formula cells in {where}: {live[:5]}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_checker_sees_each_payload_as_live(payload: str) -> None:
    """The test's own check must call every payload live, or the tests below would prove nothing."""
    assert _live(payload)
    assert not _live(neutralise(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", ["column", "value", "reason"])
def test_problems_csv_makes_every_cell_inert(payload: str, field: str) -> None:
    fields = {"row": 2, "column": "AGE", "value": "12", "reason": "AGE must be a whole number."}
    fields[field] = payload
    rows = _csv_cells(problems_csv([Problem(**fields), Problem(None, payload, payload, payload)]))
    _assert_inert(rows, f"problems CSV ({field})")
    assert rows[1][["row", "column", "value", "reason"].index(field)] == "'" + payload


def test_a_header_formula_is_inert_in_the_problems_of_a_rejected_upload(store, tmp_path: Path) -> None:
    """The defect of issue 16: a journeys header holding =HYPERLINK(...) twice is rejected, and the
    problems CSV carried the header cell, a live formula, in its column cell."""
    hostile = '=HYPERLINK("https://evil.example","x")'
    header = JOURNEY_HEADER + "," + hostile + "," + hostile
    text = header + "\nE08000999,P1,,c1,e1,30,1,A,OPI,HEROIN,4,,2024-05-01,,,14,C,,\n"
    result = load_text(store, text)
    assert result.status == "rejected"
    columns = {p.column for p in result.problems}
    assert any(c.startswith("=HYPERLINK") for c in columns)  # the raw problem keeps what the file said
    rows = _csv_cells(problems_csv(result.problems))
    _assert_inert(rows, "problems CSV of a rejected upload")
    assert any(row[1].startswith("'=HYPERLINK") for row in rows[1:])

    # The same file through the command line: --errors-csv and --format csv.
    path = tmp_path / "hostile.csv"
    path.write_text(text, encoding="utf-8")
    errors = tmp_path / "errors.csv"
    db = tmp_path / "cli.duckdb"
    out = subprocess.run(
        [sys.executable, "-m", "loaders", "load", str(path), "--db", str(db), "--errors-csv", str(errors),
         "--format", "csv"], capture_output=True, text=True, cwd=ROOT, timeout=120, env=dict(os.environ))
    assert out.returncode == 1, out.stderr
    _assert_inert(_csv_cells(errors.read_text(encoding="utf-8")), "--errors-csv")
    printed = _csv_cells(out.stdout)
    assert printed[0][:2] == ["status", "file_name"] and printed[1][0] == "rejected"
    _assert_inert(printed, "loaders load --format csv")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_loaders_history_csv_makes_every_cell_inert(payload: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The uploader's name and the file's name are text from outside: both may hold a payload."""
    name = payload.replace("/", "_").replace("\n", "_").replace("\r", "_").replace("\x00", "_") + ".csv"
    path = tmp_path / name
    path.write_text((ROOT / "tests/fixtures/samples/indicators.csv").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("KPI_USER", payload)
    db = str(tmp_path / "h.duckdb")
    assert loaders_cli.main(["load", str(path), "--db", db]) == 0
    capsys.readouterr()
    assert loaders_cli.main(["history", "--db", db, "--format", "csv"]) == 0
    rows = _csv_cells(capsys.readouterr().out)
    header = rows[0]
    assert rows[1][header.index("uploaded_by")] == "'" + payload
    assert rows[1][header.index("file_name")] == (("'" + name) if _live(name) else name)
    _assert_inert(rows, "loaders history --format csv")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_metrics_csv_makes_every_cell_inert(payload: str, store, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """An uploaded indicator's name reaches `python -m metrics series` and `funnel` as text. (An id the
    shipped targets file does not declare: a declared name, e.g. iom_cohort's, wins over the upload's.)"""
    name = payload.replace(",", ";").replace("\n", " ").replace("\r", " ").replace('"', "'")
    rows = [f'E08000999,Area,local_count,"{name}",2024-25 Q{q},{n},{d},,proportion,,' for q, n, d in
            ((1, 5, 10), (2, 6, 10), (3, 7, 10))]
    rows.append(f'E08000998,Other,local_count,"{name}",2024-25 Q3,3,10,,proportion,,')
    assert load_text(store, csv_text(INDICATOR_HEADER, *rows)).status == "loaded"
    store.close()
    db = os.environ["KPI_DB"]
    assert metrics_cli.main(["series", "--kpi", "local_count", "--area", "E08000999", "--db", db,
                             "--format", "csv"]) == 0
    series = _csv_cells(capsys.readouterr().out)
    assert len(series) == 4 and series[1][series[0].index("name")].startswith("'")
    _assert_inert(series, "metrics series --format csv")
    assert metrics_cli.main(["funnel", "--kpi", "local_count", "--period", "2024-25 Q3", "--db", db,
                             "--format", "csv"]) == 0
    funnel = _csv_cells(capsys.readouterr().out)
    assert len(funnel) == 3
    _assert_inert(funnel, "metrics funnel --format csv")


def _figures_with(payload: str, column: str) -> pd.DataFrame:
    frame = pd.DataFrame([{
        "kpi": "effective_treatment_rate", "name": "Effective treatment rate", "area": "E08000999",
        "breakdown": "provider", "group": "P1", "period": "2024-25 Q3", "window_start": "2024-01-01",
        "window_end": "2024-12-31", "numerator": 30.0, "denominator": 50.0, "value": 0.6, "lower95": 0.46,
        "upper95": 0.72, "lower998": 0.4, "upper998": 0.78, "provisional": False, "target": None,
        "status": "grey", "gap": None, "needed": None, "benchmark": None, "benchmark_comparison": "not compared",
    }])
    frame[column] = payload
    return frame


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("column", ["name", "area", "group", "breakdown", "period", "status"])
def test_exported_tables_make_every_cell_inert(payload: str, column: str) -> None:
    """Each text column of a table of figures, in the CSV and in the Excel file; the title too."""
    table = tables.figures_table(_figures_with(payload, column))
    rows = _csv_cells(tables.to_csv_bytes(table, note=payload).decode("utf-8-sig"))
    _assert_inert(rows, f"exported CSV ({column})")
    book = load_workbook(io.BytesIO(tables.to_xlsx_bytes(table, title=payload, note=payload)))
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    assert not [c for row in book.active.iter_rows() for c in row if c.data_type == "f"]
    _assert_inert([[v for v in row if isinstance(v, str)] for row in cells], f"exported Excel ({column})")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_any_table_offered_for_download_makes_every_cell_inert(payload: str) -> None:
    """Tables that are not figures (missing fields, upload history) go through safe_table and the writers."""
    frame = pd.DataFrame({payload: [payload, "ok"], "journeys missing it": [10, 20], "share": [0.5, 0.25]})
    table = tables.safe_table(frame)
    _assert_inert(_csv_cells(tables.to_csv_bytes(table).decode("utf-8-sig")), "safe_table CSV")
    book = load_workbook(io.BytesIO(tables.to_xlsx_bytes(table, title="t")))
    _assert_inert([[c.value for c in row if isinstance(c.value, str)] for row in book.active.iter_rows()],
                  "safe_table Excel")
