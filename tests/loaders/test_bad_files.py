"""The catalogue of bad files: each is rejected with its exact reasons and changes nothing."""

from __future__ import annotations

import pytest

from loaders.load import load_file
from loaders.store import Store
from metrics.registry import measure_ids
from tests.conftest import DIP_HEADER, JOURNEY_HEADER, SAMPLES, TOP_HEADER, csv_text

GOOD = "E08000999,NRC01,,a9f3c2,NRC-1001,34,1,A,OPI,HEROIN,4,2023-11-02,2023-11-09,,,14,C"


def journey(**changes: str) -> str:
    """The good journey row with some cells changed."""
    cells = dict(zip(JOURNEY_HEADER.split(","), GOOD.split(","), strict=True))
    cells.update(changes)
    return ",".join(cells.values())


def _reject(store: Store, data: bytes, **kwargs: str) -> list[tuple[int | None, str, str, str]]:
    before = store.content_checksums()
    result = load_file(store, data=data, file_name="bad.csv", measure_ids=measure_ids(), **kwargs)
    assert result.status == "rejected", result
    assert store.content_checksums() == before, "a rejected file changed the database"
    assert result.problems, "a rejection must give reasons"
    return [(p.row, p.column, p.value, p.reason) for p in result.problems]


@pytest.fixture
def seeded(store: Store) -> Store:
    """A database that already holds data, so 'nothing changed' is a real claim."""
    for name in ("journeys.csv", "tops.csv", "dip.csv"):
        assert load_file(store, data=(SAMPLES / name).read_bytes(), file_name=name).status == "loaded"
    return store


def test_empty_file(seeded: Store) -> None:
    assert _reject(seeded, b"") == [(None, "", "", "The file is empty.")]
    assert _reject(seeded, b"\r\n\r\n  \n") == [(None, "", "", "The file is empty.")]


def test_header_only(seeded: Store) -> None:
    problems = _reject(seeded, (JOURNEY_HEADER + "\n").encode())
    assert problems == [(None, "", "", "The file has a header but no data rows.")]


def test_wrong_delimiter(seeded: Store) -> None:
    text = csv_text(JOURNEY_HEADER.replace(",", ";"), GOOD.replace(",", ";"))
    [(row, _, _, reason)] = _reject(seeded, text.encode())
    assert row == 1
    assert reason.startswith("The values in this file are separated by semicolons (;); the extracts use commas.")


def test_missing_required_column(seeded: Store) -> None:
    header = JOURNEY_HEADER.replace(",TRIAGED", "")
    row = ",".join(c for h, c in zip(JOURNEY_HEADER.split(","), GOOD.split(","), strict=True) if h != "TRIAGED")
    assert _reject(seeded, csv_text(header, row).encode()) == [
        (1, "TRIAGED", "", "The required column TRIAGED is missing from the header of this journeys file.")
    ]


def test_duplicated_column(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER + ",AGE", GOOD + ",35").encode())
    assert problems == [(1, "AGE", "AGE", "The column AGE appears more than once in the header (columns 6 and 18).")]


def test_unknown_codes(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, journey(ETHNIC="Q"), journey(EPISODID="X2", SEX="7")).encode())
    assert (2, "ETHNIC", "Q", "ETHNIC Q is not a valid ETHNIC code. Valid codes: A, B, C, D, E, F, G, H, J, K, L, "
            "M, N, P, R, S, Z.") in problems
    assert (3, "SEX", "7", "SEX 7 is not a valid SEX code. Valid codes: 1, 2, 3, 9.") in problems


def test_us_dates(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, journey(TRIAGED="05/13/2025", REFLD="")).encode())
    assert problems == [(2, "TRIAGED", "05/13/2025", "TRIAGED 05/13/2025 looks like a US date (month/day/year). "
                         "Write dates as DD/MM/YYYY or YYYY-MM-DD.")]


