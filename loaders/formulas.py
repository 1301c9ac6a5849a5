"""Cells a spreadsheet would run as formulas, made inert: one rule for every file the product writes.

Every CSV or Excel file the product writes (the problems of a rejected upload, the upload history,
the command line's csv output, the exported tables) holds text that came from someone's file: a
column header, an area or indicator name, a value. A cell that Excel or LibreOffice reads as a
formula (``=HYPERLINK("https://evil.example","x")``) runs when the analyst opens the file, so
every writer passes every text cell through :func:`neutralise`.

The triggers are OWASP's (``=``, ``+``, ``-``, ``@``, tab, carriage return), a line feed, and the
full-width forms of the four signs, which some spreadsheets also read as formula signs. They are
looked for at the very start of the cell and again after any leading spaces or control characters,
which a spreadsheet may drop on import. A cell is made inert by a leading ``'``, the mark a
spreadsheet itself uses for "this is text".
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TextIO

FORMULA_TRIGGERS: tuple[str, ...] = (
    "=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20",
)


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading ``'``.

    Only strings are touched: numbers (negative ones too), dates, booleans and missing values
    come back as they are. Applying it twice changes nothing more.
    """
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module's note)."""
    return text.startswith(FORMULA_TRIGGERS) or visible(text).startswith(FORMULA_TRIGGERS)


def visible(text: str) -> str:
    """The text from its first visible character: spaces and control characters (which a
    spreadsheet may drop on import) cannot hide a formula sign behind them."""
    for i, ch in enumerate(text):
        if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")):
            return text[i:]
    return ""


def neutralise_row(values: Iterable[object]) -> list[object]:
    """Every cell of one row made inert (for ``csv.writer``)."""
    return [neutralise(v) for v in values]


def write_csv(handle: TextIO, header: Sequence[str], rows: Iterable[Iterable[object]]) -> None:
    """A table as CSV with every cell (the header's too) made inert.

    Lines end in CR LF, as RFC 4180 has it: Python's writer quotes a cell holding any character
    of the line ending, so a cell with a lone carriage return is quoted rather than breaking its row.
    """
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(neutralise_row(header))
    for row in rows:
        writer.writerow(neutralise_row(row))
