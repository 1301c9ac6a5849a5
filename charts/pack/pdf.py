"""The board pack as an A4 PDF (reportlab, portrait).

:func:`render_pdf` lays out a :class:`~charts.pack.content.PackContent` and computes nothing:
a cover with the quarter at a glance and the contents, the scorecard, one page for each
measure with a target, the exception report and the appendix of definitions. Status is always
written in words and symbols (the symbols in a standard PDF font), never colour alone. Arial is
embedded where it is installed, else its metric twin Liberation Sans, else Helvetica.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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
from metrics.targets import STATUS_SYMBOLS, TargetSet

TILE_WORDS = {"red": "measures off target", "amber": "measures near target", "green": "measures on target",
              "grey": "measures without a target or data"}

_FONT_CANDIDATES = (
    # Arial first (the house font), then Liberation Sans, which has Arial's metrics.
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf", "C:/Windows/Fonts/ariali.ttf",
     "C:/Windows/Fonts/arialbi.ttf"),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf", "/Library/Fonts/Arial Italic.ttf",
     "/Library/Fonts/Arial Bold Italic.ttf"),
    ("/usr/share/fonts/truetype/msttcorefonts/Arial.ttf", "/usr/share/fonts/truetype/msttcorefonts/Arial_Bold.ttf",
     "/usr/share/fonts/truetype/msttcorefonts/Arial_Italic.ttf",
     "/usr/share/fonts/truetype/msttcorefonts/Arial_Bold_Italic.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Italic.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-BoldItalic.ttf"),
    ("/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
     "/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf",
     "/usr/share/fonts/liberation-sans/LiberationSans-Italic.ttf",
     "/usr/share/fonts/liberation-sans/LiberationSans-BoldItalic.ttf"),
)
_SYMBOL_FONT = "ZapfDingbats"  # one of the 14 standard PDF fonts: ✔ ▲ ✖ everywhere, nothing to embed


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    italic: str


@functools.cache
def _pdf_fonts() -> _Fonts:
    """Arial (or its metric twin Liberation Sans) embedded when found, else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for paths in _FONT_CANDIDATES:
        if all(Path(p).is_file() for p in paths):
            names = ("PackSans", "PackSans-Bold", "PackSans-Italic", "PackSans-BoldItalic")
            try:
                for name, path in zip(names, paths, strict=True):
                    pdfmetrics.registerFont(TTFont(name, path))
            except Exception:  # noqa: BLE001 - a damaged font file: try the next, else Helvetica
                continue
            pdfmetrics.registerFontFamily("PackSans", normal=names[0], bold=names[1], italic=names[2],
                                          boldItalic=names[3])
            return _Fonts(*names[:3])
    return _Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")


CONTENTS_DETAIL_LIMIT = 12  # level-2 lines the cover's contents list has room for


def _x(text: str) -> str:
    """Text for a reportlab Paragraph: shown as written (``plain_text.for_reportlab``), with the
    status symbols in the symbol font."""
    out = plain_text.for_reportlab(text)
    for symbol in ("✔", "▲", "✖"):
        out = out.replace(symbol, f'<font name="{_SYMBOL_FONT}">{symbol}</font>')
    return out


