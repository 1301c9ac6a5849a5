"""Hostile input: whatever bytes arrive, the loader answers cleanly and changes nothing it should not.

Property-based: hypothesis builds random bytes, and the sample extracts mutated every way a real
file goes wrong (renamed, duplicated, dropped or re-cased headers; bad codes; dates in every form;
stray quotes; other encodings and odd bytes; 100 KB fields; 1,000-column rows; blank lines; each
line ending; NUL bytes; spreadsheet formulas). Every load must end as ``loaded`` or ``rejected``
with reasons in plain English, and a rejected file must leave the database exactly as it was.
The runs are derandomised, so CI sees the same examples every time; for a deeper hunt set
KPI_FUZZ_SCALE (e.g. 20) to multiply the examples and KPI_FUZZ_RANDOM=1 to draw new ones each run
(pytest --hypothesis-seed=N then repeats a run).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from loaders import config
from loaders.extracts import EXTRACTS
from loaders.load import LoadResult, load_file, withdraw_upload
from loaders.store import Store
from metrics.registry import measure_ids
from tests.conftest import DIP_HEADER, INDICATOR_HEADER, JOURNEY_HEADER, SAMPLES

ROOT = Path(__file__).resolve().parents[2]
KINDS = tuple(EXTRACTS)
MEASURE_IDS = tuple(measure_ids())
SAMPLE_BYTES = frozenset((SAMPLES / f"{kind}.csv").read_bytes() for kind in KINDS)


def examples(count: int) -> int:
    """The number of examples a property tries: modest for CI, scaled up by KPI_FUZZ_SCALE."""
    return max(1, round(count * float(os.environ.get("KPI_FUZZ_SCALE", "1"))))


FUZZ = settings(
    derandomize="KPI_FUZZ_RANDOM" not in os.environ,  # the same examples on every run: CI is deterministic
    database=None,
    deadline=timedelta(seconds=30),  # generous for a slow CI machine; a hang is caught by the timeout below
    print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)
pytestmark = pytest.mark.timeout(240)


# -- the property ---------------------------------------------------------------------------------------
_SENTENCE = re.compile(r"^[A-Z].*\.$", re.S)


def assert_clean_outcome(store: Store, data: bytes, *, kind: str = "auto", period: str | None = None) -> LoadResult:
    """Load ``data``; the outcome is loaded or rejected with English reasons, and a rejection changes nothing.

    A loaded file is checked against the audit and then withdrawn, which must restore its table.
    (An unchanged sample is the same bytes as one the fixture loaded: a duplicate, which changes nothing.)
    """
    before = store.content_checksums()
    result = load_file(store, data=data, file_name="fuzz.csv", kind=kind, period=period, measure_ids=MEASURE_IDS)
    if result.status == "duplicate" and data in SAMPLE_BYTES:
        assert store.content_checksums() == before and "nothing was changed" in result.message
        return result
    assert result.status in ("loaded", "rejected"), result
    if result.status == "rejected":
        assert result.problems, "a rejection must give at least one reason"
        for problem in result.problems:
            reason = problem.reason
            assert isinstance(reason, str) and _SENTENCE.match(reason), f"not a sentence: {reason!r}"
            assert len(re.findall(r"[A-Za-z]{2,}", reason)) >= 3, f"not a sentence: {reason!r}"
            assert "Traceback" not in reason and "Error:" not in reason, reason
            assert problem.row is None or problem.row >= 1, problem
            assert isinstance(problem.column, str) and isinstance(problem.value, str), problem
        assert store.content_checksums() == before, "a rejected file changed the database"
        return result
    assert not result.problems and result.rows > 0 and result.kind in KINDS, result
    stored = store.scalar(f"SELECT count(*) FROM {result.kind} WHERE upload_id = ?", [result.upload_id])
    audited = store.scalar("SELECT row_count FROM uploads WHERE upload_id = ?", [result.upload_id])
    assert stored == audited == result.rows
    withdraw_upload(store, upload_id=result.upload_id)  # so that the same bytes can load again later
    assert store.content_checksums()[result.kind] == before[result.kind], "withdrawal did not restore the table"
    return result


@pytest.fixture
def seeded(store: Store) -> Store:
    """A database already holding every kind, so that "nothing changed" is a real claim."""
    for kind in KINDS:
        result = load_file(store, data=(SAMPLES / f"{kind}.csv").read_bytes(), file_name=f"{kind}.csv",
                           measure_ids=MEASURE_IDS)
        assert result.status == "loaded", result.problems
    return store


# -- (a) random bytes -------------------------------------------------------------------------------------
kinds = st.sampled_from(("auto", *KINDS))


@settings(FUZZ, max_examples=examples(120))
@given(data=st.binary(max_size=3000), kind=kinds)
def test_random_bytes(seeded: Store, data: bytes, kind: str) -> None:
    assert_clean_outcome(seeded, data, kind=kind)


@settings(FUZZ, max_examples=examples(60))
@given(sample=st.sampled_from(KINDS), body=st.binary(max_size=2000), kind=kinds)
def test_a_real_header_then_random_bytes(seeded: Store, sample: str, body: bytes, kind: str) -> None:
    header = (SAMPLES / f"{sample}.csv").read_bytes().split(b"\n", 1)[0]
    assert_clean_outcome(seeded, header + b"\n" + body, kind=kind)


# -- (b) the sample files, mutated --------------------------------------------------------------------------
@dataclass
class Sheet:
    """A CSV file as cells, before it is written out."""

    header: list[str]
    rows: list[list[str] | None]  # None is a blank line
    above: list[str] = field(default_factory=list)  # title lines above the header


def _sample(kind: str) -> Sheet:
    records = list(csv.reader(io.StringIO((SAMPLES / f"{kind}.csv").read_text(encoding="utf-8"))))
    return Sheet(records[0], [r for r in records[1:] if r])


CODES = ("Q", "7", "99", "0", "00", "", " ", "NA", "null", "N/A", "  1  ", "1.0", "80.0", "-1", "+1", "a", "z",
         "opi", "Opi", "１", "٣", "A\u0301", "ZZZZZZZZZZZZZ", "E08000999E08000999", "\u00a0", "\ufeffA")
FORMULAS = ("=cmd|' /C calc'!A0", "=HYPERLINK(\"http://example.invalid\",\"x\")", "@SUM(A1:A9)", "+1+1", "-2+3",
            "=1+1", "\t=1", "\r=1")
NUMBERS = ("-1", "1e3", "1E999", "-1e999", "1,212", "3.5", " 7", "+8", "0x10", "∞", "NaN", "inf", "1_000",
           "99999999999999999999999999999", "0.0000001", ".5", "5.", "1e-400", "٣", "(5)", "5%")
IMPOSSIBLE_DATES = ("2023-02-30", "31/04/2023", "29/02/2023", "00/00/0000", "2024-13-01", "2024-00-10", "32/01/2024",
                    "05/13/2025", "13/13/2013", "2024-1-5", "2024/01/05", "20240105", "45123", "1/1/99999",
                    "2024-01-01T00:00:00Z", "2024-01-01 12:30", "yesterday", "01/01/1899", "01/01/2101",
                    "0000-01-01", "9999-12-31", "2024-02-29", "29/02/2024", "1/2/2024", "1-2-2024", "1.2.2024",
                    "05/13/25", "2024-W05", "2024-07", "1999-12", "1800-01", "2101-04")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%d/%m/%y",
                "%Y-%m", "%b-%y", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M")

dates = st.one_of(
    st.builds(lambda d, f: d.strftime(f), st.dates(date(1850, 1, 1), date(2150, 12, 31)), st.sampled_from(DATE_FORMATS)),
    st.sampled_from(IMPOSSIBLE_DATES),
)
hostile_values = st.one_of(
    st.sampled_from(CODES), st.sampled_from(FORMULAS), st.sampled_from(NUMBERS), dates,
    st.integers(-10**15, 10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=30),  # any Unicode, line breaks and control characters included
    st.builds(lambda c, n: c * n, st.sampled_from(("A", "é", "\"", ",", "\n", " ", "😀")), st.integers(1, 100_000)),
)


def _pick(draw: st.DrawFn, items: list) -> int:
    return draw(st.integers(0, len(items) - 1))


def _records(sheet: Sheet) -> list[list[str]]:
    return [r for r in sheet.rows if r is not None]


@st.composite
def mutation(draw: st.DrawFn, sheet: Sheet) -> None:
    """Change ``sheet`` in place in one of the ways real files go wrong."""
    what = draw(st.sampled_from((
        "cell", "cell", "cell", "quote", "rename", "duplicate", "drop", "case", "shuffle", "wide", "blank",
        "excel_empty", "ragged", "repeat_row", "title", "no_rows", "huge")))
    width = len(sheet.header)
    records = _records(sheet)
    if what in ("cell", "quote", "huge") and records:
        row = records[_pick(draw, records)]
        col = draw(st.integers(0, len(row) - 1)) if row else 0
        if not row:
            return
        if what == "cell":
            row[col] = draw(hostile_values)
        elif what == "quote":
            at = draw(st.integers(0, len(row[col])))
            row[col] = row[col][:at] + draw(st.sampled_from(('"', '""', '"\n', "'"))) + row[col][at:]
        else:
            row[col] = draw(st.sampled_from(("X", "é", "a,b", '"'))) * 100_000
    elif what == "rename" and width:
        col = _pick(draw, sheet.header)
        sheet.header[col] = draw(st.one_of(st.text(max_size=12), st.sampled_from(
            (sheet.header[col][:-1], sheet.header[col] + "S", sheet.header[col].replace("_", " "), "", "DAT", "__row"))))
    elif what == "duplicate" and width:
        col = _pick(draw, sheet.header)
        sheet.header.append(draw(st.sampled_from((sheet.header[col], sheet.header[col].lower(), f" {sheet.header[col]} "))))
        for r in records:
            r.append(r[col] if col < len(r) else "")
    elif what == "drop" and width > 1:
        col = _pick(draw, sheet.header)
        del sheet.header[col]
        for r in records:
            if col < len(r):
                del r[col]
    elif what == "case":
        change = draw(st.sampled_from((str.lower, str.title, str.swapcase, lambda h: f"  {h}\t")))
        sheet.header[:] = [change(h) for h in sheet.header]
    elif what == "shuffle":
        order = draw(st.permutations(range(width)))
        sheet.header[:] = [sheet.header[i] for i in order]
        for r in records:
            if len(r) == width:
                r[:] = [r[i] for i in order]
    elif what == "wide":
        extra = draw(st.integers(1, 1000))
        sheet.header.extend(f"EXTRA{i}" for i in range(extra))
        for r in records:
            r.extend(str(i) for i in range(extra))
    elif what == "blank":
        sheet.rows.insert(draw(st.integers(0, len(sheet.rows))), None)
    elif what == "excel_empty":
        sheet.rows.insert(draw(st.integers(0, len(sheet.rows))), [""] * width)
    elif what == "ragged" and records:
        row = records[_pick(draw, records)]
        if draw(st.booleans()) and row:
            row.pop()
        else:
            row.append(draw(st.sampled_from(("", "x", "1"))))
    elif what == "repeat_row" and records:
        sheet.rows.append(list(records[_pick(draw, records)]))
    elif what == "title":
        sheet.above.append(draw(st.sampled_from(("NDTMS extract", "Produced 2024-07-01", "", "DAT,AGNCY", ",,,"))))
    elif what == "no_rows":
        sheet.rows.clear()


ENCODINGS = ("utf-8",) * 6 + ("utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le")


@st.composite
def mutated_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """A sample extract with up to four mutations, written out in any line ending, quoting and encoding."""
    kind = draw(st.sampled_from(KINDS))
    sheet = _sample(kind)
    for _ in range(draw(st.sampled_from((0, 1, 1, 1, 2, 2, 3, 4)))):
        draw(mutation(sheet))
    newline = draw(st.sampled_from(("\n", "\r\n", "\r")))
    quoting = draw(st.sampled_from(("csv", "raw", "all")))

    def line(cells: list[str]) -> str:
        if quoting == "raw":  # written by hand: stray quotes and commas break the row, as they would
            return ",".join(cells)
        out = io.StringIO()
        csv.writer(out, lineterminator="", quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL).writerow(cells)
        return out.getvalue()

    lines = [*sheet.above, line(sheet.header)] + ["" if r is None else line(r) for r in sheet.rows]
    text = newline.join(lines) + newline * draw(st.integers(0, 3))
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    for _ in range(draw(st.sampled_from((0, 0, 0, 0, 1, 2)))):  # odd bytes: undefined in cp1252, broken UTF-8, NUL
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from((b"\x81", b"\x8d", b"\x9d", b"\xff", b"\xc3", b"\xe2\x82", b"\x00",
                                                  b"\xa0", b"\x1a"))) + data[at:]
    if draw(st.booleans()) and draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # cut off mid-file
    return kind, data


@settings(FUZZ, max_examples=examples(120))
@given(case=mutated_file(), kind=st.sampled_from(("auto",) * 5 + ("same",) * 2 + KINDS),
       period=st.sampled_from((None, None, None, "2024-25 Q2", "2023-24 Q1")))
def test_mutated_samples(seeded: Store, case: tuple[str, bytes], kind: str, period: str | None) -> None:
    sample_kind, data = case
    result = assert_clean_outcome(seeded, data, kind=sample_kind if kind == "same" else kind, period=period)
    event(result.status if result.status != "rejected" else "rejected: " + result.problems[0].reason[:25])


@st.composite
def hostile_cells(draw: st.DrawFn) -> tuple[str, bytes]:
    """A well-formed sample file (proper quoting, UTF-8) with one to three cells replaced by hostile values."""
    kind = draw(st.sampled_from(KINDS))
    sheet = _sample(kind)
    records = _records(sheet)
    for _ in range(draw(st.integers(1, 3))):
        row = records[_pick(draw, records)]
        row[_pick(draw, row)] = draw(hostile_values)
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(("\n", "\r\n")))).writerows([sheet.header, *records])
    return kind, out.getvalue().encode("utf-8")


@settings(FUZZ, max_examples=examples(80))
@given(case=hostile_cells())
def test_hostile_values_in_well_formed_files(seeded: Store, case: tuple[str, bytes]) -> None:
    result = assert_clean_outcome(seeded, case[1])
    event(result.status if result.status != "rejected" else "rejected: " + result.problems[0].reason[:25])


# -- row numbers: what the spreadsheet shows ---------------------------------------------------------------
GOOD = "E08000999,NRC01,,a9f3c2,{episode},34,1,A,OPI,{drug},4,2023-11-02,2023-11-09,,,14,C"


@st.composite
def laid_out_journeys(draw: st.DrawFn) -> tuple[str, list[int], str]:
    """A valid journeys file with blank lines, Excel's empty rows, title lines and quoted line breaks.

    Returns the text, the spreadsheet row of each record, and the line ending.
    """
    newline = draw(st.sampled_from(("\n", "\r\n", "\r")))
    titles = draw(st.lists(st.sampled_from(("NDTMS extract", "Produced 2024-07-01", "")), max_size=2))
    lines = [*titles, JOURNEY_HEADER]
    row = len(lines)  # the header's spreadsheet row
    rows: list[int] = []
    for i in range(draw(st.integers(1, 8))):
        for _ in range(draw(st.integers(0, 2))):
            lines.append(draw(st.sampled_from(("", "", " ", ",,,,,,,,,,,,,,,,"))))
            row += 1
        drug = draw(st.sampled_from(("HEROIN", '"HER{nl}OIN"', '"CRACK, COCAINE"', '"{nl}{nl}"')))
        lines.append(GOOD.format(episode=f"EP{i}", drug=drug.format(nl=draw(st.sampled_from(("\n", "\r\n", newline))))))
        row += 1
        rows.append(row)
    trailing = draw(st.sampled_from(("", newline, newline * 3, newline + ",,,,,,,,,,,,,,,," + newline)))
    return newline.join(lines) + newline + trailing, rows, newline


@settings(FUZZ, max_examples=examples(30))
@given(case=laid_out_journeys(), data=st.data())
def test_row_numbers_are_those_a_spreadsheet_shows(store: Store, case: tuple[str, list[int], str],
                                                   data: st.DataObject) -> None:
    text, rows, _ = case
    loaded = load_file(store, data=text.encode(), file_name="laid-out.csv", measure_ids=MEASURE_IDS)
    assert loaded.status == "loaded" and loaded.rows == len(rows), loaded
    # Each record is stored with the row a spreadsheet shows it on.
    assert [r[0] for r in store.rows("SELECT source_row FROM journeys WHERE upload_id = ? ORDER BY 1",
                                     [loaded.upload_id])] == rows
    withdraw_upload(store, upload_id=loaded.upload_id)
    # One bad age: the problem names exactly that record's row.
    bad = data.draw(st.integers(0, len(rows) - 1), label="bad record")
    broken = text.replace("EP" + str(bad) + ",34,", "EP" + str(bad) + ",7,", 1)
    rejected = assert_clean_outcome(store, broken.encode())
    assert [(p.row, p.column, p.value) for p in rejected.problems] == [(rows[bad], "AGE", "7")]


# -- what the fuzzing found: each once crashed the loader, loaded bad data or misread a file ---------------------
DIP_ROW = "E08000999,CS09,{month},212,188,21,30,17,64,41,22,15,19,12"
INDICATOR_ROW = "E92000001,England,iom_cohort,IOM cohort,2024-25,{numerator},{denominator},{value},count,,"


@pytest.mark.parametrize(("data", "expected"), [
    # A header with no line break after it: Arrow's parser raised instead of reading no rows.
    (JOURNEY_HEADER.encode(), [(None, "", "", "The file has a header but no data rows.")]),
    # A month outside 1900-2100 passed the checks, left the file without a reporting period and crashed the load.
    ((DIP_HEADER + "\n" + DIP_ROW.format(month="1800-04") + "\n").encode(),
     [(2, "MONTH", "1800-04", "MONTH 1800-04 is not a plausible month (the year must be 1900 to 2100).")]),
    ((DIP_HEADER + "\n" + DIP_ROW.format(month="2024-04") + "\n" + DIP_ROW.replace("CS09", "CS10").format(
        month="9999-04") + "\n").encode(),
     [(3, "MONTH", "9999-04", "MONTH 9999-04 is not a plausible month (the year must be 1900 to 2100).")]),
    # Numbers too large for a DOUBLE were stored as infinity.
    ((INDICATOR_HEADER + "\n" + INDICATOR_ROW.format(numerator="", denominator="", value="1e999") + "\n").encode(),
     [(2, "VALUE", "1e999", "VALUE 1e999 is too large a number.")]),
    ((INDICATOR_HEADER + "\n" + INDICATOR_ROW.format(numerator="1e300", denominator="1e-300", value="") + "\n").encode(),
     [(2, "DENOMINATOR", "1e-300", "NUMERATOR / DENOMINATOR is too large a number; check the DENOMINATOR.")]),
])
def test_cases_the_fuzzing_found(seeded: Store, data: bytes, expected: list[tuple]) -> None:
    result = assert_clean_outcome(seeded, data)
    assert [(p.row, p.column, p.value, p.reason) for p in result.problems] == expected


def test_old_mac_line_endings_load_with_the_right_rows(store: Store) -> None:
    """Excel for Mac's "CSV (Macintosh)" ends lines with a lone \\r: once rejected as having no header."""
    text = (SAMPLES / "journeys.csv").read_text(encoding="utf-8").replace("\n", "\r")
    result = load_file(store, data=("Title\r\r" + text).encode(), file_name="mac.csv")
    assert result.status == "loaded" and result.rows == 5, result.problems
    assert [r[0] for r in store.rows("SELECT source_row FROM journeys ORDER BY 1")] == [4, 5, 6, 7, 8]