def test_two_digit_year_is_ambiguous(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, journey(TRIAGED="09/11/23", REFLD="")).encode())
    assert problems == [(2, "TRIAGED", "09/11/23", "TRIAGED 09/11/23 has a two-digit year, which is ambiguous. "
                         "Write the year in full (DD/MM/YYYY).")]


def test_impossible_dates(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, journey(TRIAGED="2023-02-30", REFLD=""),
                                        journey(EPISODID="X2", TRIAGED="31/04/2023", REFLD="")).encode())
    assert problems == [
        (2, "TRIAGED", "2023-02-30", "TRIAGED 2023-02-30 is not a real date (check the day and month)."),
        (3, "TRIAGED", "31/04/2023", "TRIAGED 31/04/2023 is not a real date (check the day and month)."),
    ]


def test_discharge_before_triage(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, journey(DISD="2023-11-01", DISRSN="80")).encode())
    assert problems == [(2, "DISD", "2023-11-01", "The discharge date (DISD 2023-11-01) is before the triage date "
                         "(TRIAGED 2023-11-09).")]


def test_referral_after_triage_and_reason_without_discharge(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, journey(REFLD="2023-11-10", DISRSN="85")).encode())
    assert problems == [
        (2, "DISD", "", "A discharge reason (DISRSN 85) is given but there is no discharge date (DISD); leave both "
         "blank while the journey is open."),
        (2, "REFLD", "2023-11-10", "The referral date (REFLD 2023-11-10) is after the triage date (TRIAGED 2023-11-09)."),
    ]


def test_broken_quoting(seeded: Store) -> None:
    text = csv_text(JOURNEY_HEADER, GOOD, journey(EPISODID="X2", DRUG1='"HEROIN'), journey(EPISODID="X3"))
    problems = _reject(seeded, text.encode())
    assert len(problems) == 1
    row, column, _, reason = problems[0]
    assert row == 3 and column == ""
    assert reason.startswith("This row has ")
    assert "quote mark" in reason


def test_windows_1252_loads(store: Store) -> None:
    text = csv_text(JOURNEY_HEADER, journey(DRUG1="CAFÉ"))
    result = load_file(store, data=text.encode("cp1252"), file_name="ansi.csv")
    assert result.status == "loaded", result.problems
    assert "Windows-1252" in result.warnings[0]
    assert store.scalar("SELECT drug1 FROM journeys") == "CAFÉ"
    assert store.scalar("SELECT encoding FROM uploads") == "Windows-1252"


def test_utf8_bom_and_case_insensitive_header(store: Store) -> None:
    text = csv_text(JOURNEY_HEADER.lower().replace(",", " , "), GOOD)
    result = load_file(store, data=b"\xef\xbb\xbf" + text.encode(), file_name="bom.csv")
    assert result.status == "loaded", result.problems
    assert store.scalar("SELECT encoding FROM uploads") == "UTF-8 with BOM"


def test_excel_trailing_empty_rows_and_blank_lines(store: Store) -> None:
    text = csv_text(JOURNEY_HEADER, GOOD, ",,,,,,,,,,,,,,,,", ",,,,,,,,,,,,,,,,") + "\r\n\r\n"
    result = load_file(store, data=text.encode(), file_name="excel.csv")
    assert result.status == "loaded", result.problems
    assert result.rows == 1


def test_thousands_separators_in_counts(seeded: Store) -> None:
    row = 'E08000999,CS09,2024-04,"1,212",188,21,30,17,64,41,22,15,19,12'
    problems = _reject(seeded, csv_text(DIP_HEADER, row).encode())
    assert problems == [(2, "TRIGGER_ARRESTS", "1,212", "TRIGGER_ARRESTS 1,212 has a thousands separator. Write "
                         "numbers without commas (e.g. 1234).")]


def test_negative_counts(seeded: Store) -> None:
    row = "E08000999,CS09,2024-04,212,188,21,30,17,64,41,22,15,-19,12"
    problems = _reject(seeded, csv_text(DIP_HEADER, row).encode())
    assert (2, "REFERRED", "-19", "REFERRED -19 is negative; REFERRED must be a whole number from 0 to 10000000.") in problems


