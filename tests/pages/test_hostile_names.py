"""Names from files are text, never markup, and the comparator is named right everywhere
(issue 12, items 11 and 7).

A database of the sample extracts (tests/fixtures/samples) plus an ``indicators`` upload that
names the sample partnership and a comparator with hostile names (a markdown link, emphasis,
HTML, a plotly template, Streamlit's own codes, a right-to-left override, a control character,
a name long enough to need shortening), a journeys extract whose TEAM is hostile (AGNCY is 1 to
12 letters or digits, so it cannot be), and a second comparator with a plain name. Every page
runs under AppTest with the hostile comparator chosen; what it sends to the browser is read
back: every markdown source (rendered with a CommonMark renderer: no link, no HTML, the name's
text all there), every plotly spec (the names escaped for plotly), every table. Then every page
with the plain comparator: its name wherever the comparator is labelled, with its figures, and
'England' nowhere. The board pack and an exported chart are read back too.

The comparator is chosen by setting the sidebar's ``comparator`` key before the first run: under
AppTest the sidebar of this app is only drawn on the first run (a rerun runs the page alone), so
``at.sidebar.selectbox(key="comparator").set_value(...).run()`` would change nothing.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from charts import figures, pack, plain_text
from charts.export import figure_bytes
from loaders.load import LoadResult, load_file
from loaders.store import open_store
from metrics import reports
from metrics.registry import MEASURES, measure, measure_ids
from metrics.results import refresh_results
from metrics.targets import load_targets
from tests.charts.test_plain_text import GFM_AUTOLINKS
from tests.conftest import INDICATOR_HEADER, SAMPLES
from tests.pages.helpers import ROOT

PARTNERSHIP = "E08000999"  # the sample extracts' DAT
HOSTILE_COMPARATOR = "E09000902"
PLAIN_COMPARATOR = "E09000903"
PERIOD = "2024-25 Q2"  # the samples' latest quarter
PLAIN_NAME = "Southdale"
PLAIN_PROPORTION, PLAIN_COUNT = 0.4, 10.0  # the plain comparator's every published figure
LINK = "[Click to verify your account](https://evil.example/login)"
PARTNERSHIP_NAME = (f"{LINK} **Northvale** <b>bold</b> \u202eevil\u202c\x07 _emphasis_ "
                    "and a name long enough to need shortening in every title and legend")
COMPARATOR_NAME = ('%{meta} *Westdale* <a href="https://evil.example">here</a> [Verify](https://evil.example/c) '
                   ":red[x] $x$ \u2066rtl\u2069")
TEAM = "[T](https://e.vil)<b>x</b>_y_\u202e"  # TEAM is free text of up to 32 characters
FILE_NAME = "[Verify](https:\u2044\u2044evil.example) **now** <img src=x> \u202egpj.csv"
HEADER_CELL = "[MORE](HTTPS:\u2044\u2044EVIL.EXAMPLE)"  # an unknown column (upper case, as headers are read): quoted
PAGES = ["overview", "trajectories", "providers", "equality", "criminal_justice", "quality", "export", "upload",
         "about"]

# What must never reach the browser as typed: each would be live markup in markdown or in plotly.
RAW = [LINK, "**Northvale**", "<b>bold</b>", "_emphasis_", "*Westdale*", "[Verify](https://evil.example/c)",
       '<a href="https://evil.example">', "%{meta}", ":red[x]", "$x$", "[T](https://e.vil)", "<b>x</b>",
       "<img src=x>", HEADER_CELL, "**now**"]
HIDDEN = ["\u202e", "\u202c", "\u2066", "\u2069", "\x07"]  # never shown anywhere, in any form
# What plotly would read as markup or fill in (its text shows '**' and '[...](...)' as typed, which is right).
RAW_PLOTLY = ["<b>bold</b>", '<a href="https://evil.example">', "%{meta}", "<b>x</b>", "<img src=x>"]
_MD = MarkdownIt("commonmark").enable(["strikethrough", "table"])


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------


def _indicators() -> bytes:
    """The names, and every measure published for both comparators for the latest quarter's window."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*INDICATOR_HEADER.split(","), HEADER_CELL])
    writer.writerow([PARTNERSHIP, PARTNERSHIP_NAME, "iom_cohort", "", PERIOD, "", "", 140, "count", "", "", ""])
    for code, name, proportion in ((HOSTILE_COMPARATOR, COMPARATOR_NAME, 0.5),
                                   (PLAIN_COMPARATOR, PLAIN_NAME, PLAIN_PROPORTION)):
        for m in MEASURES:
            value = proportion if m.unit == "proportion" else PLAIN_COUNT
            writer.writerow([code, name, m.id, "", "12m to 2024-09-30", "", "", value, m.unit, "", "", ""])
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[LoadResult]]]:
    """The database, and the results of the hostile upload (loaded) and of a hostile file rejected."""
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.duckdb"
    files = {
        "journeys.csv": (SAMPLES / "journeys.csv").read_text().replace("CJIT", TEAM).encode("utf-8"),
        **{name: (SAMPLES / name).read_bytes() for name in ("tops.csv", "dip.csv", "indicators.csv")},
        FILE_NAME: _indicators(),
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_CLIENT_KEY_FILE", str(folder / "client.key"))
        with open_store(path) as store:
            results = [load_file(store, data=data, file_name=name, measure_ids=measure_ids(),
                                 on_change=refresh_results) for name, data in files.items()]
            assert [r.status for r in results] == ["loaded"] * len(files), [r.problems for r in results]
            rejected = load_file(store, data=f"{INDICATOR_HEADER}\nE08000999,x,iom_cohort,,{PERIOD},,,many,,,\n"
                                 .encode(), file_name=FILE_NAME, measure_ids=measure_ids())
            assert rejected.status == "rejected"
    yield path, [results[-1], rejected]


@pytest.fixture
def database(hostile: tuple[Path, list[LoadResult]], monkeypatch: pytest.MonkeyPatch) -> list[LoadResult]:
    monkeypatch.setenv("KPI_DB", str(hostile[0]))
    return hostile[1]


# A proportion: a count's trend does not draw the comparator's count (charts.figures.trend_figure), so
# Trajectories is opened on a proportion. (The Export page's chart leaves out every quarter of a proportion
# here, the samples being a handful of clients: it stays on its first measure, a count.)
KPI = "effective_treatment_rate"


def _open(page: str, *, comparator: str, upload_results: list[LoadResult] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["comparator"] = comparator
    if page == "trajectories":
        at.session_state["kpi"] = KPI
    if upload_results is not None:
        at.session_state["upload_results"] = upload_results
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, at.exception
    if page not in ("upload", "about"):
        selection = at.session_state["selection"]
        assert (selection.area, selection.comparator, selection.period.label) == (PARTNERSHIP, comparator, PERIOD)
    return at


# --------------------------------------------------------------------------------------------
# Reading back what the browser gets
# --------------------------------------------------------------------------------------------


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _proto_strings(message: Any, names: frozenset[str]) -> Iterator[str]:
    """The string fields called ``names`` anywhere in a protobuf message."""
    for field, value in message.ListFields():
        repeated = hasattr(value, "__len__") and not isinstance(value, str | bytes) and not hasattr(value, "ListFields")
        for item in (value if repeated else [value]):
            if hasattr(item, "ListFields"):
                yield from _proto_strings(item, names)
            elif field.name in names and isinstance(item, str):
                yield item


def _markdown_sources(at: AppTest) -> list[str]:
    """Every text Streamlit draws as markdown: titles, captions, markdown, alerts, metric and widget
    labels and help, radio options. (Selectbox options and tables are plain text; charts are plotly.)"""
    sources = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or type(proto).__name__ in ("ArrowProto", "PlotlyChartProto", "Arrow", "PlotlyChart"):
            continue
        names = frozenset({"body", "label", "help"} | ({"options"} if type(proto).__name__ == "Radio" else set()))
        sources += list(_proto_strings(proto, names))
    return sources


def _rendered(source: str) -> tuple[str, list[str]]:
    """A markdown source as a reader sees it: its text (word joiners, which show as nothing, left out),
    and the hrefs of its links, the addresses Streamlit would link and any HTML in it."""
    text, live = [], []
    for block in _MD.parse(source):
        if block.type.startswith("html"):
            live.append(block.content)
        for token in block.children or []:
            if token.type in ("text", "code_inline"):
                text.append(token.content)
                live += [m.group(0) for pattern in GFM_AUTOLINKS for m in pattern.finditer(token.content)]
            elif token.type in ("softbreak", "hardbreak"):
                text.append(" ")
            elif token.type in ("link_open", "image"):
                live.append(str(token.attrs.get("href") or token.attrs.get("src")))
            elif token.type.startswith("html"):
                live.append(token.content)
    return "".join(text).replace(plain_text.WORD_JOINER, ""), live


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _numbers(values: Any) -> list[float]:
    """A plotly array as the browser gets it (base64 typed arrays included), its numbers only."""
    if isinstance(values, dict) and "bdata" in values:
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    return [float(v) for v in values or [] if isinstance(v, int | float) and np.isfinite(v)]


def _tables(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def _table_strings(frame: pd.DataFrame) -> list[str]:
    cells = [v for column in frame.columns for v in frame[column] if isinstance(v, str)]
    return [str(c) for c in frame.columns] + cells


def _titles(chart: dict[str, Any]) -> str:
    """A chart's title as plotly gets it, its lines joined again."""
    return chart["layout"]["title"]["text"].replace("<br>", " ")


def _trace_names(charts: list[dict[str, Any]]) -> list[str]:
    return [t.get("name", "") for chart in charts for t in chart["data"]]


# --------------------------------------------------------------------------------------------
# Item 11: every page, hostile names
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_names_from_files_are_plain_text_on_every_page(page: str, database: list[LoadResult]) -> None:
    at = _open(page, comparator=HOSTILE_COMPARATOR, upload_results=database if page == "upload" else None)
    sources = _markdown_sources(at)
    assert sources
    for source in sources:
        text, live = _rendered(source)
        assert live == [], (source, live)  # no link, image or HTML, whatever the names hold
        for raw in RAW + HIDDEN:
            assert raw not in source, (raw, source)

    charts, tables = _charts(at), _tables(at)
    for chart in charts:
        for text in _strings(chart):
            for raw in RAW_PLOTLY + HIDDEN:
                assert raw not in text, (raw, text)
    for table in tables:
        for text in _table_strings(table):
            assert not set(text) & set("".join(HIDDEN)), text
    for option in (o for box in at.selectbox for o in box.options):
        assert not set(option) & set("".join(HIDDEN)), option

    shown = [_rendered(s)[0] for s in sources]
    title = plain_text.shorten(PARTNERSHIP_NAME, plain_text.TITLE)
    if page not in ("upload", "about"):  # the pages of the partnership: its name, shortened, as written
        assert title.endswith(plain_text.ELLIPSIS) and LINK in title
        assert any(title in s for s in shown), shown[:3]
    if page in ("overview", "equality", "quality", "export"):  # the comparator named in captions
        assert any(plain_text.clean(COMPARATOR_NAME) in s for s in shown), shown
    if page in ("trajectories", "equality", "criminal_justice", "quality", "providers"):
        assert any(plain_text.for_plotly(title) in _titles(c) for c in charts), [_titles(c) for c in charts]
    if page in ("trajectories", "equality", "criminal_justice", "export"):  # the legend: the area and comparator
        names = _trace_names(charts)
        assert plain_text.for_plotly(PARTNERSHIP_NAME, limit=plain_text.LEGEND) in names, names
        if page in ("criminal_justice", "export"):  # referrals, numbers in treatment: counts: the comparator's count is said in a note, not drawn
            notes = [a["text"] for c in charts for a in c["layout"].get("annotations", [])]
            assert any(plain_text.for_plotly(COMPARATOR_NAME, limit=plain_text.LEGEND) + "'s count" in n
                       for n in notes), notes
        else:
            assert plain_text.for_plotly(COMPARATOR_NAME, limit=plain_text.LEGEND) in names, names
    if page == "upload":  # the file's name and the header cell the loader quotes, as written
        assert any(plain_text.clean(FILE_NAME) in s for s in shown), shown
        assert any(plain_text.clean(HEADER_CELL) in s for s in shown), shown
        assert any(plain_text.clean(FILE_NAME) in o for box in at.selectbox for o in box.options)


def test_team_names_from_files_are_plain_text(database: list[LoadResult]) -> None:
    """The Providers page compared by team: the hostile TEAM labels a funnel point and a table row."""
    at = _open("providers", comparator=HOSTILE_COMPARATOR)
    at.radio[0].set_value("team").run()
    assert not at.exception, at.exception
    charts = _charts(at)
    team = f"NRC01/{TEAM}"
    labels = [text for chart in charts for t in chart["data"] for text in (t.get("text") or [])]
    assert plain_text.for_plotly(team) in labels, labels
    hover = [row[0] for chart in charts for t in chart["data"] for row in (t.get("customdata") or [])]
    assert plain_text.for_plotly(team) in hover
    for chart in charts:
        for text in _strings(chart):
            assert "<b>x</b>" not in text and "\u202e" not in text, text  # '[T](...)' shows as typed
    groups = [g for table in _tables(at) if "Group" in table for g in table["Group"]]
    assert plain_text.clean(team) in groups, groups  # the whole name, as written, in the table


def test_an_exported_chart_draws_the_names_as_written(database: list[LoadResult]) -> None:
    """Plotly itself (in Chromium, through kaleido) draws the escaped names as the characters typed:
    the SVG's text is the name, with no link and no bold. The names are short enough for every tag in
    them to be whole in the title and the legend."""
    area, comparator = '<a href="https://e.vil">N</a><b>v</b>', "%{meta} <i>West</i>dale"
    with open_store() as store:
        data = reports.series(store, kpi="effective_treatment_rate", area=PARTNERSHIP, targets=load_targets(),
                              comparator=HOSTILE_COMPARATOR)
    fig = figures.trend_figure(data, measure="effective_treatment_rate", area_name=area,
                               source="Source: test", demo=False, benchmark_name=comparator)
    svg = figure_bytes(fig, fmt="svg").decode("utf-8")
    assert "e.vil" not in re.sub(r"<text[^>]*>.*?</text>", "", svg, flags=re.S)  # no href anywhere
    assert "<a " not in svg
    texts = " ".join(re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text[^>]*>.*?</text>", svg, flags=re.S))
    texts = html.unescape(texts)  # the SVG's own XML escaping, not plotly's
    assert "font-weight" not in svg and "font-style: italic" not in svg
    assert texts.count(area) == 2 and texts.count(comparator) == 1  # title and legend; legend (%{meta} not filled in)


def test_the_board_pack_shows_the_names_as_written(database: list[LoadResult], tmp_path: Path) -> None:
    with open_store() as store:
        content = pack.pack_content(store, area=PARTNERSHIP, period=PERIOD, targets=load_targets(),
                                    comparator=HOSTILE_COMPARATOR)
    assert content.area_name == plain_text.clean(PARTNERSHIP_NAME)
    assert content.measures  # pages with the trajectory chart, whose legend names both
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(pack.render_pdf(content))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert plain_text.clean(PARTNERSHIP_NAME) in flat  # the cover's facts: the whole name, as written
    assert plain_text.clean(COMPARATOR_NAME) in flat
    assert "<b>bold</b>" in flat and LINK in flat
    assert not set(text) & set("".join(HIDDEN))
    assert b"/URI" not in pdf.read_bytes()  # no link annotation: reportlab makes one of <a href> only

    pptx = pack.render_pptx(content)
    deck = Presentation(io.BytesIO(pptx))
    slides = ["\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
              + "\n".join(cell.text for shape in slide.shapes if getattr(shape, "has_table", False)
                          and shape.has_table for row in shape.table.rows for cell in row.cells)
              for slide in deck.slides]
    assert plain_text.shorten(PARTNERSHIP_NAME, plain_text.TITLE) in slides[0]
    assert plain_text.clean(COMPARATOR_NAME) in slides[0]
    assert not set("".join(slides)) & set("".join(HIDDEN))
    with zipfile.ZipFile(io.BytesIO(pptx)) as parts:
        xml = b"".join(parts.read(n) for n in parts.namelist() if n.endswith(".xml"))
    assert b"evil.example/login" in xml and b"hlinkClick" not in xml  # the name as text, never a link


# --------------------------------------------------------------------------------------------
# Item 7: every page with a comparator other than England
# --------------------------------------------------------------------------------------------

# Where each page labels the comparator: in captions, in a table's headings, as a chart's line.
LABELLED = {
    "overview": {"caption", "table"},
    "trajectories": {"chart"},
    "providers": set(),  # providers and teams are compared with the partnership, not the comparator
    "equality": {"caption", "chart"},
    "criminal_justice": {"note", "figures"},  # referrals are a count: the comparator's is in a note and the table
    "quality": {"caption"},
    "export": {"caption", "note"},  # numbers in treatment, a count (see KPI)
}


@pytest.mark.parametrize("page", LABELLED)
def test_the_comparator_chosen_is_named_everywhere(page: str, database: list[LoadResult]) -> None:
    at = _open(page, comparator=PLAIN_COMPARATOR)
    shown = [_rendered(s)[0] for s in _markdown_sources(at)]
    charts, tables = _charts(at), _tables(at)
    everything = shown + [s for c in charts for s in _strings(c)] + [s for t in tables for s in _table_strings(t)]
    assert not [s for s in everything if "England" in s]  # England is not the comparator here

    where = LABELLED[page]
    if "caption" in where:
        assert [s for s in shown if re.search(rf"\b{PLAIN_NAME}\b", s)], shown
    if "table" in where:
        table = next(t for t in tables if "Compared with " + PLAIN_NAME in t.columns)
        rates = table[table["Measure"] == measure("effective_treatment_rate").name]
        assert list(rates[PLAIN_NAME]) == [f"{PLAIN_PROPORTION:.1%}"]  # the figure is the comparator's own
    if "note" in where:
        notes = [a["text"] for c in charts for a in c["layout"].get("annotations", [])]
        assert any(f"{PLAIN_NAME}'s count is not drawn" in n for n in notes), notes
    if "figures" in where:  # the chart's text alternative: the comparator's own figures in a column of its name
        table = next(t for t in tables if PLAIN_NAME in t.columns and "Period" in t.columns)
        assert set(table[PLAIN_NAME]) - {""} == {f"{PLAIN_COUNT:,.0f}"}, table  # published for the latest quarter
    if "chart" in where:
        lines = [t for c in charts for t in c["data"] if t.get("name") == PLAIN_NAME]
        assert lines, _trace_names(charts)
        for line in lines:
            assert line["hovertemplate"].startswith(f"{PLAIN_NAME}: ")
            values = _numbers(line["y"])
            assert values and set(values) <= {PLAIN_PROPORTION, PLAIN_COUNT}, values  # its own figures
