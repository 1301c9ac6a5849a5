"""The quarterly board pack for the joint commissioning group, as a PDF (A4) or a PowerPoint
deck (16:9).

The pack holds a cover, the RAG scorecard (reds first), one page or slide for each measure
that has a target (its trajectory chart, the figures and a plain-English reading), the
exception report by provider and team, and an appendix of definitions from the registry.

:mod:`charts.pack.content` gathers everything once (:func:`pack_content`: figures from
``metrics.reports``, small numbers protected, each chart rendered once as a PNG);
:mod:`charts.pack.pdf` (:func:`render_pdf`) and :mod:`charts.pack.pptx` (:func:`render_pptx`)
only lay it out, so both formats say the same thing. Status is always written in words and
symbols, never colour alone. The pack reads only aggregate results, so no client identifier
can reach it.

Callers import the package (``from charts import pack``); every name they use is here.
"""

from __future__ import annotations

from charts.pack.content import (
    ALL_POINTS_HIDDEN,
    CHART_DPI,
    CHART_WIDTH_MM,
    COVERAGE_NOTE,
    DEMO_MARK,
    HIDDEN_POINTS_NOTE,
    MAX_COMPARISONS,
    NO_DATA,
    NO_TARGETS,
    PACK_TITLE,
    PROVISIONAL_NOTE,
    PUBLISHED_NOTE,
    STATUS_TINTS,
    SUPPRESSED_NOTE,
    ZEBRA,
    ComparisonSection,
    Definition,
    ExceptionLine,
    MeasureSection,
    PackContent,
    PackError,
    ScorecardLine,
    area_names,
    breakdown_frame,
    check_selection,
    data_source,
    pack_content,
    protect_levels,
    trajectory_chart,
)
from charts.pack.pdf import TILE_WORDS, board_pack_pdf, render_pdf
from charts.pack.pptx import (
    DEFINITION_SLIDE_ROWS,
    EXCEPTION_SLIDE_ROWS,
    SCORECARD_SLIDE_ROWS,
    board_pack_pptx,
    render_pptx,
    slide_count,
)

__all__ = [
    "ALL_POINTS_HIDDEN", "CHART_DPI", "CHART_WIDTH_MM", "COVERAGE_NOTE", "DEFINITION_SLIDE_ROWS", "DEMO_MARK",
    "EXCEPTION_SLIDE_ROWS", "HIDDEN_POINTS_NOTE", "NO_DATA", "NO_TARGETS", "PACK_TITLE", "PROVISIONAL_NOTE",
    "PUBLISHED_NOTE", "SCORECARD_SLIDE_ROWS", "STATUS_TINTS", "SUPPRESSED_NOTE", "TILE_WORDS", "ZEBRA",
    "MAX_COMPARISONS", "ComparisonSection", "Definition", "ExceptionLine", "MeasureSection", "PackContent", "PackError", "ScorecardLine", "area_names",
    "board_pack_pdf", "board_pack_pptx", "breakdown_frame", "check_selection", "data_source", "pack_content",
    "protect_levels", "render_pdf", "render_pptx", "slide_count", "trajectory_chart",
]