# -- the size limits -------------------------------------------------------------------------------------------
def test_a_file_over_the_upload_limit_is_rejected_with_a_clear_message(seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_MAX_UPLOAD_MB", "1")
    limit = config.max_upload_bytes()
    assert limit == 1024 * 1024
    sample = (SAMPLES / "journeys.csv").read_bytes()
    # Exactly at the limit is allowed (the padding is a blank last line) ...
    at_limit = sample + b" " * (limit - len(sample))
    assert assert_clean_outcome(seeded, at_limit).status == "loaded"
    # ... one byte more is not, and the message says by how much and what to do.
    over = assert_clean_outcome(seeded, at_limit + b" ")
    assert [(p.row, p.column, p.value, p.reason) for p in over.problems] == [(None, "", "", (
        "The file is 1,048,577 bytes, larger than the limit of 1,048,576 bytes. Split it by partnership or quarter, "
        "or ask the administrator to raise KPI_MAX_UPLOAD_MB."))]
    huge = assert_clean_outcome(seeded, b"x" * (limit * 14 // 10))
    assert huge.problems[0].reason.startswith("The file is 1.4 MB, larger than the limit of 1.0 MB.")


def test_streamlit_uploader_limit_matches_the_loader_and_usage_statistics_are_off() -> None:
    settings_file = ROOT / ".streamlit" / "config.toml"
    streamlit = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    assert streamlit["server"]["maxUploadSize"] == 200
    assert streamlit["browser"]["gatherUsageStats"] is False
    default_mb = next(s.default for s in config.SETTINGS if s.env == "KPI_MAX_UPLOAD_MB")
    assert streamlit["server"]["maxUploadSize"] == int(default_mb)
