"""The board pack, built from the synthetic demo loaded into a database of its own: the PDF's
pages and text (read back with poppler's pdfinfo, pdftotext and pdftoppm), the PowerPoint deck's
slides and text, and the small-number rules the pack adds to ``charts.tables``.

Needs Chromium (the charts) and poppler-utils (``make system`` installs both). The last test
writes the pack to ``test-artefacts/pack/`` so a person can look at it.
"""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation

from charts import pack, tables, theme
from charts.theme import format_value
from loaders.demo import load_demo
from loaders.periods import Quarter
from loaders.store import Store, open_store
from metrics import reports
from metrics.registry import MEASURES, measure, measure_ids
from metrics.results import refresh_results
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS, TargetSet, load_targets

AREA = "E99000101"
PERIOD = "2024-25 Q3"
PRODUCED = date(2026, 5, 14)
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "pack"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    """The demo extracts written to CSV and loaded through the real loader (about 15 s)."""
    root = tmp_path_factory.mktemp("demo")
    store = open_store(root / "demo.duckdb")
    results = load_demo(store, out_dir=root / "extracts", measure_ids=measure_ids(), on_change=refresh_results)
    assert all(r.status == "loaded" for r in results), [r.problems for r in results if r.status != "loaded"]
    yield store, root / "extracts"
    store.close()


@pytest.fixture(scope="module")
def card(demo: tuple[Store, Path]) -> pd.DataFrame:
    store, _ = demo
    # The measures' part of the scorecard (the partnership's indicators are a section of their own).
    return reports.split_scorecard(reports.scorecard(store, area=AREA, period=Quarter.parse(PERIOD),
                                                     targets=load_targets()))[0]


@pytest.fixture(scope="module")
def content(demo: tuple[Store, Path]) -> pack.PackContent:
    store, _ = demo
    return pack.pack_content(store, area=AREA, period=PERIOD, targets=load_targets(), produced=PRODUCED)


@pytest.fixture(scope="module")
def pdf(content: pack.PackContent, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "pack.pdf"
    path.write_bytes(pack.render_pdf(content))
    return path


@pytest.fixture(scope="module")
def pptx(content: pack.PackContent) -> bytes:
    return pack.render_pptx(content)


@pytest.fixture(scope="module")
def client_ids(demo: tuple[Store, Path]) -> set[str]:
    _, extracts = demo
    ids: set[str] = set()
    for path in extracts.glob("*.csv"):
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames and "CLIENTID" in reader.fieldnames:
                ids.update(row["CLIENTID"] for row in reader if row["CLIENTID"])
    assert len(ids) > 1000
    return ids


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]


def _text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def _scorecard_figures(card: pd.DataFrame) -> list[str]:
    """Each whole-partnership figure as the pack prints it (the demo has no counts of 1 to 4)."""
    assert (card["numerator"].dropna() >= 5).all()
    return [format_value(v, measure(k).unit) for k, v in zip(card["kpi"], card["value"], strict=True)]


# --------------------------------------------------------------------------------------------
# The content
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local(demo: tuple[Store, Path]) -> pd.DataFrame:
    """The scorecard's second section: the demo's local indicators (data/targets.toml declares them all)."""
    store, _ = demo
    return reports.split_scorecard(reports.scorecard(store, area=AREA, period=Quarter.parse(PERIOD),
                                                     targets=load_targets()))[1]