def _fitted(text: str, font: str, *, sizes: Sequence[float], room: float) -> tuple[str, float]:
    """A name for one line of ``room`` points: at the first of ``sizes`` it fits at, else at the
    last size, shortened with an ellipsis (a name from a file can be 200 characters long)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for size in sizes:
        if stringWidth(text, font, size) <= room:
            return text, size
    size = sizes[-1]
    limit = len(text)
    while limit > 2 and stringWidth(plain_text.shorten(text, limit), font, size) > room:
        limit -= 1
    return plain_text.shorten(text, limit), size


def _x_bold(text: str) -> str:
    """'**Off target**: 6.6%' with the bold runs bold; the spaces between runs kept (``_x`` trims each)."""
    def run(t: str, bold: bool) -> str:
        inner = f"<b>{_x(t)}</b>" if bold else _x(t)
        return (" " if t[:1].isspace() else "") + inner + (" " if t[-1:].isspace() else "")
    return "".join(run(t, bold) for t, bold in _bold_runs(text))


def render_pdf(content: PackContent) -> bytes:
    """The pack as an A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Flowable,
        Frame,
        Image,
        KeepTogether,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus.tableofcontents import TableOfContents

    fonts = _pdf_fonts()
    page_w, page_h = A4
    margin = 18 * mm
    width = page_w - 2 * margin
    hex_ = colors.HexColor

    def style(name: str, **kw: object) -> ParagraphStyle:
        base = {"fontName": fonts.regular, "fontSize": 9.5, "leading": 13, "textColor": hex_(theme.TEXT)}
        base.update(kw)
        return ParagraphStyle(name, **base)  # type: ignore[arg-type]

    body = style("body", spaceAfter=5)
    small = style("small", fontSize=8, leading=10.5, textColor=hex_(theme.SECONDARY_TEXT), spaceAfter=3)
    h1 = style("h1", fontName=fonts.bold, fontSize=17, leading=21, textColor=hex_(theme.DARK_BLUE), spaceAfter=6)
    h2 = style("h2", fontName=fonts.bold, fontSize=12, leading=15, textColor=hex_(theme.DARK_BLUE), spaceBefore=6,
               spaceAfter=3)
    cell = style("cell", fontSize=8, leading=10)
    cell_r = style("cell_r", fontSize=8, leading=10, alignment=TA_RIGHT)
    head = style("head", fontName=fonts.bold, fontSize=8, leading=10, textColor=colors.white)
    head_r = style("head_r", fontName=fonts.bold, fontSize=8, leading=10, textColor=colors.white, alignment=TA_RIGHT)
    big = style("big", fontName=fonts.bold, fontSize=17, leading=20)
    label = style("label", fontSize=7.5, leading=9.5, textColor=hex_(theme.SECONDARY_TEXT))
    badge = style("badge", fontSize=11, leading=14)

    def status_cell(status: str, cell_style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(f'<font color="{theme.RAG_TEXT_COLOURS[status]}"><b>{_x(_status_text(status))}</b></font>',
                         cell_style)

    class Section(Flowable):
        """Marks where a section starts: the page header names it, and the contents list (and
        the PDF's bookmarks) show ``entry`` at ``level``."""

        def __init__(self, name: str, entry: str = "", level: int = 0) -> None:
            super().__init__()
            self.name, self.entry, self.level = name, entry, level
            self.width = self.height = 0

        def draw(self) -> None:
            self.canv._pack_section = self.name  # type: ignore[attr-defined]

    def data_table(headers: list[str], rows: list[list[object]], widths_mm: list[float], statuses: list[str],
                   right_from: int, group_breaks: Sequence[int] = ()) -> Table:
        header = [Paragraph(_x(h), head_r if j >= right_from else head) for j, h in enumerate(headers)]
        body_rows = [[c if not isinstance(c, str) else Paragraph(_x(c), cell_r if j >= right_from else cell)
                      for j, c in enumerate(r)] for r in rows]
        table = Table([header, *body_rows], colWidths=[w * mm for w in widths_mm], repeatRows=1)
        commands: list[tuple] = [
            ("BACKGROUND", (0, 0), (-1, 0), hex_(theme.DARK_BLUE)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, hex_(theme.GRIDLINE)),
        ]
        for i, status in enumerate(statuses, start=1):
            if i % 2 == 0:
                commands.append(("BACKGROUND", (1, i), (-1, i), hex_(ZEBRA)))
            commands.append(("BACKGROUND", (0, i), (0, i), hex_(STATUS_TINTS[status])))
            commands.append(("LINEBEFORE", (0, i), (0, i), 3, hex_(theme.RAG_COLOURS[status])))
        for i in group_breaks:
            commands.append(("LINEABOVE", (0, i + 1), (-1, i + 1), 1.2, hex_(theme.AXIS_LINE)))
        table.setStyle(TableStyle(commands))
        return table

    class PackCanvas(rl_canvas.Canvas):
        """Draws the running head and foot once the page count is known ('Page 3 of 17')."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._pages: list[dict] = []
            self._pack_section = "cover"

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            foot_y = 11 * mm
            if self._pack_section != "cover":
                self.setFont(fonts.regular, 8)
                self.setFillColor(hex_(theme.SECONDARY_TEXT))
                self.drawString(margin, page_h - 12 * mm, content.running_head)
                self.setFont(fonts.bold, 8)
                self.drawRightString(page_w - margin, page_h - 12 * mm, self._pack_section)
                self.setStrokeColor(hex_(theme.DARK_BLUE))
                self.setLineWidth(1.2)
                self.line(margin, page_h - 14 * mm, page_w - margin, page_h - 14 * mm)
            self.setStrokeColor(hex_(theme.GRIDLINE))
            self.setLineWidth(0.6)
            self.line(margin, foot_y + 5 * mm, page_w - margin, foot_y + 5 * mm)
            self.setFont(fonts.regular, 7.5)
            self.setFillColor(hex_(theme.SECONDARY_TEXT))
            self.drawString(margin, foot_y, f"{content.source}. Produced {reports.long_date(content.produced)}.")
            self.drawRightString(page_w - margin, foot_y, f"Page {number} of {total}")
            if content.demo:
                self.setFont(fonts.bold, 7.5)
                self.setFillColor(hex_(theme.DARK_PINK))
                self.drawCentredString(page_w / 2, foot_y - 4 * mm, DEMO_MARK)
            self.restoreState()

    def cover_page(canv: rl_canvas.Canvas, _doc: object) -> None:
        canv.saveState()
        band = 82 * mm
        canv.setFillColor(hex_(theme.DARK_BLUE))
        canv.rect(0, page_h - band, page_w, band, stroke=0, fill=1)
        canv.setFillColor(hex_(theme.TURQUOISE))
        canv.rect(0, page_h - band - 2.5 * mm, page_w, 2.5 * mm, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont(fonts.bold, 9)
        canv.drawString(margin, page_h - 22 * mm, "BOARD PACK FOR THE JOINT COMMISSIONING GROUP")
        name, size = _fitted(content.area_name, fonts.bold, sizes=(26, 22, 18), room=width)
        canv.setFont(fonts.bold, size)
        canv.drawString(margin, page_h - 38 * mm, name)
        canv.setFont(fonts.regular, 15)
        canv.drawString(margin, page_h - 49 * mm, f"{PACK_TITLE}, {content.period}")
        canv.setFont(fonts.regular, 11)
        canv.drawString(margin, page_h - 60 * mm, f"Rolling 12 months to {reports.long_date(content.window_end)}")
        canv.drawString(margin, page_h - 67 * mm, f"Produced {reports.long_date(content.produced)}")
        canv.restoreState()

    class Doc(BaseDocTemplate):
        def afterFlowable(self, flowable: object) -> None:  # noqa: N802 - reportlab's name
            if isinstance(flowable, Section) and flowable.entry:
                key = f"s{self.seq.nextf('toc')}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.entry, key, level=flowable.level, closed=False)
                if flowable.level == 0 or detailed_contents:  # the contents list must fit on the cover
                    self.notify("TOCEntry", (flowable.level, flowable.entry, self.page, key))

    # Each measure's and comparison's page in the contents while they fit on the cover; the PDF's bookmarks
    # list them always.
    detailed_contents = len(content.measures) + len(content.comparisons) <= CONTENTS_DETAIL_LIMIT
    buffer = io.BytesIO()
    doc = Doc(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=22 * mm, bottomMargin=22 * mm,
              title=f"{PACK_TITLE}: {content.area_name}, {content.period}",
              author="Drug and alcohol treatment dashboard", subject="Board pack for the joint commissioning group",
              creator="python -m charts pack")
    cover_frame = Frame(margin, 22 * mm, width, page_h - 96 * mm - 22 * mm, id="cover", leftPadding=0,
                        rightPadding=0, topPadding=0, bottomPadding=0)
    body_frame = Frame(margin, 22 * mm, width, page_h - 44 * mm, id="body", leftPadding=0, rightPadding=0,
                       topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("cover", [cover_frame], onPage=cover_page),
                          PageTemplate("content", [body_frame])])

    story: list[Flowable] = []
    # Cover: the facts, the quarter at a glance, the demo mark, the contents.
    facts = [
        ("Partnership", f"{content.area_name} ({content.area})"),
        ("Quarter", f"{content.period}: the rolling 12 months {reports.long_date(content.window_start)} to "
                    f"{reports.long_date(content.window_end)}"),
        ("Compared with", content.comparator_name),
        ("Source", content.source),
    ]
    fact_table = Table([[Paragraph(_x(k), label), Paragraph(_x(v), body)] for k, v in facts],
                       colWidths=[32 * mm, width - 32 * mm])
    fact_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [fact_table, Spacer(1, 6 * mm), Paragraph("This quarter at a glance", h2)]
    tiles = []
    for status in ("red", "amber", "green", "grey"):
        tiles.append([Paragraph(f'<font color="{theme.RAG_TEXT_COLOURS[status]}">{_x(STATUS_SYMBOLS[status])} '
                                f"{content.counts[status]}</font>", big),
                      Paragraph(_x(TILE_WORDS[status]), label)])
    tile_table = Table([tiles], colWidths=[width / 4] * 4)
    tile_style = [("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 5),
                  ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    for j, status in enumerate(("red", "amber", "green", "grey")):
        tile_style += [("BACKGROUND", (j, 0), (j, 0), hex_(STATUS_TINTS[status])),
                       ("LINEABOVE", (j, 0), (j, 0), 3, hex_(theme.RAG_COLOURS[status])),
                       ("LINEAFTER", (j, 0), (j, 0), 4, colors.white)]
    tile_table.setStyle(TableStyle(tile_style))
    story += [tile_table, Spacer(1, 5 * mm)]
    if content.demo:
        mark = Table([[Paragraph(f'<font color="{theme.DARK_PINK}"><b>{_x(DEMO_MARK)}</b></font>', h2)],
                      [Paragraph("Every figure in this pack comes from the dashboard's synthetic demo data. It "
                                 "describes no real people and no real service, and must not be used to make "
                                 "decisions.", body)]], colWidths=[width])
        mark.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, hex_(theme.DARK_PINK)),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (0, 0), 4)]))
        story += [mark, Spacer(1, 5 * mm)]
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [style("toc0", fontName=fonts.bold, fontSize=9.5, leading=13, leftIndent=0),
                       style("toc1", fontSize=8.5, leading=11, leftIndent=5 * mm)]
    story += [Paragraph("Contents", style("contents", fontName=fonts.bold, fontSize=12, leading=15,
                                          textColor=hex_(theme.DARK_BLUE), spaceAfter=3)), toc,
              NextPageTemplate("content"), PageBreak()]

    # 1. The scorecard.
    story += [Section("Scorecard", f"1. Scorecard, {content.period}"), Paragraph(f"1. Scorecard, {content.period}", h1),
              Paragraph(_x(f"Every measure for {content.area_name} in the rolling 12 months to "
                           f"{reports.long_date(content.window_end)}: off target first, then near target, on target, and "
                           f"measures without a target. The comparator, {content.comparator_name}, is compared "
                           "through the 95% "
                           "confidence interval of the partnership's figure."), body)]
    rows, statuses, breaks = [], [], []
    for i, line in enumerate(content.scorecard):
        if i and line.status != content.scorecard[i - 1].status:
            breaks.append(i)
        rows.append([status_cell(line.status), line.measure, line.value, line.target, line.gap, line.needed,
                     line.benchmark, line.comparison])
        statuses.append(line.status)
    story.append(data_table(["Status", "Measure", "Value", "Target", "Gap", "Cases needed", content.comparator_label,
                             f"Compared with {content.comparator_label}"], rows,
                            [29, 47, 16, 15, 17, 15, 15, 20], statuses, right_from=2, group_breaks=breaks))
    story += [Spacer(1, 3 * mm), Paragraph(_x(
        "✖ Off target: misses the target by more than the amber margin (2% of the target unless the targets "
        "file says otherwise). ▲ Near target: misses it by no more than the margin. ✔ On target. – No target "
        "for this quarter, or no data. Gap: value minus target, negative is worse (pp: percentage points). Cases "
        f"needed: how many more people (fewer, where lower is better) would meet the target. {PROVISIONAL_NOTE} "
        f"{SUPPRESSED_NOTE}"), small)]
    if content.indicators:
        story += [Spacer(1, 4 * mm), CondPageBreak(70 * mm), Paragraph("Local and published indicators", h2),
                  Paragraph(_x("The indicators the targets file declares or sets a target for, each at its own "
                               "period: the quarter's, or the latest year or month ending in the 12 months to "
                               f"{reports.long_date(content.window_end)}."
                               + (f" {content.other_indicators} more uploaded indicators are on the dashboard."
                                  if content.other_indicators else "")), body)]
        lines = content.indicators
        breaks = [i for i in range(1, len(lines)) if lines[i].status != lines[i - 1].status]
        story.append(data_table(["Status", "Indicator", "Period", "Value", "Target", "Gap", "Needed",
                                 content.comparator_label],
                                [[status_cell(x.status), x.measure, x.period, x.value, x.target, x.gap, x.needed,
                                  x.benchmark] for x in lines],
                                [29, 45, 22, 15, 15, 17, 17, 14], [x.status for x in lines], right_from=3,
                                group_breaks=breaks))
    if content.coverage_notes:
        story += [Spacer(1, 2 * mm), Paragraph(_x(" ".join((COVERAGE_NOTE, *content.coverage_notes))), small)]
    if content.published_notes:
        story += [Spacer(1, 2 * mm), Paragraph(_x(" ".join((PUBLISHED_NOTE, *content.published_notes))), small)]

    # 2. One page per measure with a target.
    for number, section in enumerate(content.measures, start=1):
        story.append(PageBreak())
        if number == 1:
            story.append(Section("Measures with a target", "2. Measures with a target"))
        title = f"{section.name}, {section.period}" if section.indicator else section.name
        story += [Section(f"Measure {number} of {len(content.measures)}", f"2.{number} {title}", 1),
                  Paragraph(_x(f"2.{number} {title}"), h1)]
        figures = [("Value", section.value), ("Target", section.target), ("Gap", section.gap),
                   ("Cases needed", section.needed), (content.comparator_label, section.benchmark)]
        strip = Table([[status_cell(section.status, badge), *[Paragraph(_x(v), big) for _, v in figures]],
                       ["", *[Paragraph(_x(k), label) for k, _ in figures]]],
                      colWidths=[34 * mm] + [(width - 34 * mm) / 5] * 5)
        strip.setStyle(TableStyle([
            ("SPAN", (0, 0), (0, 1)), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, 1), hex_(STATUS_TINTS[section.status])),
            ("LINEBEFORE", (0, 0), (0, 1), 4, hex_(theme.RAG_COLOURS[section.status])),
            ("BACKGROUND", (1, 0), (-1, 1), hex_(ZEBRA)), ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, 0), 6), ("BOTTOMPADDING", (0, 1), (-1, 1), 6),
        ]))
        width_px, height_px = section.chart_size
        chart_h = width * height_px / width_px
        details = [f"Numbers: {section.numbers}." if section.numbers else "",
                   f"Compared with {content.comparator_name}: {section.comparison.lower()}." if section.comparison
                   else "", f"Target: {section.target_rule}." if section.target_rule else ""]
        story += [strip, Spacer(1, 4 * mm), Paragraph(_x_bold(section.reading), body),
                  Paragraph(_x(" ".join(d for d in details if d)), small),
                  Image(io.BytesIO(section.chart_png), width=width, height=chart_h), Spacer(1, 2 * mm),
                  Paragraph(_x_bold(section.variation), small),
                  Paragraph(_x(f"Definition: {section.definition}"), small)]

    if not content.measures:
        story += [PageBreak(), Section("Measures with a target", "2. Measures with a target"),
                  Paragraph("2. Measures with a target", h1), Paragraph(_x(NO_TARGETS), body)]

    # 3. The exception report.
    story += [PageBreak(), Section("Exception report", f"3. Exception report, {content.period}"),
              Paragraph(f"3. Exception report, {content.period}", h1),
              Paragraph(_x("Every provider and team off target (red) or near it (amber) on a measure with a "
                           "target, as the joint commissioning group asks providers to report. Partnership "
                           "figures are in the scorecard."), body)]
    if content.exceptions:
        rows = [[status_cell(e.status), e.level, e.unit, e.measure, e.value, e.target, e.gap, e.needed]
                for e in content.exceptions]
        breaks = [i for i in range(1, len(content.exceptions))
                  if content.exceptions[i].level != content.exceptions[i - 1].level]
        story.append(data_table(["Status", "Level", "Provider or team", "Measure", "Value", "Target", "Gap",
                                 "Cases needed"], rows, [27, 16, 26, 44, 14, 14, 17, 16],
                                [e.status for e in content.exceptions], right_from=4, group_breaks=breaks))
        story += [Spacer(1, 3 * mm), Paragraph(_x(f"{PROVISIONAL_NOTE} {SUPPRESSED_NOTE}"), small)]
    else:
        story.append(Paragraph("No provider or team is off or near target this quarter.", body))

    # 4. Compared with other areas: the headline measures, where other areas' figures are loaded.
    for number, comparison in enumerate(content.comparisons, start=1):
        story.append(PageBreak())
        if number == 1:
            story.append(Section("Compared with other areas", "4. Compared with other areas"))
        title = f"4.{number} {comparison.name}, {comparison.period}"
        width_px, height_px = comparison.chart_size
        chart_w = width
        chart_h = chart_w * height_px / width_px
        if chart_h > 200 * mm:  # many areas: keep the page
            chart_h, chart_w = 200 * mm, 200 * mm * width_px / height_px
        story += [Section(f"Compared with other areas {number} of {len(content.comparisons)}", title, 1),
                  Paragraph(_x(title), h1), Paragraph(_x(comparison.reading), body),
                  Paragraph(_x(f"Every area with a figure for {comparison.period} ({comparison.areas} areas), best "
                               "first, each compared with England through its 95% confidence interval (the "
                               "Fingertips rule)."), small),
                  Image(io.BytesIO(comparison.chart_png), width=chart_w, height=chart_h)]

    # Appendix: definitions.
    story += [PageBreak(), Section("Appendix: definitions", "Appendix: definitions"), Paragraph("Appendix: definitions", h1),
              Paragraph(_x("Each figure counts the rolling 12 months to the quarter's end, after the NDTMS and "
                           "Public Health Outcomes Framework conventions. Proportions come with Wilson score "
                           "confidence intervals; comparisons with a benchmark use the 95% interval. Trend "
                           "readings use NHS England's Making Data Count statistical process control."), body)]
    family = ""
    for d in content.definitions:
        parts = []
        if d.family != family:
            family = d.family
            parts.append(CondPageBreak(30 * mm))
            parts.append(Paragraph(_x(family), style("fam", fontName=fonts.bold, fontSize=10.5, leading=14,
                                                     textColor=hex_(theme.DARK_BLUE), spaceBefore=6,
                                                     spaceAfter=2)))
        text = f"<b>{_x(d.name)}</b> <font color='{theme.SECONDARY_TEXT}'>({_x(d.kpi)}; {_x(d.kind)})</font><br/>"
        text += _x(d.definition)
        if d.target:
            text += f"<br/><i>Target for {content.period}: {_x(d.target)}</i>"
        parts.append(Paragraph(text, style("def", fontSize=8.5, leading=11, spaceAfter=5)))
        story.append(KeepTogether(parts))

    doc.multiBuild(story, canvasmaker=PackCanvas)
    return buffer.getvalue()


def board_pack_pdf(store: Store, *, area: str, period: Quarter | str, targets: TargetSet,
                   comparator: str = ENGLAND, produced: date | None = None) -> bytes:
    """The quarterly board pack for one partnership as an A4 PDF's bytes.

    Raises :class:`~charts.pack.content.PackError` when the partnership has no figures for the quarter, and
    ``charts.export.ExportUnavailable`` when the charts cannot be drawn (no Chromium).
    """
    return render_pdf(pack_content(store, area=area, period=period, targets=targets, comparator=comparator,
                                   produced=produced))
