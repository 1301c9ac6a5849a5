"""Static export: real files from the real Chromium, sized for an A4 column at 300 dpi.

These tests need Chromium (``make system`` installs it). The last one also writes every chart
to ``test-artefacts/charts/`` so a person can look at them.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from charts import export
from charts.export import ExportUnavailable, export_size, figure_bytes
from charts.figures import breakdown_figure, funnel_figure, monthly_figure, spc_figure, trend_figure
from charts.theme import source_text
from tests.charts import sample_frames as sf

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "charts"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _trend():
    return trend_figure(sf.series_frame(), measure="completions_opiate", area_name=sf.AREA_NAME,
                        source=source_text(demo=True), demo=True)


def test_export_size_is_an_a4_column_at_300_dpi():
    fig = _trend()
    width, height, scale = export_size(fig)
    assert width == 643  # 170 mm at 96 CSS px per inch: labels print at their intended point size
    assert int(width * scale) == 2008  # 170 / 25.4 * 300, rounded up
    assert height == fig.layout.height
    _, tall, _ = export_size(fig, height_mm=100)
    assert tall == round(100 / 25.4 * 96)
    with pytest.raises(ValueError):
        export_size(fig, width_mm=0)


def test_png_is_300_dpi_at_a4_column_width():
    fig = _trend()
    data = figure_bytes(fig, fmt="png")
    width, height = _png_size(data)
    assert width == 2008 >= 2000
    assert height == pytest.approx(fig.layout.height * width / 643, abs=2)


def test_svg_and_pdf_signatures():
    fig = _trend()
    svg = figure_bytes(fig, fmt="svg")
    assert svg.lstrip()[:4] == b"<svg"
    assert b"DEMO DATA" in svg and b"synthetic demo data" in svg  # the marks survive export
    assert figure_bytes(fig, fmt="pdf")[:4] == b"%PDF"


def test_export_does_not_change_the_figure_and_reuses_the_server():
    fig = _trend()
    before = fig.to_json()
    figure_bytes(fig, fmt="svg")
    figure_bytes(fig, fmt="svg")
    assert fig.to_json() == before
    assert export._server_ready
    import kaleido

    export._start_server(kaleido)  # a second start is harmless


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="png, svg, pdf"):
        figure_bytes(_trend(), fmt="gif")  # type: ignore[arg-type]


def test_missing_chromium_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    with pytest.raises(ExportUnavailable, match="Chromium") as caught:
        figure_bytes(_trend(), fmt="png")
    assert "make system" in str(caught.value) and "BROWSER_PATH" in str(caught.value)


def test_every_chart_renders_to_png_for_review():
    """Writes each chart as the board pack would print it; the files are for people to look at."""
    demo = source_text(demo=True)
    real = source_text(demo=False, uploaded="2026-11-22", upload_ids=[3, 7])
    figures = {
        "trend": _trend(),
        "spc": spc_figure(sf.series_frame(), measure="completions_opiate", area_name=sf.AREA_NAME, source=real,
                          demo=False),
        "spc_short": spc_figure(sf.series_frame(quarters=8), measure="completions_opiate", area_name=sf.AREA_NAME,
                                source=real, demo=False),
        "funnel": funnel_figure(sf.funnel_frame(), measure="top_compliance", period_label="2026-27 Q2",
                                area_name=sf.AREA_NAME, level_label="provider", source=demo, demo=True,
                                labels=sf.PROVIDER_NAMES),
        "breakdown": breakdown_figure(sf.breakdown_frame(), measure="effective_treatment_rate",
                                      period_label="2026-27 Q2", area_name=sf.AREA_NAME,
                                      breakdown_label="Ethnic group", source=demo, demo=True),
        "monthly": monthly_figure(sf.monthly_frame(), measure="toa_test_rate", area_name=sf.AREA_NAME,
                                  source=demo, demo=True),
        "spc_lower_is_better": spc_figure(sf.series_frame("representations", polarity="down"),
                                          measure="representations", area_name="Southmere (demo)", source=demo,
                                          demo=True),
        "funnel_partnerships": funnel_figure(sf.partnerships_frame(), measure="top_compliance", period_label="2026-27 Q2",
                                             area_name="England", level_label="partnership", source=real,
                                             demo=False),
        "no_data": trend_figure(sf.series_frame().iloc[0:0], measure="completions_opiate",
                                area_name=sf.AREA_NAME, source=demo, demo=True),
    }
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        data = figure_bytes(fig, fmt="png")
        assert _png_size(data)[0] >= 2000, name
        (ARTEFACTS / f"{name}.png").write_bytes(data)
