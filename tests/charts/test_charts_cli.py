"""``python -m charts``: each command writes a file that is what its suffix says, and the exit
status says what went wrong (1: the request, 2: the usage).

Runs on the four sample extracts (partnership E08000999, quarters 2024-25 Q1 and Q2), whose
counts are small enough that the tables must suppress. Chart tests need Chromium.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pptx import Presentation

from charts.__main__ import main
from loaders.load import load_file
from loaders.store import open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
AREA, PERIOD = "E08000999", "2024-25 Q2"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "samples.duckdb"
    with open_store(path) as store:
        for name in ("journeys.csv", "tops.csv", "dip.csv", "indicators.csv"):
            result = load_file(store, data=(SAMPLES / name).read_bytes(), file_name=name,
                               measure_ids=measure_ids(), on_change=refresh_results)
            assert result.status == "loaded", result.problems
    return path


@pytest.fixture
def run(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> Iterator:
    def invoke(*args: str) -> tuple[int, str, str]:
        try:
            code = main([args[0], "--db", str(sample_db), *args[1:]])
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke


def _where(*extra: str, area: str = AREA, period: str = PERIOD) -> list[str]:
    return ["--area", area, "--period", period, *extra]


# --------------------------------------------------------------------------------------------
# Files that are what they say
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "signature"), [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<svg"), ("pdf", b"%PDF-")])
def test_chart_formats(run, tmp_path: Path, suffix: str, signature: bytes) -> None:
    out = tmp_path / f"chart.{suffix}"
    code, stdout, _ = run("chart", "--kpi", "top_compliance", *_where("--out", str(out)))
    assert code == 0 and str(out) in stdout
    data = out.read_bytes()
    assert data.lstrip()[: len(signature)] == signature
    if suffix == "svg":
        assert b"TOP compliance" in data and b"Northvale" in data  # the title, on the chart
        assert b"2024-25 Q1" in data


def test_chart_of_an_uploaded_indicator(run, tmp_path: Path) -> None:
    out = tmp_path / "iom.svg"
    code, _, err = run("chart", "--kpi", "iom_cohort", *_where("--out", str(out)))
    assert code == 0, err
    assert b"Integrated Offender Management cohort size" in out.read_bytes()


def test_table_csv_is_suppressed(run, tmp_path: Path) -> None:
    out = tmp_path / "table.csv"
    code, _, err = run("table", "--kpi", "effective_treatment_rate", *_where("--breakdown", "sex", "--out", str(out)))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows and rows[0]["Measure"] == "Effective treatment rate" and rows[0]["Group"] == "All"
    assert {r["Breakdown"] for r in rows} == {"Partnership", "Sex"}
    for r in rows:  # five clients: every count of 1 to 4 is a '*'
        for column in ("Numerator", "Denominator"):
            assert r[column] == "*" or r[column] == "" or not 0 < float(r[column]) < 5
    assert any(r["Numerator"] == "*" for r in rows)


def test_table_xlsx_opens(run, tmp_path: Path) -> None:
    out = tmp_path / "table.xlsx"
    code, _, err = run("table", "--kpi", "top_compliance", *_where("--breakdown", "provider", "--out", str(out)))
    assert code == 0, err
    sheet = load_workbook(out).active
    assert sheet["A1"].value.startswith("TOP compliance by provider: Northvale, 2024-25 Q2")
    header = [c.value for c in sheet[4]]
    assert header[:5] == ["Measure", "Area", "Area name", "Breakdown", "Group"]
    groups = {sheet.cell(row=r, column=5).value for r in range(5, sheet.max_row + 1)}
    assert {"All", "NRC01", "WAY02"} <= groups


def test_pack_pptx_and_pdf(run, tmp_path: Path) -> None:
    deck = tmp_path / "pack.pptx"
    code, _, err = run("pack", *_where("--out", str(deck)))
    assert code == 0, err
    assert zipfile.is_zipfile(deck) and len(Presentation(str(deck)).slides) > 5
    pdf = tmp_path / "pack.pdf"
    code, _, err = run("pack", *_where("--out", str(pdf)))
    assert code == 0, err
    assert pdf.read_bytes()[:5] == b"%PDF-"


# --------------------------------------------------------------------------------------------
# Exit status
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "out"), [("pack", "pack.docx"), ("chart", "chart.jpg"), ("table", "t.pdf"),
                                              ("chart", "chart")])
def test_a_wrong_suffix_is_a_usage_error(run, tmp_path: Path, command: str, out: str) -> None:
    extra = {"pack": [], "chart": ["--kpi", "bme_share"], "table": ["--kpi", "bme_share", "--breakdown", "sex"]}
    code, _, err = run(command, *extra[command], *_where("--out", str(tmp_path / out)))
    assert code == 2 and "--out must end in" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("args", "message"), [
    (["chart", "--kpi", "bme_share", *_where(area="E99999999")], "no figures for partnership 'E99999999'"),
    (["chart", "--kpi", "bme_share", *_where(period="2030-31 Q1")], "figures run from 2024-25 Q1 to 2024-25 Q2"),
    (["table", "--kpi", "bme_share", "--breakdown", "sex", *_where(period="Q2 2024")], "not a quarter"),
    (["chart", "--kpi", "no_such_measure", *_where()], "no measure or uploaded indicator 'no_such_measure'"),
    (["table", "--kpi", "no_such_measure", "--breakdown", "sex", *_where()], "no measure 'no_such_measure'"),
    (["table", "--kpi", "top_compliance", "--breakdown", "sex", *_where()], "not broken down by sex"),
    (["pack", *_where(area="E99999999")], "no figures for partnership"),
])
def test_a_bad_request_exits_1(run, tmp_path: Path, args: list[str], message: str) -> None:
    suffix = {"pack": "pdf", "chart": "png", "table": "csv"}[args[0]]
    out = tmp_path / f"out.{suffix}"
    code, _, err = run(*args, "--out", str(out))
    assert code == 1
    assert err.startswith("error: ") and message in err
    assert not out.exists()


def test_no_database_exits_1(tmp_path: Path) -> None:
    code = main(["table", "--db", str(tmp_path / "missing.duckdb"), "--kpi", "bme_share", "--breakdown", "sex",
                 *_where("--out", str(tmp_path / "t.csv"))])
    assert code == 1 and not (tmp_path / "t.csv").exists()


def test_the_module_runs(sample_db: Path, tmp_path: Path) -> None:
    """The real entry point: ``python -m charts`` (no chart drawn, so it is quick)."""
    out = tmp_path / "table.csv"
    ok = subprocess.run([sys.executable, "-m", "charts", "table", "--db", str(sample_db), "--kpi", "bme_share",
                         "--breakdown", "provider", *_where("--out", str(out))], cwd=ROOT, capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbfMeasure,")
    usage = subprocess.run([sys.executable, "-m", "charts"], cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode == 2 and "usage: python -m charts" in usage.stderr