def test_content_follows_the_scorecard(content: pack.PackContent, card: pd.DataFrame, local: pd.DataFrame) -> None:
    assert content.area_name == "Northvale (demo)" and content.demo
    assert content.window_start == date(2024, 1, 1) and content.window_end == date(2024, 12, 31)
    assert [line.kpi for line in content.scorecard] == list(card["kpi"])  # reds first, as the scorecard
    # The local indicators, each at its own period: the quarter's, or the year 2023-24 (the latest ending by Q3).
    assert [line.kpi for line in content.indicators] == list(local["kpi"]) and len(local) == 6
    assert {line.kpi: line.period for line in content.indicators} == {
        "iom_cohort": PERIOD, "custody_numbers": PERIOD, "hepc_tested": PERIOD, "reoffending_iom": "2023-24",
        "females_custody": "2023-24", "needle_sharing": "2023-24"}
    targeted = list(card.loc[card["target"].notna(), "kpi"]) + list(local.loc[local["target"].notna(), "kpi"])
    assert [s.kpi for s in content.measures] == targeted and len(targeted) >= 11
    assert [s.indicator for s in content.measures].count(True) == 6
    both = pd.concat([card, local])
    assert content.counts == {s: int((both["status"] == s).sum()) for s in ("red", "amber", "green", "grey")}
    first = content.measures[0]
    assert first.chart_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.chart_size[0] == math.ceil(pack.CHART_WIDTH_MM / 25.4 * pack.CHART_DPI)
    assert "**" in first.reading and "2024-12-31" not in first.reading and "31 December 2024" in first.reading
    assert len(content.definitions) == len(MEASURES) + len(content.indicators)
    assert content.definitions[-1].family == "Local and published indicators"


def test_compared_with_other_areas(content: pack.PackContent, card: pd.DataFrame, local: pd.DataFrame) -> None:
    """The headline measures (a target; off target first) where the demo's three partnerships have figures: at most
    four, each read in words with Northvale's rank among the three."""
    assert 1 <= len(content.comparisons) <= pack.MAX_COMPARISONS
    with_targets = [k for k in pd.concat([card, local])["kpi"] if k in set(card.loc[card["target"].notna(), "kpi"])
                    | set(local.loc[local["target"].notna(), "kpi"])]
    assert [c.kpi for c in content.comparisons] == with_targets[:len(content.comparisons)]
    for c in content.comparisons:
        assert c.areas == 3 and c.chart_png[:8] == b"\x89PNG\r\n\x1a\n"
        assert re.fullmatch(r"Northvale \(demo\): [0-9.,%]+, (1st|2nd|3rd) of 3; .+\.", c.reading), c.reading


def test_exception_report_keeps_small_numbers_out(content: pack.PackContent, demo: tuple[Store, Path]) -> None:
    store, _ = demo
    report = reports.exceptions(store, period=Quarter.parse(PERIOD), targets=load_targets(), area=AREA)
    below = report[report["breakdown"].isin(["provider", "team"])]
    assert len(content.exceptions) == len(below) > 0
    assert {e.level for e in content.exceptions} <= {"Provider", "Team"}
    small_lines = complementary = 0
    for line, (_, row) in zip(content.exceptions, below.iterrows(), strict=True):
        assert line.unit == row["group_name"] and line.status == row["status"]  # e.g. "Northvale Alcohol Service (NVA03)"
        small = 0 < row["numerator"] < 5 or (0 < (row["denominator"] or 0) < 5)
        if small:
            small_lines += 1
            assert line.value.startswith("*") and line.needed == "*"
        elif line.value.startswith("*"):
            complementary += 1  # hidden so that a small provider's figure cannot be worked out
        else:
            assert line.needed != "*"
    assert small_lines > 0, "no small provider or team in the report: the test would prove nothing"
    assert complementary > 0, "no complementary (secondary) cell in the report"


# --------------------------------------------------------------------------------------------
# The PDF
# --------------------------------------------------------------------------------------------