def test_parts_exceeding_wholes(seeded: Store) -> None:
    row = "E08000999,CS09,2024-04,212,60,21,30,17,64,65,22,23,19,20"
    problems = _reject(seeded, csv_text(DIP_HEADER, row).encode())
    reasons = {p[1]: p[3] for p in problems}
    assert reasons == {
        "RA_ATTENDED": "RA_ATTENDED (65) is more than RA_REQUIRED (64): attended assessments are part of those required.",
        "FUA_ATTENDED": "FUA_ATTENDED (23) is more than FUA_REQUIRED (22).",
        "ENTERED": "ENTERED (20) is more than REFERRED (19): those entering treatment are part of those referred.",
        "TESTS": "The positive tests (POS_OPI + POS_COC + POS_BOTH = 68) are more than TESTS (60).",
    }


def test_binary_file(seeded: Store) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    [(row, _, _, reason)] = _reject(seeded, png)
    assert row is None and reason.startswith("This is not a CSV text file (it contains binary data")


def test_file_of_another_kind(store: Store) -> None:
    tops = (SAMPLES / "tops.csv").read_bytes()
    [(row, column, _, reason)] = _reject(store, tops, kind="journeys")
    # Said as what the file is, not as the six journeys columns a TOPs file lacks.
    assert (row, column) == (1, "")
    assert reason == ("You chose a treatment journeys (journeys) extract, but this file looks like a treatment "
                      "outcomes profiles (tops) extract. Choose 'tops' as the kind of extract, or 'auto' to let the "
                      "dashboard tell.")


def test_duplicate_key_within_file(seeded: Store) -> None:
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, GOOD, journey(CLIENTID="zz"), GOOD).encode())
    assert [p[0] for p in problems] == [2, 3, 4]
    assert problems[0][3] == ("EPISODID NRC-1001 appears more than once for DAT E08000999 and AGNCY NRC01 (rows 2, 3, 4); "
                              "each journey (EPISODID) within a partnership (DAT) and provider (AGNCY) must be unique in a file.")


def test_required_values_ranges_and_every_error_at_once(seeded: Store) -> None:
    rows = [journey(AGE="17"), journey(EPISODID="B", AGE="abc", CLIENTID=""), journey(EPISODID="C", DAT="E08-0009")]
    problems = _reject(seeded, csv_text(JOURNEY_HEADER, *rows).encode())
    assert problems == [
        (2, "AGE", "17", "AGE must be a whole number from 18 to 110."),
        (3, "AGE", "abc", "AGE abc is not a number."),
        (3, "CLIENTID", "", "CLIENTID is required but is blank."),
        (4, "DAT", "E08-0009", "DAT must be 1 to 12 letters or digits."),
    ]


def test_stated_period_rejects_later_dates(store: Store) -> None:
    problems = _reject(store, (SAMPLES / "journeys.csv").read_bytes(), period="2024-25 Q1")
    assert (6, "DISD", "2024-08-21", "DISD 2024-08-21 is after the end of the stated reporting period 2024-25 Q1 "
            "(2024-06-30).") in problems


def test_quoted_line_breaks_keep_spreadsheet_rows(seeded: Store) -> None:
    """A quoted value with a line break is one spreadsheet row, so row numbers stay right."""
    text = csv_text(JOURNEY_HEADER, journey(DRUG1='"HER\nOIN"'), journey(EPISODID="X2", AGE="9"))
    assert _reject(seeded, text.encode()) == [(3, "AGE", "9", "AGE must be a whole number from 18 to 110.")]


def test_title_lines_above_header(store: Store) -> None:
    text = "NDTMS extract for Northvale\nProduced 2024-07-01\n" + csv_text(JOURNEY_HEADER, GOOD, journey(EPISODID="X", AGE="7"))
    result = load_file(store, data=text.encode(), file_name="titled.csv")
    assert [(p.row, p.column) for p in result.problems] == [(5, "AGE")]


