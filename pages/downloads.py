"""Download buttons for charts, tables and the board pack (the Streamlit side of ``charts.export``,
``charts.tables`` and ``charts.pack``).

Nothing is rendered until someone asks: the chart and table buttons pass a callable to
``st.download_button`` (Streamlit 1.67 runs it when the button is clicked, on its own thread),
so a page never waits for Chromium to draw a chart nobody downloads. Every table goes through
``charts.tables``: small numbers suppressed, formulas made inert. The board pack is built on
request and cached for the data version, so a second download costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from charts import pack, tables
from charts.export import ExportUnavailable, browser_path, figure_bytes
from charts.figures import say_all_withheld
from metrics.targets import TargetSet
from pages import state

CHART_FORMATS = (
    ("png", "PNG, print quality (300 dpi)", "image/png"),
    ("svg", "SVG, vector (for editing)", "image/svg+xml"),
    ("pdf", "PDF, vector", "application/pdf"),
)
PACK_FORMATS = {"pdf": ("PDF, A4 (to print or attach)", "application/pdf"),
                "pptx": ("PowerPoint, 16:9 (to present)",
                         "application/vnd.openxmlformats-officedocument.presentationml.presentation")}


def file_stem(name: str) -> str:
    """A safe file name: 'Northvale (demo) 2024-25 Q3' -> 'northvale-demo-2024-25-q3'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "download"


def _chart_file(fig: go.Figure, fmt: str) -> Callable[[], bytes]:
    return lambda: figure_bytes(fig, fmt=fmt)  # type: ignore[arg-type]


def chart_downloads(fig: go.Figure, *, name: str) -> None:
    """A "Download this chart" menu: PNG (300 dpi, an A4 column), SVG and PDF, each drawn only
    when its button is clicked."""
    stem = file_stem(name)
    with st.popover("Download this chart", icon=":material/download:"):
        if browser_path() is None:
            st.info("Saving charts as files needs the Chromium browser on the computer running the dashboard "
                    "(`make system` installs it).")
            return
        st.caption("Sized for an A4 column (170 mm wide), with the title and source line.")
        for fmt, label, mime in CHART_FORMATS:
            st.download_button(label, data=_chart_file(fig, fmt), file_name=f"{stem}.{fmt}", mime=mime,
                               on_click="ignore", key=f"chart-{stem}-{fmt}", width="stretch")


def show_chart(fig: go.Figure, *, name: str, export: go.Figure | None = None) -> None:
    """A chart in the house style (Streamlit's own theme would replace its fonts and colours),
    with its download menu (of ``export`` when given: the chart fit to leave the dashboard)."""
    # Keyed by name (unique on a page, as the download buttons' keys already need): two charts that both
    # say "no data" are otherwise the same element to Streamlit, which refuses the second.
    st.plotly_chart(fig, width="stretch", theme=None, key=f"plot-{file_stem(name)}")
    chart_downloads(export if export is not None else fig, name=name)


def show_figure(draw: Callable[..., go.Figure], data: pd.DataFrame, *, name: str, source: str,
                **options: Any) -> None:
    """``draw(data, ...)`` on screen; its downloads drawn from the same data with small numbers hidden
    (``charts.tables.hide_small``), saying so in the source line, since a file leaves the dashboard."""
    fig = draw(data, source=source, **options)
    safe, hidden = tables.hide_small(data)
    export = None
    if hidden:
        export = say_all_withheld(draw(safe, source=f"{source.rstrip('.')}. {tables.CHART_HIDDEN_NOTE}", **options))
    show_chart(fig, name=name, export=export)


def table_downloads(frame: pd.DataFrame, *, name: str, title: str | None = None) -> None:
    """CSV and Excel downloads of a table of figures, suppressed and safe to open."""
    stem = file_stem(name)
    # Made safe only when a button is clicked: suppressing a table on every run of every page took a
    # sixth of the server's time with many sessions at once (bench/README.md, "Many people at once").
    left, right = st.columns(2)
    left.download_button("Download as CSV", data=lambda: tables.to_csv_bytes(tables.safe_table(frame)),
                         file_name=f"{stem}.csv", mime="text/csv", on_click="ignore", key=f"table-{stem}-csv",
                         icon=":material/download:")
    right.download_button(
        "Download as Excel", data=lambda: tables.to_xlsx_bytes(tables.safe_table(frame), title=title or name),
        file_name=f"{stem}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore", key=f"table-{stem}-xlsx", icon=":material/download:")


@st.cache_data(show_spinner=False, max_entries=4)
def _board_pack(version: str, area: str, period: str, comparator: str, fmt: str, produced: str,
                targets: TargetSet) -> bytes:
    build = pack.board_pack_pdf if fmt == "pdf" else pack.board_pack_pptx
    return build(state.store(), area=area, period=period, targets=targets, comparator=comparator,
                 produced=date.fromisoformat(produced))


def board_pack(version: str, selection: state.Selection, fmt: str, targets: TargetSet) -> tuple[bytes, str]:
    """The board pack's bytes for the selection, or b'' and the reason it cannot be made."""
    try:
        return _board_pack(version, selection.area, selection.period.label, selection.comparator, fmt,
                           date.today().isoformat(), targets), ""
    except (pack.PackError, ExportUnavailable) as exc:
        return b"", str(exc)


@st.cache_data(show_spinner=False)
def breakdown_table(version: str, kpi: str, area: str, period: str, breakdown: str,
                    targets: TargetSet) -> pd.DataFrame:
    """A measure for the partnership and each group of a breakdown (unsuppressed: show it
    through :func:`safe_table`)."""
    return pack.breakdown_frame(state.store(), kpi=kpi, area=area, period=period, breakdown=breakdown,
                                targets=targets)