def test_pdf_pages(pdf: Path, content: pack.PackContent) -> None:
    assert pdf.read_bytes()[:5] == b"%PDF-"
    total = _pages(pdf)
    sections = []
    for page in range(1, total + 1):
        text = _text(pdf, page)
        assert pack.DEMO_MARK in text  # on every page
        if page == 1:
            assert "Contents" in text and "BOARD PACK" in text
            sections.append("cover")
            continue
        assert f"Page {page} of {total}" in text
        head = text.strip().splitlines()[0]
        assert "Northvale (demo) · 2024-25 Q3 · rolling 12 months to 31 December 2024" in head
        found = [s for s in ("Scorecard", "Measure ", "Exception report", "Compared with other areas",
                             "Appendix: definitions") if s in head]
        assert len(found) == 1, head
        sections.append(found[0])
    measures = len(content.measures)
    # The cover, the scorecard, one page per measure with a target, the exceptions, the comparisons, the appendix.
    compared = len(content.comparisons)
    assert sections == (["cover"] + ["Scorecard"] * sections.count("Scorecard") + ["Measure "] * measures
                        + ["Exception report"] * sections.count("Exception report")
                        + ["Compared with other areas"] * compared
                        + ["Appendix: definitions"] * sections.count("Appendix: definitions"))
    # 25 measures fill one A4 page; the local indicators' table goes on the next.
    assert sections.count("Scorecard") == 2 and "Local and published indicators" in _text(pdf, 3)
    # Providers and teams by name (data/names.csv) take two or three lines each: the report runs to 4 pages.
    assert 1 <= sections.count("Exception report") <= 4 and 1 <= sections.count("Appendix: definitions") <= 3
    assert total == (1 + 2 + measures + sections.count("Exception report") + compared
                     + sections.count("Appendix: definitions"))
    for number, section in enumerate(content.measures, start=1):
        page_text = _text(pdf, 3 + number)
        assert f"Measure {number} of {measures}" in page_text and section.name in page_text
        if section.indicator:  # read at its own period, named in the title
            assert f"{section.name}, {section.period}" in " ".join(page_text.split())


def test_pdf_text_has_the_scorecard(pdf: Path, card: pd.DataFrame) -> None:
    scorecard_page = _text(pdf, 2)
    for figure in _scorecard_figures(card):
        assert figure in scorecard_page
    for status in set(card["status"]):
        assert STATUS_WORDS[status] in scorecard_page and STATUS_SYMBOLS[status] in scorecard_page
    appendix = " ".join(_text(pdf).split("Appendix: definitions", 2)[-1].split())
    for m in MEASURES:
        assert m.name in appendix and f"({m.id};" in appendix


def test_pdf_pages_render(pdf: Path, tmp_path: Path) -> None:
    for page in (1, 2, 3):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                        str(tmp_path / f"page{page}")], check=True)
        pixels = np.asarray(Image.open(tmp_path / f"page{page}.png").convert("L"), dtype=float)
        assert pixels.shape[0] > pixels.shape[1]  # portrait A4
        assert pixels.std() > 20, f"page {page} looks blank"
        assert (pixels < 128).mean() > 0.01  # real ink: text, tables, a chart


def test_pdf_has_no_client_identifiers(pdf: Path, client_ids: set[str]) -> None:
    text = _text(pdf)
    assert not [c for c in client_ids if c in text]


# --------------------------------------------------------------------------------------------
# The PowerPoint deck
# --------------------------------------------------------------------------------------------


def test_pptx_slides(pptx: bytes, content: pack.PackContent, card: pd.DataFrame) -> None:
    deck = Presentation(io.BytesIO(pptx))
    assert deck.slide_width * 9 == deck.slide_height * 16
    expected = (1 + math.ceil(len(card) / pack.SCORECARD_SLIDE_ROWS) + 1 + len(content.measures)
                + math.ceil(len(content.exceptions) / pack.EXCEPTION_SLIDE_ROWS) + len(content.comparisons)
                + math.ceil((len(MEASURES) + len(content.indicators)) / pack.DEFINITION_SLIDE_ROWS))
    assert len(deck.slides) == expected == pack.slide_count(content)
    slides = list(deck.slides)
    assert pack.DEMO_MARK in _slide_text(slides[0]) and "Northvale (demo)" in _slide_text(slides[0])
    indicators = _slide_text(slides[1 + math.ceil(len(card) / pack.SCORECARD_SLIDE_ROWS)])
    assert "Local and published indicators" in indicators
    assert all(line.measure in indicators and line.period in indicators for line in content.indicators)
    first_measure = 2 + math.ceil(len(card) / pack.SCORECARD_SLIDE_ROWS)
    for offset, section in enumerate(content.measures):
        slide = slides[first_measure + offset]
        assert section.name in _slide_text(slide)
        assert sum(1 for s in slide.shapes if s.shape_type == 13) == 1  # the chart
        assert slide.has_notes_slide and section.definition in slide.notes_slide.notes_text_frame.text
    for slide in slides:
        assert pack.DEMO_MARK in _slide_text(slide)


