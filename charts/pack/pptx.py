"""The board pack as a 16:9 PowerPoint deck (python-pptx).

:func:`render_pptx` lays out a :class:`~charts.pack.content.PackContent` and computes nothing:
a cover, the scorecard, one slide for each measure with a target (its reading and definition in
the speaker notes), the exception report and the appendix of definitions, long tables spread
over as many slides as they need (:func:`slide_count`). Status is always written in words and
symbols, never colour alone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from charts import plain_text, theme
from charts.pack.content import (
    COVERAGE_NOTE,
    DEMO_MARK,
    NO_TARGETS,
    PACK_TITLE,
    PROVISIONAL_NOTE,
    PUBLISHED_NOTE,
    STATUS_TINTS,
    SUPPRESSED_NOTE,
    ZEBRA,
    PackContent,
    _bold_runs,
    _status_text,
    pack_content,
)
from loaders.extracts import ENGLAND
from loaders.periods import Quarter
from loaders.store import Store
from metrics import reports
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS, TargetSet

SCORECARD_SLIDE_ROWS = 13
EXCEPTION_SLIDE_ROWS = 14
DEFINITION_SLIDE_ROWS = 9
_SLIDE_EMU = (12_192_000, 6_858_000)  # PowerPoint's own 16:9 (13.333 x 7.5 inches)
_SLIDE_W, _SLIDE_H = _SLIDE_EMU[0] / 914_400, _SLIDE_EMU[1] / 914_400
_PPT_FONT = "Arial"


def _chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [items[:0]]


def slide_count(content: PackContent) -> int:
    """How many slides :func:`render_pptx` makes of ``content``."""
    return (1 + len(_chunks(content.scorecard, SCORECARD_SLIDE_ROWS)) + max(1, len(content.measures))
            + (len(_chunks(content.indicators, SCORECARD_SLIDE_ROWS)) if content.indicators else 0)
            + len(content.comparisons)
            + len(_chunks(content.exceptions, EXCEPTION_SLIDE_ROWS))
            + len(_chunks(content.definitions, DEFINITION_SLIDE_ROWS)))


def render_pptx(content: PackContent) -> bytes:
    """The pack as a 16:9 PowerPoint deck."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    def rgb(hex_colour: str) -> RGBColor:
        return RGBColor.from_string(hex_colour.lstrip("#").upper())

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(_SLIDE_EMU[0]), Emu(_SLIDE_EMU[1])
    props = prs.core_properties
    props.title = f"{PACK_TITLE}: {content.area_name}, {content.period}"
    props.subject = "Board pack for the joint commissioning group"
    props.author = "Drug and alcohol treatment dashboard"
    blank = prs.slide_layouts[6]
    total = slide_count(content)

    def text(slide, x: float, y: float, w: float, h: float, paragraphs: Sequence[object], *, size: float = 14,
             colour: str = theme.TEXT, bold: bool = False, align: object = None, anchor: object = None,
             space_after: float = 0) -> object:
        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        frame = box.text_frame
        frame.word_wrap = True
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        if anchor is not None:
            frame.vertical_anchor = anchor
        for i, para in enumerate(paragraphs):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            if align is not None:
                p.alignment = align
            p.space_after = Pt(space_after)
            runs = para if isinstance(para, list) else [(str(para), bold)]
            for run_text, run_bold, *rest in runs:
                run = p.add_run()
                run.text = run_text
                run.font.name = _PPT_FONT
                run.font.size = Pt(rest[1] if len(rest) > 1 else size)
                run.font.bold = run_bold
                run.font.color.rgb = rgb(rest[0] if rest and rest[0] else colour)
        return box

    def rect(slide, x: float, y: float, w: float, h: float, fill: str, line: str | None = None) -> object:
        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(w), Inches(h))
        shape.fill.solid()
        shape.fill.fore_color.rgb = rgb(fill)
        if line:
            shape.line.color.rgb = rgb(line)
            shape.line.width = Pt(1.5)
        else:
            shape.line.fill.background()
        shape.shadow.inherit = False
        return shape

    def new_slide(title: str, section: str, number: int) -> object:
        slide = prs.slides.add_slide(blank)
        text(slide, 0.5, 0.25, 9.5, 0.3, [content.running_head], size=11, colour=theme.SECONDARY_TEXT)
        text(slide, 0.5, 0.55, 12.3, 0.6, [title], size=26, bold=True, colour=theme.DARK_BLUE,
             anchor=MSO_ANCHOR.TOP)
        rect(slide, 0.5, 1.17, 12.333, 0.03, theme.DARK_BLUE)
        footer(slide, number, section)
        return slide

    def footer(slide, number: int, section: str) -> None:
        rect(slide, 0.5, 6.98, 12.333, 0.01, theme.GRIDLINE)
        text(slide, 0.5, 7.05, 9.8, 0.3, [f"{content.source}. Produced {reports.long_date(content.produced)}."], size=10,
             colour=theme.SECONDARY_TEXT)
        text(slide, 10.3, 7.05, 2.533, 0.3, [f"{section} · {number} / {total}"], size=10,
             colour=theme.SECONDARY_TEXT, align=PP_ALIGN.RIGHT)
        if content.demo:
            badge = rect(slide, 10.25, 0.2, 2.583, 0.34, "#FFFFFF", line=theme.DARK_PINK)
            frame = badge.text_frame
            frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
            p = frame.paragraphs[0]
            p.alignment = PP_ALIGN.CENTER
            run = p.add_run()
            run.text = DEMO_MARK
            run.font.name, run.font.size, run.font.bold = _PPT_FONT, Pt(11), True
            run.font.color.rgb = rgb(theme.DARK_PINK)

    def table(slide, y: float, headers: list[str], widths: list[float], rows: list[list[str]],
              statuses: list[str], *, right_from: int, size: float, row_h: float) -> None:
        shape = slide.shapes.add_table(len(rows) + 1, len(headers), Inches(0.5), Inches(y),
                                       Inches(sum(widths)), Inches(row_h * (len(rows) + 1)))
        tbl = shape.table
        # "No Style, No Grid": every fill below is set by hand, so the theme's banding cannot recolour it.
        tbl._tbl.tblPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}tableStyleId").text = (
            "{2D5ABB26-0587-4C30-8999-92F81FD0307C}")
        for j, w in enumerate(widths):
            tbl.columns[j].width = Inches(w)
        for i in range(len(rows) + 1):
            tbl.rows[i].height = Inches(row_h)
        for i, values in enumerate([headers, *rows]):
            status = statuses[i - 1] if i else ""
            for j, value in enumerate(values):
                c = tbl.cell(i, j)
                c.margin_left = c.margin_right = Inches(0.06)
                c.margin_top = c.margin_bottom = Inches(0.02)
                c.vertical_anchor = MSO_ANCHOR.MIDDLE
                c.fill.solid()
                if i == 0:
                    c.fill.fore_color.rgb = rgb(theme.DARK_BLUE)
                elif j == 0:
                    c.fill.fore_color.rgb = rgb(STATUS_TINTS[status])
                else:
                    c.fill.fore_color.rgb = rgb(ZEBRA if i % 2 == 0 else "#FFFFFF")
                p = c.text_frame.paragraphs[0]
                p.alignment = PP_ALIGN.RIGHT if j >= right_from else PP_ALIGN.LEFT
                run = p.add_run()
                run.text = value
                run.font.name, run.font.size = _PPT_FONT, Pt(size)
                run.font.bold = i == 0 or j == 0
                run.font.color.rgb = rgb("#FFFFFF" if i == 0 else theme.RAG_TEXT_COLOURS[status] if j == 0
                                         else theme.TEXT)

    def picture(slide, png: bytes, size: tuple[int, int], *, height: float, max_width: float) -> float:  # noqa: ANN001
        """A chart at the slide's left, ``height`` inches tall unless that makes it wider than ``max_width``;
        returns its width in inches."""
        width_px, height_px = size
        w, h = height * width_px / height_px, height
        if w > max_width:
            w, h = max_width, max_width * height_px / width_px
        slide.shapes.add_picture(io.BytesIO(png), Inches(0.5), Inches(1.3), Inches(w), Inches(h))
        return w

    number = 1
    # Cover.
    slide = prs.slides.add_slide(blank)
    rect(slide, 0, 0, _SLIDE_W, 3.6, theme.DARK_BLUE)
    rect(slide, 0, 3.6, _SLIDE_W, 0.08, theme.TURQUOISE)
    text(slide, 0.7, 0.7, 11.5, 0.4, ["BOARD PACK FOR THE JOINT COMMISSIONING GROUP"], size=13, bold=True,
         colour="#FFFFFF")
    cover_name = plain_text.shorten(content.area_name, plain_text.TITLE)
    cover_size = 40 if len(cover_name) <= 30 else 30 if len(cover_name) <= 42 else 24  # a long name on one line
    text(slide, 0.7, 1.15, 11.5, 0.9, [cover_name], size=cover_size, bold=True, colour="#FFFFFF")
    text(slide, 0.7, 2.1, 11.5, 0.5, [f"{PACK_TITLE}, {content.period}"], size=22, colour="#FFFFFF")
    text(slide, 0.7, 2.7, 11.5, 0.7, [f"Rolling 12 months to {reports.long_date(content.window_end)}",
                                      f"Produced {reports.long_date(content.produced)} · compared with "
                                      f"{content.comparator_name}"], size=15, colour="#FFFFFF")
    for j, status in enumerate(("red", "amber", "green", "grey")):
        x = 0.7 + j * 3.0
        rect(slide, x, 4.05, 2.8, 1.35, STATUS_TINTS[status])
        rect(slide, x, 4.05, 2.8, 0.07, theme.RAG_COLOURS[status])
        text(slide, x + 0.2, 4.2, 2.5, 0.6, [f"{STATUS_SYMBOLS[status]} {content.counts[status]}"], size=30,
             bold=True, colour=theme.RAG_TEXT_COLOURS[status])
        text(slide, x + 0.2, 4.85, 2.5, 0.45, [STATUS_WORDS[status]], size=14, colour=theme.TEXT)
    if content.demo:
        box = rect(slide, 0.7, 5.65, 11.8, 0.95, "#FFFFFF", line=theme.DARK_PINK)
        box.text_frame.text = ""
        text(slide, 0.9, 5.73, 11.4, 0.8, [[(DEMO_MARK, True, theme.DARK_PINK, 16)],
                                           [("Every figure comes from the dashboard's synthetic demo data: no "
                                             "real people, no real service.", False, theme.TEXT, 13)]])
    text(slide, 0.7, 7.05, 12.0, 0.3, [f"{content.source}."], size=10, colour=theme.SECONDARY_TEXT)

    # Scorecard.
    chunks = _chunks(content.scorecard, SCORECARD_SLIDE_ROWS)
    for k, chunk in enumerate(chunks, start=1):
        number += 1
        more = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        slide = new_slide(f"Scorecard, {content.period}{more}", "Scorecard", number)
        table(slide, 1.35, ["Status", "Measure", "Value", "Target", "Gap", "Cases needed", content.comparator_label,
                            f"vs {content.comparator_label}"],
              [1.75, 4.1, 1.0, 1.0, 1.05, 1.25, 1.0, 1.183],
              [[_status_text(x.status), x.measure, x.value, x.target, x.gap, x.needed, x.benchmark, x.comparison]
               for x in chunk], [x.status for x in chunk], right_from=2, size=11, row_h=0.36)
        # With measures lacking an extract, the key says what 'no data' and '(pt)' mean (a size smaller, to
        # keep to its two lines) and the speaker notes say which extracts to upload.
        covered = f" {COVERAGE_NOTE}" if content.coverage_notes else ""
        text(slide, 0.5, 6.45, 12.3, 0.45, [
            "✖ Off target · ▲ Near target (within the amber margin) · ✔ On target · – No target or data. "
            f"Gap: value minus target, negative is worse. {PROVISIONAL_NOTE} {SUPPRESSED_NOTE}{covered}"],
            size=9 if covered else 10, colour=theme.SECONDARY_TEXT)
        if content.coverage_notes or content.published_notes:
            slide.notes_slide.notes_text_frame.text = "\n".join(
                (*content.coverage_notes, *((PUBLISHED_NOTE, *content.published_notes) if content.published_notes
                                             else ())))

    # The local and published indicators the targets file speaks of.
    chunks = _chunks(content.indicators, SCORECARD_SLIDE_ROWS) if content.indicators else []
    for k, chunk in enumerate(chunks, start=1):
        number += 1
        more = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        slide = new_slide(f"Local and published indicators{more}", "Scorecard", number)
        table(slide, 1.35, ["Status", "Indicator", "Period", "Value", "Target", "Gap", "Needed",
                            content.comparator_label],
              [1.75, 4.0, 1.2, 1.0, 1.0, 1.05, 1.333, 1.0],
              [[_status_text(x.status), x.measure, x.period, x.value, x.target, x.gap, x.needed, x.benchmark]
               for x in chunk], [x.status for x in chunk], right_from=3, size=11, row_h=0.36)
        text(slide, 0.5, 6.45, 12.3, 0.45, [
            "Each indicator at its own period: the quarter's, or the latest year or month ending in the 12 months "
            f"to {reports.long_date(content.window_end)}. Needed: cases, or for a figure published without its "
            "counts the change in value it takes."
            + (f" {content.other_indicators} more uploaded indicators are on the dashboard."
               if content.other_indicators else "")], size=10, colour=theme.SECONDARY_TEXT)

    # One slide per measure with a target.
    for k, section in enumerate(content.measures, start=1):
        number += 1
        slide = new_slide(f"{section.name}, {section.period}" if section.indicator else section.name,
                          f"Measure {k} of {len(content.measures)}", number)
        x = 0.5 + picture(slide, section.chart_png, section.chart_size, height=5.6, max_width=7.4) + 0.3
        w = _SLIDE_W - 0.5 - x
        rect(slide, x, 1.35, w, 0.5, STATUS_TINTS[section.status])
        rect(slide, x, 1.35, 0.08, 0.5, theme.RAG_COLOURS[section.status])
        text(slide, x + 0.2, 1.35, w - 0.3, 0.5, [_status_text(section.status)], size=18, bold=True,
             colour=theme.RAG_TEXT_COLOURS[section.status], anchor=MSO_ANCHOR.MIDDLE)
        tiles = [("Value", section.value), ("Target", section.target), ("Gap", section.gap),
                 ("Cases needed", section.needed), (content.comparator_label, section.benchmark),
                 (f"Compared with {content.comparator_label}", section.comparison or "–")]
        tile_w = (w - 0.15) / 2
        for t, (name, value) in enumerate(tiles):
            tx, ty = x + (t % 2) * (tile_w + 0.15), 2.0 + (t // 2) * 0.95
            rect(slide, tx, ty, tile_w, 0.85, ZEBRA)
            text(slide, tx + 0.15, ty + 0.06, tile_w - 0.2, 0.45, [value], size=20 if len(value) < 12 else 15,
                 bold=True)
            text(slide, tx + 0.15, ty + 0.55, tile_w - 0.2, 0.25, [name], size=10, colour=theme.SECONDARY_TEXT)
        reading = [(t, b) for t, b in _bold_runs(section.reading)]
        text(slide, x, 4.95, w, 1.3, [reading], size=13, space_after=4)
        variation = section.variation.split(". ", 1)[0].replace("**", "") + "." if section.variation else ""
        text(slide, x, 6.3, w, 0.6, [" ".join(t for t in (variation, f"Numbers: {section.numbers}."
                                                           if section.numbers else "") if t)],
             size=10, colour=theme.SECONDARY_TEXT)
        notes = slide.notes_slide.notes_text_frame
        notes.text = "\n".join([section.reading.replace("**", ""), section.variation.replace("**", ""),
                                f"Target: {section.target_rule}.", f"Definition: {section.definition}"])

    if not content.measures:
        number += 1
        slide = new_slide("Measures with a target", "Measures", number)
        text(slide, 0.5, 1.5, 12.3, 0.6, [NO_TARGETS], size=18)

    # Exception report.
    chunks = _chunks(content.exceptions, EXCEPTION_SLIDE_ROWS)
    for k, chunk in enumerate(chunks, start=1):
        number += 1
        more = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        slide = new_slide(f"Exception report, {content.period}{more}", "Exception report", number)
        if not chunk:
            text(slide, 0.5, 1.5, 12.3, 0.6, ["No provider or team is off or near target this quarter."], size=18)
            continue
        table(slide, 1.35, ["Status", "Level", "Provider or team", "Measure", "Value", "Target", "Gap",
                            "Cases needed"], [1.6, 0.9, 1.75, 4.1, 0.95, 0.9, 1.0, 1.133],
              [[_status_text(e.status), e.level, e.unit, e.measure, e.value, e.target, e.gap, e.needed]
               for e in chunk], [e.status for e in chunk], right_from=4, size=10.5, row_h=0.34)
        text(slide, 0.5, 6.55, 12.3, 0.35, [f"Providers and teams off or near target. {PROVISIONAL_NOTE} "
                                            f"{SUPPRESSED_NOTE}"], size=10, colour=theme.SECONDARY_TEXT)

    # Compared with other areas: one slide per headline measure.
    for k, comparison in enumerate(content.comparisons, start=1):
        number += 1
        slide = new_slide(f"{comparison.name}, {comparison.period}: compared with other areas",
                          f"Compared with other areas {k} of {len(content.comparisons)}", number)
        x = 0.5 + picture(slide, comparison.chart_png, comparison.chart_size, height=5.5, max_width=8.4) + 0.3
        text(slide, x, 1.4, _SLIDE_W - 0.5 - x, 3.0, [comparison.reading], size=15, space_after=4)
        text(slide, x, 4.6, _SLIDE_W - 0.5 - x, 1.6, [
            f"Every area with a figure for {comparison.period} ({comparison.areas} areas), best first, each "
            "compared with England through its 95% confidence interval (the Fingertips rule)."],
             size=11, colour=theme.SECONDARY_TEXT)
        slide.notes_slide.notes_text_frame.text = comparison.reading

    # Appendix: definitions.
    chunks = _chunks(content.definitions, DEFINITION_SLIDE_ROWS)
    for k, chunk in enumerate(chunks, start=1):
        number += 1
        slide = new_slide(f"Appendix: definitions ({k} of {len(chunks)})", "Appendix", number)
        y = 1.35
        for d in chunk:
            text(slide, 0.5, y, 3.6, 0.55, [[(d.name, True)], [(f"{d.kpi}; {d.kind}", False,
                                                                 theme.SECONDARY_TEXT, 9)]], size=11)
            body = [d.definition] + ([[(f"Target for {content.period}: {d.target}", False, theme.DARK_BLUE, 10)]]
                                     if d.target else [])
            text(slide, 4.3, y, 8.5, 0.55, body, size=10.5)
            y += 0.6
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def board_pack_pptx(store: Store, *, area: str, period: Quarter | str, targets: TargetSet,
                    comparator: str = ENGLAND, produced: date | None = None) -> bytes:
    """The quarterly board pack for one partnership as a 16:9 PowerPoint deck's bytes (errors as
    :func:`charts.pack.pdf.board_pack_pdf`)."""
    return render_pptx(pack_content(store, area=area, period=period, targets=targets, comparator=comparator,
                                    produced=produced))
