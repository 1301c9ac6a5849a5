"""Which kind a file is, and its cells in the product's own shape.

The product's own extracts (journeys, tops, dip, indicators) are recognised by their column
names. Two downloads are taken as they come: an OHID Fingertips "Download data" CSV and an NDTMS
ViewIt export; each has an adapter (``loaders/fingertips.py``, ``loaders/viewit.py``) that
recognises its header and reads the file into ``indicators`` cells, so that validation, the
audit, versions and the refresh stay one path for every kind. A file that is none of them is
told what it looks like, not which journeys columns it lacks.
"""

from __future__ import annotations

from loaders import fingertips, viewit
from loaders.extracts import DOWNLOADS, EXTRACTS
from loaders.problems import FileRejected, Problem
from loaders.reading import (
    ParsedFile,
    cells_of,
    decode,
    delimiter_problem,
    first_lines,
    native_kind_score,
    parse_native,
    parse_raw,
)

_ADAPTERS = {"fingertips": fingertips, "viewit": viewit}
_EXAMPLE = {
    "journeys": "DAT, AGNCY, TEAM, CLIENTID, EPISODID, AGE, ...",
    "tops": "DAT, AGNCY, CLIENTID, EPISODID, TOPID, TOPDATE, TRSTAGE, ...",
    "dip": "DAT, SUITE, MONTH, TRIGGER_ARRESTS, TESTS, ...",
    "indicators": "AREA_CODE, AREA_NAME, INDICATOR, INDICATOR_NAME, PERIOD, ...",
}


def recognised(cells: list[str]) -> str | None:
    """The kind whose header ``cells`` is, or None. A download's adapter recognises its own header first
    (a Fingertips header holds Sex, Age, Value and Denominator, which are the product's names too); else
    three or more of the product's own column names make one of its extracts (the one whose columns it
    holds most of)."""
    for kind, adapter in _ADAPTERS.items():
        if adapter.recognise(cells):
            return kind
    if native_kind_score(cells) >= 3:
        return _best_native(cells)
    return None


def _best_native(cells: list[str]) -> str:
    present = {c.upper() for c in cells}

    def score(kind: str) -> tuple[int, int]:
        spec = EXTRACTS[kind]
        return (len(present.intersection(spec.required_names)), len(present.intersection(spec.names)))

    return max(EXTRACTS, key=score)


def read_file(data: bytes, *, kind: str = "auto") -> ParsedFile:
    """Read the file's bytes into text cells of one of the product's extracts, or reject it with
    every structural problem and, when it is not what was asked for, what it looks like."""
    if kind != "auto" and kind not in EXTRACTS and kind not in DOWNLOADS:
        raise ValueError(f"unknown extract kind {kind!r}")
    text, encoding = decode(data)
    lines = first_lines(text)
    header_index, detected = -1, None
    for index, line in enumerate(lines):
        detected = recognised(cells_of(line))
        if detected:
            header_index = index
            break
    if detected is None:
        problem = delimiter_problem(lines, lambda cells: recognised(cells) is not None)
        raise problem or FileRejected([Problem(None, "", "", _nothing_known(lines))])
    if kind != "auto" and kind != detected and not _fits(kind, cells_of(lines[header_index])):
        looks = describe(detected, text=text, data=data, encoding=encoding, header_index=header_index)
        raise FileRejected([Problem(header_index + 1, "", "", (
            f"You chose {_kind_words(kind)}, but this file looks like {looks}. Choose '{detected}' as the "
            "kind of extract, or 'auto' to let the dashboard tell."
        ))])
    chosen = detected if kind == "auto" else kind
    if chosen in _ADAPTERS:
        return _ADAPTERS[chosen].to_indicators(parse_raw(text, data, encoding, header_index))
    return parse_native(text, data, encoding, header_index, EXTRACTS[chosen])


def _fits(kind: str, cells: list[str]) -> bool:
    """Whether a header holds every required column of ``kind`` (then the user's choice stands)."""
    if kind in _ADAPTERS:
        return bool(_ADAPTERS[kind].recognise(cells))
    present = {c.upper() for c in cells}
    return set(EXTRACTS[kind].required_names) <= present


def _kind_words(kind: str) -> str:
    if kind in DOWNLOADS:
        return f"an {DOWNLOADS[kind]}" if DOWNLOADS[kind][0] in "AEIOU" else f"a {DOWNLOADS[kind]}"
    return f"a {EXTRACTS[kind].title.lower()} ({kind}) extract"


def describe(kind: str, *, text: str, data: bytes, encoding: str, header_index: int) -> str:
    """What a file of ``kind`` looks like, in words ('a Fingertips download of indicator 93517 (...)')."""
    if kind in _ADAPTERS:
        try:
            return _ADAPTERS[kind].describe(parse_raw(text, data, encoding, header_index))
        except FileRejected:
            return _kind_words(kind)
    return _kind_words(kind)


def _nothing_known(lines: list[str]) -> str:
    first = next((line for line in lines if line.strip()), "")
    cells = [c for c in cells_of(first)]
    shown = ", ".join(cells[:8]) + (", ..." if len(cells) > 8 else "")
    if len(shown) > 160:
        shown = shown[:157] + "..."
    kinds = "; ".join(f"{EXTRACTS[k].title.lower()} ({k}: {_EXAMPLE[k]})" for k in EXTRACTS)
    return (
        f"This file is none of the kinds the dashboard takes. Its first row reads '{shown}' ({len(cells)} "
        f"column{'' if len(cells) == 1 else 's'}), and none of its first lines names the columns of: {kinds}; "
        "an OHID Fingertips 'Download data' CSV (Indicator ID, Indicator Name, Area Code, ..., Time period, "
        "Value, ...); or an NDTMS ViewIt export (a ReportingPeriod column, an Area column, then one column per "
        "figure). Check that this is the right file and that its first row holds the column names."
    )