def test_pptx_text_has_the_scorecard(pptx: bytes, card: pd.DataFrame) -> None:
    deck = Presentation(io.BytesIO(pptx))
    scorecard = "\n".join(_slide_text(s) for s in list(deck.slides)[1:3])
    for figure in _scorecard_figures(card):
        assert figure in scorecard
    for status in set(card["status"]):
        assert f"{STATUS_SYMBOLS[status]} {STATUS_WORDS[status]}" in scorecard


def test_pptx_has_no_client_identifiers(pptx: bytes, client_ids: set[str]) -> None:
    with zipfile.ZipFile(io.BytesIO(pptx)) as z:
        xml = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels")))
    assert not [c for c in client_ids if c in xml]


# --------------------------------------------------------------------------------------------
# Errors, small numbers, and a copy for people to look at
# --------------------------------------------------------------------------------------------


def test_unknown_area_or_quarter(demo: tuple[Store, Path]) -> None:
    store, _ = demo
    with pytest.raises(pack.PackError, match="no figures for partnership 'E99999999'"):
        pack.board_pack_pdf(store, area="E99999999", period=PERIOD, targets=load_targets())
    with pytest.raises(pack.PackError, match="run from 2021-22 Q3"):
        pack.board_pack_pptx(store, area=AREA, period="2031-32 Q1", targets=load_targets())
    with pytest.raises(pack.PackError, match="not a quarter"):
        pack.board_pack_pdf(store, area=AREA, period="Q3 2024", targets=load_targets())


def test_empty_database(store: Store) -> None:
    with pytest.raises(pack.PackError, match="No figures have been loaded"):
        pack.pack_content(store, area=AREA, period=PERIOD, targets=load_targets())