def test_indicator_rules(seeded: Store) -> None:
    from tests.conftest import INDICATOR_HEADER

    rows = [
        "E92000001,England,new_thing,,2024-25 Q1,,,5,count,,",
        "E92000001,England,bme_share,,2024-25 Q5,3,10,,proportion,,",
        "E92000001,England,bme_share,,2024-25,12,10,,proportion,,",
        "E92000001,England,bme_share,,2023-24,,,,proportion,,",
    ]
    problems = _reject(seeded, csv_text(INDICATOR_HEADER, *rows).encode())
    assert (2, "INDICATOR_NAME", "new_thing", "INDICATOR new_thing is new: give its INDICATOR_NAME (needed the "
            "first time an indicator is uploaded).") in problems
    assert (3, "PERIOD", "2024-25 Q5", "PERIOD '2024-25 Q5' is not a period; write a quarter (2024-25 Q3), a "
            "financial year (2024-25 or 2024/25), a month (2024-11), a rolling year (12m to 2024-12-31), a calendar "
            "year (2015) or a range of years (2016 - 18).") in problems
    assert (4, "NUMERATOR", "12.0", "NUMERATOR (12.0) is more than DENOMINATOR (10.0) for a proportion.") in problems
    assert (5, "VALUE", "", "The row has no figure: give NUMERATOR and DENOMINATOR, or VALUE.") in problems


def test_tops_duplicate_and_ranges(seeded: Store) -> None:
    rows = ["E08000999,NRC01,a,E1,T1,2024-01-01,S,29,0,0,0,21,0,0,4",
            "E08000999,NRC01,a,E1,T1,2024-01-02,X,0,0,0,0,0,0,0,3"]
    problems = _reject(seeded, csv_text(TOP_HEADER, *rows).encode())
    assert (2, "OPIUSE", "29", "OPIUSE must be a whole number from 0 to 28.") in problems
    assert (2, "PHSTAT", "21", "PHSTAT must be a whole number from 0 to 20.") in problems
    assert (2, "HOUSING", "4", "HOUSING 4 is not a valid HOUSING code. Valid codes: 1, 2, 3.") in problems
    assert (3, "TRSTAGE", "X", "TRSTAGE X is not a valid TRSTAGE code. Valid codes: E, P, R, S.") in problems
    assert [p for p in problems if p[1] == "TOPID"][0][0] == 2


def test_formula_cells_are_kept_as_text_and_never_run(store: Store) -> None:
    """A formula in a free-text cell loads as text; the error CSV neutralises formulas."""
    from loaders.problems import Problem, problems_csv

    result = load_file(store, data=csv_text(JOURNEY_HEADER, journey(DRUG1="=cmd|' /C calc'!A0")).encode(),
                       file_name="formula.csv")
    assert result.status == "loaded"
    assert store.scalar("SELECT drug1 FROM journeys") == "=cmd|' /C calc'!A0"
    assert "'=HYPERLINK" in problems_csv([Problem(2, "DRUG1", "=HYPERLINK(1)", "x")])


def test_too_large(seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_MAX_UPLOAD_MB", "0.001")
    [(_, _, _, reason)] = _reject(seeded, (SAMPLES / "journeys.csv").read_bytes() * 3)
    assert "larger than the limit of 1.0 KB" in reason and "KPI_MAX_UPLOAD_MB" in reason


def test_dip_counts_too_large_to_add_up_are_reported_not_a_crash(seeded: Store) -> None:
    """Positive-test counts near 2^63 each break the range rule; their sum must not overflow the check."""
    big = "9223372036854775807"
    row = f"E08000999,CS01,2024-04,212,188,{big},{big},17,64,41,22,15,19,12"
    problems = _reject(seeded, csv_text(DIP_HEADER, row).encode())
    assert (2, "POS_OPI", big, "POS_OPI must be a whole number from 0 to 10000000.") in problems
    assert (2, "POS_COC", big, "POS_COC must be a whole number from 0 to 10000000.") in problems
    assert any(column == "TESTS" and "are more than TESTS (188)" in reason for _r, column, _v, reason in problems)
