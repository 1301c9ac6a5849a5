"""Turn the bytes of an uploaded file into a table of text cells, or say why not.

This step knows about encodings, delimiters, quoting and headers; it knows nothing about
what the values mean (that is ``validation``). Row numbers are those a spreadsheet shows:
the header is row 1 (or lower, when title lines stand above it), and a quoted value with a
line break inside still counts as one row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders import config
from loaders.extracts import EXTRACTS, ExtractSpec
from loaders.problems import FileRejected, Problem

ROW = "__row"
_HEADER_SCAN_LINES = 30
_SAVE_AS_UTF8 = "In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)' and upload that file."


@dataclass(frozen=True)
class ParsedFile:
    """The cells of one file, all as text, with the spreadsheet row of each record.

    A download taken as it comes (Fingertips, ViewIt) is read by its adapter into the cells of an
    ``indicators`` extract: then ``kind`` says what the file was, ``column_names`` gives the file's
    own name of each column (so that a problem names the column the user sees), and ``problems``
    holds what the adapter found wrong with rows it could not turn into figures.
    """

    spec: ExtractSpec
    table: pa.Table  # ROW plus every spec column found in the header, as strings
    header_row: int
    encoding: str
    warnings: tuple[str, ...]
    # True when the text holds a Unicode space other than ' ' (e.g. a no-break space): then a cell may
    # start or end with one, and validation trims every cell the careful way.
    odd_spaces: bool = True
    kind: str = ""
    column_names: tuple[tuple[str, str], ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def source_kind(self) -> str:
        return self.kind or self.spec.kind


@dataclass(frozen=True)
class RawFile:
    """A file read with every column kept, named as its header names them (for adapters)."""

    table: pa.Table  # ROW plus one string column per header cell (names made unique)
    header: tuple[str, ...]  # the header cells as written (trimmed)
    header_row: int
    encoding: str
    warnings: tuple[str, ...]
    odd_spaces: bool


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding, or a rejection saying how to fix it."""
    limit = config.max_upload_bytes()
    if len(data) > limit:
        size, cap = _size(len(data)), _size(limit)
        if size == cap:  # just over the limit: "1.0 MB, larger than the limit of 1.0 MB" reads as nonsense
            size, cap = f"{len(data):,} bytes", f"{limit:,} bytes"
        raise FileRejected([Problem(None, "", "", (
            f"The file is {size}, larger than the limit of {cap}. "
            "Split it by partnership or quarter, or ask the administrator to raise KPI_MAX_UPLOAD_MB."
        ))])
    if not data or data.isspace():  # as ``not data.strip()``, without copying the whole file
        raise FileRejected([Problem(None, "", "", "The file is empty.")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected([Problem(None, "", "", "The file is saved as UTF-16 ('Unicode text'). " + _SAVE_AS_UTF8)])
    if b"\x00" in data:
        raise FileRejected([Problem(None, "", "", (
            "This is not a CSV text file (it contains binary data, e.g. a spreadsheet or an image). "
            + _SAVE_AS_UTF8
        ))])
    if data.startswith(b"\xef\xbb\xbf"):
        body, name = data[3:], "UTF-8 with BOM"
    else:
        body, name = data, "UTF-8"
    try:
        return body.decode("utf-8"), name
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise FileRejected([Problem(None, "", "", (
            f"The file is neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x} at position "
            f"{exc.start}). " + _SAVE_AS_UTF8
        ))]) from exc


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1048576 else f"{n / 1048576:.1f} MB"


# A line ends with \r\n (Windows), \n, or a lone \r (Excel for Mac's "CSV (Macintosh)").
_LINE_END = re.compile(r"\r\n|\r|\n")


def _first_lines(text: str, count: int) -> list[str]:
    lines: list[str] = []
    start = 0
    while len(lines) < count and start < len(text):
        match = _LINE_END.search(text, start)
        if match is None:
            lines.append(text[start:])
            break
        lines.append(text[start:match.start()])
        start = match.end()
    return lines


def _cells(line: str, delimiter: str = ",") -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


def _norm(name: str) -> str:
    return name.replace("\ufeff", "").strip().upper()


_ALL_NAMES = {name for spec in EXTRACTS.values() for name in spec.names}


def first_lines(text: str, count: int = _HEADER_SCAN_LINES) -> list[str]:
    """The first ``count`` lines of the text (for finding the header)."""
    return _first_lines(text, count)


def cells_of(line: str) -> list[str]:
    """A line's cells as written, trimmed (a byte-order mark dropped)."""
    return [c.replace("\ufeff", "").strip() for c in _cells(line)]


def native_kind_score(cells: list[str]) -> int:
    """How many column names of the product's own extracts the cells hold."""
    return len(_ALL_NAMES.intersection(_norm(c) for c in cells))


def delimiter_problem(lines: list[str], recognise: Callable[[list[str]], bool]) -> FileRejected | None:
    """A file whose header would be recognised if its values were separated by commas."""
    for delimiter, word in ((";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")):
        for line in lines:
            if recognise([c.replace("\ufeff", "").strip() for c in _cells(line, delimiter)]):
                return FileRejected([Problem(1, "", "", (
                    f"The values in this file are separated by {word}; the extracts use commas. "
                    "In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)'."
                ))])
    return None


def parse_native(text: str, data: bytes, encoding: str, header_index: int, spec: ExtractSpec) -> ParsedFile:
    """Read a file of one of the product's own kinds, whose header is line ``header_index``."""
    cells = [_norm(c) for c in _cells(_first_lines(text, header_index + 1)[header_index])]
    header_row = header_index + 1
    warnings: list[str] = []
    if encoding == "Windows-1252":
        warnings.append("The file was read as Windows-1252 (Excel 'ANSI'); saving as CSV UTF-8 is safer.")
    if header_index:
        warnings.append(f"The {header_index} line(s) above the header (row {header_row}) were skipped.")

    problems: list[Problem] = []
    positions: dict[str, list[int]] = {}
    for pos, name in enumerate(cells):
        if name:
            positions.setdefault(name, []).append(pos)
    for name, where in positions.items():
        if len(where) > 1:
            numbers = [str(p + 1) for p in where]
            cols = ", ".join(numbers[:-1]) + " and " + numbers[-1]
            problems.append(Problem(header_row, name, name, f"The column {name} appears more than once in the header (columns {cols})."))
    missing = [name for name in spec.required_names if name not in positions]
    for name in missing:
        problems.append(Problem(header_row, name, "", (
            f"The required column {name} is missing from the header of this {spec.kind} file."
        )))
    unknown = [n for n in positions if n not in spec.names]
    if unknown:
        warnings.append(f"Columns not part of the {spec.kind} extract were ignored: {', '.join(unknown)}.")
    if problems:
        raise FileRejected(problems)

    # Column names for the parser: the spec name where known, a placeholder elsewhere.
    names = [n if n in spec.names else f"__ignored_{i}" for i, n in enumerate(cells)]
    keep = [n for n in names if n in spec.names]
    table = read_columns(text, data, encoding, header_index, names, keep)
    odd_spaces = not text.isascii() and _ODD_SPACE.search(text) is not None
    return ParsedFile(spec, table, header_row, encoding, tuple(warnings), odd_spaces)


def parse_raw(text: str, data: bytes, encoding: str, header_index: int) -> RawFile:
    """Read a file keeping every column, named as its header names them (made unique)."""
    header = tuple(cells_of(_first_lines(text, header_index + 1)[header_index]))
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        base = cell or f"column {i + 1}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    table = read_columns(text, data, encoding, header_index, names, list(names))
    warnings = []
    if encoding == "Windows-1252":
        warnings.append("The file was read as Windows-1252 (Excel 'ANSI'); saving as CSV UTF-8 is safer.")
    if header_index:
        warnings.append(f"The {header_index} line(s) above the header (row {header_index + 1}) were skipped.")
    odd_spaces = not text.isascii() and _ODD_SPACE.search(text) is not None
    return RawFile(table, header, header_index + 1, encoding, tuple(warnings), odd_spaces)


def read_columns(text: str, data: bytes, encoding: str, header_index: int, names: list[str],
                 keep: list[str]) -> pa.Table:
    """The body's cells as text: ROW (the spreadsheet row) and the ``keep`` columns of ``names``."""
    header_row = header_index + 1
    body = _body_after(text, header_index)
    table = _parse_fast(body, names, keep, encoded=_encoded_body(data, encoding, header_index))
    if table is None:
        table = _parse_exact(body, names, keep, header_row)
    else:
        first = header_row + 1
        table = table.add_column(0, ROW, pa.array(np.arange(first, first + table.num_rows, dtype=np.int32)))
    table = _drop_empty_rows(table, keep)
    if table.num_rows == 0:
        raise FileRejected([Problem(None, "", "", "The file has a header but no data rows.")])
    return table


# The Unicode space separators (category Zs) other than ' ': DuckDB's trim() removes these too.
_ODD_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def _encoded_body(data: bytes, encoding: str, header_index: int) -> pa.Buffer | None:
    """The body's UTF-8 bytes without encoding the text again, when they are the file's own bytes."""
    if header_index or encoding == "Windows-1252":
        return None
    buffer = pa.py_buffer(data)
    return buffer.slice(3) if encoding == "UTF-8 with BOM" else buffer


def _body_after(text: str, header_index: int) -> str:
    """The text from the header line on."""
    start = 0
    for _ in range(header_index):
        start = _LINE_END.search(text, start).end()
    return text[start:]


_INTERIOR_BLANK = re.compile(r"\n[ \t\r]*\n(?=[^\r\n]*\S)")
_LONE_CR = re.compile(r"\r(?!\n)")


def _parse_fast(body: str, names: list[str], keep: list[str], *, encoded: pa.Buffer | None = None) -> pa.Table | None:
    """Arrow's multi-threaded parser; None when row numbers could come out wrong.

    ``encoded`` is ``body`` as UTF-8 when the caller has those bytes already.
    """
    # Arrow skips blank lines without counting them; _INTERIOR_BLANK finds those between \n
    # endings, and files with lone \r endings go to the careful path, which counts every line.
    if _INTERIOR_BLANK.search(body) or ("\r" in body and _LONE_CR.search(body)):
        return None
    bad: list[int] = []

    def on_invalid(_row: object) -> str:
        bad.append(1)
        return "skip"

    # Without a quote mark in the file no value holds a comma or a line break, and the parser can
    # split the text at every line end without reading it for quotes (twice as fast).
    quoted = '"' in body
    try:
        table = pacsv.read_csv(
            pa.BufferReader(encoded) if encoded is not None else io.BytesIO(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(
                quote_char='"' if quoted else False, newlines_in_values=quoted, ignore_empty_lines=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=keep,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,  # the text was decoded (or encoded) as UTF-8 already
            ),
        )
    except pa.ArrowInvalid:
        # e.g. a header with no line break after it, or a row longer than a block: the careful
        # path reads those and says what is wrong.
        return None
    return None if bad else table


def _parse_exact(body: str, names: list[str], keep: list[str], header_row: int) -> pa.Table:
    """The careful path: exact spreadsheet rows for every structural problem."""
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(body, newline=""))
    next(reader, None)
    width = len(names)
    index = [names.index(n) for n in keep]
    columns: list[list[str]] = [[] for _ in keep]
    rows: list[int] = []
    problems: list[Problem] = []
    row = header_row
    try:
        for record in reader:
            row += 1
            if not record or all(not c.strip() for c in record):
                continue
            if len(record) != width:
                hint = ("a value may hold an unquoted comma" if len(record) > width
                        else "a quote mark (\") may be unclosed, or values are missing")
                problems.append(Problem(row, "", _preview(record), (
                    f"This row has {len(record)} values but the header has {width} columns; {hint}."
                )))
                continue
            rows.append(row)
            for out, i in zip(columns, index, strict=True):
                out.append(record[i])
    except csv.Error as exc:
        problems.append(Problem(row + 1, "", "", f"The file's quoting is broken here: {exc}."))
    if problems:
        raise FileRejected(problems)
    arrays = [pa.array(rows, type=pa.int32())] + [pa.array(c, type=pa.string()) for c in columns]
    return pa.Table.from_arrays(arrays, names=[ROW, *keep])


def _preview(record: list[str]) -> str:
    text = ",".join(record)
    return text if len(text) <= 80 else text[:77] + "..."


def _drop_empty_rows(table: pa.Table, keep: list[str]) -> pa.Table:
    """Excel's all-empty rows (",,,,") carry nothing; drop them, keeping row numbers."""
    if not keep or table.num_rows == 0:
        return table
    # A row is empty when every cell is blank (whitespace at most). Nearly every row has a value in
    # its first column, so each further column is looked at only on the rows still blank so far.
    empty = np.arange(table.num_rows)
    for name in keep:
        cells = table[name] if len(empty) == table.num_rows else table[name].take(empty)
        blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(cells)), 0)
        empty = empty[np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)]
        if len(empty) == 0:
            return table
    kept = np.ones(table.num_rows, dtype=bool)
    kept[empty] = False
    return table.filter(pa.array(kept))