def _levels(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame([{"kpi": "bme_share", "area": "E1", "period": PERIOD, "breakdown": b, "group": g,
                          "numerator": n, "denominator": d, "value": n / d, "gap": 0.0, "needed": 0.0}
                         for b, g, n, d in rows])


def _visible_small(frame: pd.DataFrame) -> bool:
    values = pd.to_numeric(frame[["numerator", "denominator"]].stack(), errors="coerce")
    return bool(((values > 0) & (values < 5)).any())


def test_teams_are_protected_within_their_provider() -> None:
    frame = _levels([("", "", 40, 100), ("provider", "A", 30, 60), ("provider", "B", 10, 40),
                     ("team", "A/x", 28, 50), ("team", "A/y", 2, 10), ("team", "B/(no team)", 10, 40)])
    shown = pack.protect_levels(frame).set_index("group")
    assert not _visible_small(shown)
    # A/y's 2 would be provider A's 30 minus A/x's 28: A/x is hidden too.
    assert shown.at["A/y", "numerator"] == shown.at["A/x", "numerator"] == tables.SUPPRESSED
    assert shown.at["A/x", "value"] == tables.SUPPRESSED
    assert shown.at["A", "numerator"] == 30


def test_a_hidden_provider_keeps_a_team_hidden() -> None:
    frame = _levels([("", "", 53, 100), ("provider", "A", 3, 20), ("provider", "B", 50, 80),
                     ("team", "A/(no team)", 3, 20), ("team", "B/x", 45, 70), ("team", "B/y", 5, 10)])
    shown = pack.protect_levels(frame).set_index("group")
    assert shown.at["A", "numerator"] == shown.at["B", "numerator"] == tables.SUPPRESSED
    # B = B/x + B/y would give B, and so A: both of B's teams are hidden.
    assert shown.at["B/x", "numerator"] == shown.at["B/y", "numerator"] == tables.SUPPRESSED
    assert not _visible_small(shown)


def test_trajectory_chart_leaves_out_quarters_of_a_few_people() -> None:
    periods = ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
    series = pd.DataFrame({"kpi": "bme_share", "name": "Black and minority ethnic share", "area": "E1",
                           "breakdown": "", "group": "", "period": periods, "numerator": [20, 3, 25, 30],
                           "denominator": [100, 90, 110, 120], "value": [0.2, 3 / 90, 25 / 110, 0.25],
                           "lower95": 0.1, "upper95": 0.3, "target": 0.17, "provisional": False,
                           "benchmark": 0.1, "status": "green"})
    fig = pack.trajectory_chart(series, measure="bme_share", period="2024-25 Q3", area_name="Test",
                                source="Source: test", demo=False)
    line = next(t for t in fig.data if t.name == "Test")
    assert list(line.x) == periods[:3]  # up to the quarter asked for
    assert math.isnan(line.y[1]) and line.y[0] == pytest.approx(0.2)
    assert pack.HIDDEN_POINTS_NOTE in fig.layout.meta["source"]


def test_a_trajectory_of_only_small_quarters_says_why_it_is_empty() -> None:
    """Every quarter based on 1 to 4 people: the chart says they are hidden, not that there is no data."""
    periods = ["2024-25 Q1", "2024-25 Q2"]
    series = pd.DataFrame({"kpi": "bme_share", "name": "Black and minority ethnic share", "area": "E1",
                           "breakdown": "", "group": "", "period": periods, "numerator": [2, 3],
                           "denominator": [4, 4], "value": [0.5, 0.75], "lower95": 0.1, "upper95": 0.9,
                           "target": 0.17, "provisional": False, "benchmark": 0.1, "status": "green"})
    fig = pack.trajectory_chart(series, measure="bme_share", period="2024-25 Q2", area_name="Test",
                                source="Source: test", demo=False)
    messages = [a.text for a in fig.layout.annotations if a.name == "no_data"]
    assert messages == [pack.ALL_POINTS_HIDDEN]
    empty = pack.trajectory_chart(series.iloc[0:0], measure="bme_share", period="2024-25 Q2", area_name="Test",
                                  source="Source: test", demo=False)
    assert [a.text for a in empty.layout.annotations if a.name == "no_data"] == [theme.NO_DATA_MESSAGE]


def test_write_the_pack_for_people_to_look_at(content: pack.PackContent, pdf: Path, pptx: bytes) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "board-pack.pdf").write_bytes(pdf.read_bytes())
    (ARTEFACTS / "board-pack.pptx").write_bytes(pptx)
    assert (ARTEFACTS / "board-pack.pdf").stat().st_size > 100_000


def test_a_pack_without_targets(demo: tuple[Store, Path], tmp_path: Path) -> None:
    store, _ = demo
    content = pack.pack_content(store, area="E99000103", period=PERIOD, targets=TargetSet(()),
                                comparator="E99000102")
    assert not content.measures and not content.exceptions and content.comparator_name == "Southmere (demo)"
    path = tmp_path / "plain.pdf"
    path.write_bytes(pack.render_pdf(content))
    text = _text(path)
    assert pack.NO_TARGETS in " ".join(text.split()) and "2. Measures with a target" in text
    assert "Comparator" in _text(path, 2) and "Southmere (demo)" in _text(path, 2)
    deck = Presentation(io.BytesIO(pack.render_pptx(content)))
    assert len(deck.slides) == pack.slide_count(content) == 1 + 2 + 1 + 1 + 3
