"""How the charts, the exports and the board pack show a measure whose extract was not uploaded
("no data" and what to upload) or covers part of the window (marked partial).

The figures come from small databases loaded through the real loader (the cases of
tests/metrics/test_coverage.py): journeys for 2024-25 Q1 and Q3, TOPs dated from July 2024 in a Q3
file (half of the 2024-25 Q3 window; none of the Q1 window) and no DIP activity at all. Six journeys
start in July 2024 with their start TOPs on the day, and journey a (from February) has neither its
start TOP nor its review at 2024-08-01 in time: TOP compliance is 6 of 8, 75.0%, in Q2 and Q3 (counts
of 5 or more, so no figure is withheld as small). The pack needs Chromium for its charts, as
tests/charts/test_pack.py does.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation

from charts import pack
from charts.figures import scorecard_table, trend_figure
from charts.tables import figures_table
from loaders.store import Store
from metrics import reports
from metrics.periods import Quarter
from metrics.registry import measure
from metrics.targets import load_targets
from tests.conftest import TOP_HEADER
from tests.metrics.test_coverage import DIP_NONE, ONE, TOPS_NONE
from tests.metrics.test_measures import DAT, Q3, journey, load, load_journeys, top

TOPS_HALF = ("Partial: TOPs cover 1 July 2024 to 31 December 2024 of the 12 months to 31 December 2024; upload the "
             "Treatment Outcomes Profiles (TOPs) extract for 2023-24 Q4 to 2024-25 Q1 to complete it.")


@pytest.fixture
def half(store: Store) -> Store:
    load_journeys(store, ONE, period="2024-25 Q1")
    july = [(f"b{k}", str(10 + k), f"2024-07-{14 + k}") for k in range(1, 7)]
    load_journeys(store, ONE, *(journey(client, episode, day) for client, episode, day in july))
    load(store, TOP_HEADER, top("a", "1", "T0", "2024-10-01", "R"),
         *(top(client, episode, f"T{episode}", day, "S") for client, episode, day in july))
    return store


def _card(store: Store) -> pd.DataFrame:
    return reports.scorecard(store, area=DAT, period=Quarter.parse(Q3), targets=load_targets())


def test_scorecard_table_and_export_carry_the_note(half: Store) -> None:
    card = _card(half)
    table = scorecard_table(card).set_index("Measure")
    assert table.loc["TOP compliance", "Value"] == "75.0%" and table.loc["TOP compliance", "Coverage"] == TOPS_HALF
    assert table.loc["Required assessments attended", "Value"] == "no data"
    assert table.loc["Required assessments attended", "Coverage"] == DIP_NONE
    assert table.loc["Numbers in treatment", "Coverage"] == ""

    export = figures_table(card).set_index("Measure")
    assert export.loc["TOP compliance", "Coverage"] == TOPS_HALF and export.loc["TOP compliance", "Value"] == 75.0
    dip = export.loc["Required assessments attended"]
    assert dip["Coverage"] == DIP_NONE and pd.isna(dip["Value"]) and pd.isna(dip["Denominator"])
    assert export.loc["Numbers in treatment", "Coverage"] == ""


def test_trend_marks_partial_quarters_and_leaves_gaps(half: Store) -> None:
    """Q1 has no TOPs (a gap, not 0%), Q2 and Q3 are partial: said in the hover text and under the chart."""
    series = reports.series(half, kpi="top_compliance", area=DAT, targets=load_targets())
    assert list(series["coverage"]) == ["none", "partial", "partial"]
    fig = trend_figure(series, measure=measure("top_compliance"), area_name="Area", source="Source", demo=False)
    line = next(t for t in fig.data if t.mode == "lines+markers")
    assert pd.isna(line.y[0]) and [row[0] for row in line.customdata][1:] == ["75.0% (partial)", "75.0% (partial)"]
    notes = fig.layout.meta["notes"]
    assert any(n.startswith("Partial:") for n in notes) and any(n.startswith("Gaps:") for n in notes)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def test_board_pack_says_no_data_and_marks_partial(half: Store, tmp_path: Path) -> None:
    content = pack.pack_content(half, area=DAT, period=Q3, targets=load_targets())
    lines = {line.kpi: line for line in content.scorecard}
    assert lines["top_compliance"].value == "75.0% (pt)" and lines["top_compliance"].status == "red"
    assert lines["ra_attendance"].value == pack.NO_DATA and lines["ra_attendance"].status == "grey"
    assert set(content.coverage_notes) == {TOPS_HALF, DIP_NONE}
    section = next(s for s in content.measures if s.kpi == "top_compliance")
    assert section.value == "75.0% (pt)" and section.reading.endswith(TOPS_HALF)

    text = _pdf_text(pack.render_pdf(content), tmp_path)
    assert pack.COVERAGE_NOTE in text and TOPS_HALF in text and DIP_NONE in text

    deck = Presentation(io.BytesIO(pack.render_pptx(content)))
    scorecard = list(deck.slides)[1]
    assert TOPS_HALF in scorecard.notes_slide.notes_text_frame.text


def test_board_pack_without_tops(store: Store) -> None:
    """Journeys only: TOP compliance (target 86%) is "no data" on its page, saying which file to upload,
    never 0.0% off target; and it is not an exception."""
    load_journeys(store, ONE, journey("b", "2", "2024-03-01", agncy="P2"))
    content = pack.pack_content(store, area=DAT, period=Q3, targets=load_targets())
    line = next(line for line in content.scorecard if line.kpi == "top_compliance")
    assert (line.value, line.status, line.gap, line.needed) == (pack.NO_DATA, "grey", "–", "–")
    section = next(s for s in content.measures if s.kpi == "top_compliance")
    assert section.value == pack.NO_DATA and section.reading.startswith(f"**No data**: {TOPS_NONE}")
    assert section.variation == "" and "0.0%" not in section.reading
    assert not [e for e in content.exceptions if e.measure == "TOP compliance"]
