"""Fingertips downloads and NDTMS ViewIt exports load as downloaded (issue 12).

The three real files in tests/fixtures/downloads load unchanged and read back exactly as published;
variants carry the quirks other real downloads have; bad variants are rejected with the row and the
column named as the file names them, and change nothing. Every kind's detection is tried on every
other kind's files, the real ones included.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from loaders.areas import area, code_for_name, name_key
from loaders.formats import read_file, recognised
from loaders.load import LoadResult, history, load_file, withdraw_upload
from loaders.periods import parse_indicator_period
from loaders.problems import FileRejected
from loaders.store import Store
from metrics.registry import measure_ids
from tests.conftest import FIXTURES, SAMPLES

DOWNLOADS = FIXTURES / "downloads"
FINGERTIPS = DOWNLOADS / "fingertips_93517_unmet_opiates.csv"
VIEWIT_LA = DOWNLOADS / "ndtms_viewit_LAs_2012-14_sample.csv"
VIEWIT_ENGLAND = DOWNLOADS / "ndtms_viewit_England.csv"
OCU_NAME = "Proportion of opiates and/or crack cocaine users (i.e. OCU) not in treatment (%)"


def load(store: Store, data: bytes, *, name: str = "download.csv", kind: str = "auto") -> LoadResult:
    return load_file(store, data=data, file_name=name, kind=kind, measure_ids=measure_ids())


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def as_csv(rows: list[list[str]], *, line_end: str = "\r\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=line_end).writerows(rows)
    return out.getvalue().encode("utf-8")


def figures(store: Store, indicator: str, **where: str) -> dict[tuple, tuple]:
    """{(area, breakdown, group, period): (numerator, denominator, value, lower95, upper95, unit)}."""
    sql = ("SELECT area_code, breakdown, grp, period, numerator, denominator, value, lower_ci, upper_ci, unit "
           "FROM current_indicators WHERE indicator = ?")
    params: list[object] = [indicator]
    for column, value in where.items():
        sql += f" AND {column} = ?"
        params.append(value)
    return {tuple(r[:4]): tuple(r[4:]) for r in store.rows(sql, params)}


def hundredth(text: str) -> float | None:
    return float(Decimal(text) / 100) if text else None


# --- Fingertips ---------------------------------------------------------------------------------------------


def test_the_real_fingertips_download_reads_back_exactly_as_published(store: Store) -> None:
    """Every row of the real file is one figure: the value and limits a percentage as a proportion (the
    decimal divided by 100, to the nearest double), count and denominator as published (fractional:
    modelled estimates), the period in the product's label, England's row stored as the benchmark."""
    result = load(store, FINGERTIPS.read_bytes(), name=FINGERTIPS.name)
    assert result.status == "loaded", result.problems
    assert result.kind == "fingertips" and result.rows == 13
    header, *body = rows_of(FINGERTIPS)
    col = {name: i for i, name in enumerate(header)}
    stored = figures(store, "ft_93517")
    assert len(stored) == len(body) == 13
    for row in body:
        period = row[col["Time period"]].replace("/", "-")
        numerator, denominator, value, lower, upper, unit = stored[(row[col["Area Code"]], "", "", period)]
        assert value == hundredth(row[col["Value"]])
        assert (lower, upper) == (hundredth(row[col["Lower CI 95.0 limit"]]), hundredth(row[col["Upper CI 95.0 limit"]]))
        assert (numerator, denominator) == (float(row[col["Count"]]), float(row[col["Denominator"]]))
        assert unit == "proportion"
    assert stored[("E92000001", "", "", "2019-20")][2] == 0.5214774596
    assert store.scalar("SELECT DISTINCT indicator_name FROM current_indicators") == OCU_NAME
    assert store.scalar("SELECT DISTINCT period_kind FROM current_indicators") == "year"
    [upload] = history(store)
    assert (upload.kind, upload.rows, upload.file_name) == ("fingertips", 13, FINGERTIPS.name)
    assert "E92000001" in upload.partnerships and upload.periods == ("2018-19", "2019-20", "2020-21")


def _fingertips_variant(*, drop: str | None = None, rename: tuple[str, str] | None = None,
                        edit: dict[tuple[int, str], str] | None = None, extra_rows: list[list[str]] | None = None
                        ) -> list[list[str]]:
    header, *body = rows_of(FINGERTIPS)
    col = {name: i for i, name in enumerate(header)}
    for (row, column), value in (edit or {}).items():
        body[row][col[column]] = value
    rows = [header, *body, *(extra_rows or [])]
    if rename:
        rows[0] = [rename[1] if c == rename[0] else c for c in rows[0]]
    if drop:
        rows = [[c for i, c in enumerate(r) if i != col[drop]] for r in rows]
    return rows


def test_fingertips_quirks_line_breaks_in_names_mixed_endings_26_columns_and_the_23rd_column(store: Store) -> None:
    """A quoted name ending in a line break, lines ending in CR LF and LF in one file, no 'Time period
    range' (26 columns) and the 23rd column named after the parent area type: the same 13 figures, the
    name clean. Row numbers are as a spreadsheet shows them even after the quoted line break."""
    rows = _fingertips_variant(drop="Time period range",
                               rename=("Column not used", "Compared to Region value or percentiles"))
    assert len(rows[0]) == 26
    for row in rows[1:]:
        row[1] = OCU_NAME + "\n"
    text = as_csv(rows, line_end="\n").decode()
    lines = text.split("\n")
    mixed = "\r\n".join(lines[:8]) + "\n" + "\n".join(lines[8:])  # CR LF, then LF
    result = load(store, mixed.encode(), name="quirks.csv")
    assert result.status == "loaded", result.problems
    assert store.scalar("SELECT DISTINCT indicator_name FROM current_indicators") == OCU_NAME
    assert len(figures(store, "ft_93517")) == 13
    # A problem on the last row names the row a spreadsheet shows (the header is row 1).
    rows[13][12] = "about 46"
    problems = _rejected(store, as_csv(rows))
    assert [(p.row, p.column, p.value) for p in problems] == [(14, "Value", "about 46")]


def _rejected(store: Store, data: bytes, kind: str = "auto") -> tuple:
    before = store.content_checksums()
    result = load(store, data, kind=kind)
    assert result.status == "rejected", result.message
    assert store.content_checksums() == before  # nothing changed
    return result.problems


def test_a_fingertips_download_missing_a_column_is_named(store: Store) -> None:
    [problem] = _rejected(store, as_csv(_fingertips_variant(drop="Value")))
    assert (problem.row, problem.column) == (1, "Value")
    assert problem.reason.startswith(f"This looks like an OHID Fingertips download of indicator 93517 ({OCU_NAME}), "
                                     "but the column Value is missing from its header.")


def test_bad_fingertips_cells_are_named_by_row_and_fingertips_column(store: Store) -> None:
    """A value that is not a number, an area code that is not a code, an indicator id that is not a number,
    a period that is not one: each with its row and column as the file names them; nothing loaded."""
    rows = _fingertips_variant(edit={(0, "Value"): "n/a*", (1, "Area Code"): "West Sussex!",
                                     (2, "Indicator ID"): "93517b", (3, "Time period"): "2019/21",
                                     (4, "Count"): "1,352"})
    problems = {(p.row, p.column, p.value): p.reason for p in _rejected(store, as_csv(rows))}
    assert problems[(2, "Value", "n/a*")] == "Value n/a* is not a number."
    assert problems[(3, "Area Code", "West Sussex!")] == "Area Code must be 1 to 12 letters or digits."
    assert problems[(4, "Indicator ID", "93517b")] == ("Indicator ID 93517b is not a Fingertips indicator number "
                                                       "(a whole number, e.g. 93517).")
    assert problems[(5, "Time period", "2019/21")].startswith("Time period '2019/21' is not a financial year")
    assert problems[(6, "Count", "1,352")] == ("Count 1,352 has a thousands separator. Write numbers without "
                                               "commas (e.g. 1234).")
    assert len(problems) == 5


def test_the_same_fingertips_figure_twice_is_rejected_but_an_exact_repeat_is_loaded_once(store: Store) -> None:
    """A unitary authority listed under two area types repeats its row exactly: loaded once, with a
    warning. The same area and period with another value is two figures for one: rejected, rows named."""
    header, *body = rows_of(FINGERTIPS)
    repeat = list(body[3])
    repeat[6] = "Districts & UAs (from Apr 2023)"
    result = load(store, as_csv([header, *body, repeat]))
    assert result.status == "loaded" and len(figures(store, "ft_93517")) == 13
    assert any("loaded once" in w for w in result.warnings)
    withdraw_upload(store, upload_id=result.upload_id)
    clash = list(body[3])
    clash[12] = "50.1"
    problems = _rejected(store, as_csv([header, *body, clash]))
    assert [(p.row, p.column) for p in problems] == [(5, "Time period"), (15, "Time period")]
    assert all("appears more than once for Area Code E06000001 and Indicator ID ft_93517 (rows 5, 15)" in p.reason
               for p in problems)


def test_fingertips_breakdowns_units_and_headline(store: Store) -> None:
    """Persons at the headline age with no category is the area's figure; a sex, another age or a category is a
    breakdown. A rate per 100,000 keeps its unit; a count of people is a count."""
    header = rows_of(FINGERTIPS)[0]
    col = {name: i for i, name in enumerate(header)}

    def row(indicator: str, name: str, area_code: str, sex: str, age: str, ctype: str, cat: str, value: str,
            count: str, denominator: str) -> list[str]:
        out = [""] * len(header)
        values = {"Indicator ID": indicator, "Indicator Name": name, "Area Code": area_code, "Area Name": "X",
                  "Area Type": "UA", "Sex": sex, "Age": age, "Category Type": ctype, "Category": cat,
                  "Time period": "2021", "Value": value, "Count": count, "Denominator": denominator}
        for key, v in values.items():
            out[col[key]] = v
        return out

    rows = [header,
            row("1", "Hospital admissions", "E06000001", "Persons", "All ages", "", "", "500", "50", "10000"),
            row("1", "Hospital admissions", "E06000001", "Male", "All ages", "", "", "700", "35", "5000"),
            row("1", "Hospital admissions", "E06000001", "Persons", "18-64 yrs", "", "", "400", "24", "6000"),
            row("1", "Hospital admissions", "E06000001", "Persons", "All ages",
                "County & UA deprivation deciles in England (IMD2019)", "Most deprived decile", "900", "9", "1000"),
            row("2", "People in treatment", "E06000001", "Persons", "18+ yrs", "", "", "120", "120", ""),
            row("2", "People in treatment", "E06000001", "Persons", "18+ yrs", "", "", "", "", "")]
    rows[-1][col["Area Code"]] = "E06000002"
    assert load(store, as_csv(rows)).status == "loaded"
    admissions = figures(store, "ft_1")
    assert set(admissions) == {("E06000001", "", "", "2021"), ("E06000001", "Sex", "Male", "2021"),
                               ("E06000001", "Age", "18-64 yrs", "2021"),
                               ("E06000001", "County & UA deprivation deciles in England (IMD2019)",
                                "Most deprived decile", "2021")}
    assert {v[5] for v in admissions.values()} == {"per 100,000"}
    assert admissions[("E06000001", "", "", "2021")][2] == 500.0
    treatment = figures(store, "ft_2")
    assert treatment[("E06000001", "", "", "2021")] == (120.0, None, 120.0, None, None, "count")
    assert treatment[("E06000002", "", "", "2021")] == (None, None, None, None, None, "count")  # no figure, not 0


# --- ViewIt -------------------------------------------------------------------------------------------------


def test_the_real_viewit_local_authority_export_reads_back_as_published(store: Store) -> None:
    """Barnet (named, not coded) is E09000003; every figure of the Total rows and of rows for one sex, one age
    group or one drug group is stored as published; NULL is no figure; the rows crossing two breakdowns are
    not loaded and the load says so."""
    result = load(store, VIEWIT_LA.read_bytes(), name=VIEWIT_LA.name)
    assert result.status == "loaded", result.problems
    assert result.kind == "viewit" and result.partnerships == ("E09000003",)
    assert any("100 rows giving figures for two breakdowns at once" in w for w in result.warnings)
    header, *body = rows_of(VIEWIT_LA)
    col = {name: i for i, name in enumerate(header)}
    checked = 0
    for row in body:
        dims = {k: row[col[k]] for k in ("sex", "age_group", "drug_group")}
        parts = [(k, v) for k, v in dims.items() if v != "Total"]
        if len(parts) > 1:
            continue
        breakdown, group = "", ""
        if parts:
            breakdown = {"sex": "Sex", "age_group": "Age group", "drug_group": "Drug group"}[parts[0][0]]
            group = {"F": "Female", "M": "Male", "Opiate": "Opiate", "Non-opiate only": "Non-opiate only",
                     "Alcohol only": "Alcohol only", "Non-opiate & alcohol": "Non-opiate and alcohol"}.get(
                parts[0][1], parts[0][1])
        period = row[col["ReportingPeriod"]].replace("/", "-")
        for column in header[5:]:
            stored = figures(store, f"viewit_{column}", area_code="E09000003", breakdown=breakdown, grp=group,
                             period=period)
            [(numerator, denominator, value, lower, upper, unit)] = stored.values()
            cell = row[col[column]]
            assert value == (None if cell == "NULL" else float(cell)), (column, row[:5])
            checked += 1
    assert checked == 20 * 239
    assert store.scalar("SELECT count(*) FROM current_indicators WHERE indicator LIKE 'viewit_%' AND value IS NULL "
                        "AND indicator = 'viewit_disability_learning_newtx'") == 20


def test_viewit_figures_that_are_measures_are_stored_as_published_measures(store: Store) -> None:
    """From Barnet's 2012/13 rows (Total sex and age): in treatment 1315; successful completions not
    re-presenting (scnr_scrn) over those in treatment (scnr_intreatment): all 255/1225, opiate 55/600,
    non-opiate (non-opiate only 40/95 plus non-opiate & alcohol 65/200) 105/295, alcohol 95/330; each the
    rolling 12 months to 31 March 2013."""
    assert load(store, VIEWIT_LA.read_bytes()).status == "loaded"
    period = ("E09000003", "", "", "12m to 2013-03-31")
    assert figures(store, "in_treatment")[period][:3] == (None, None, 1315.0)
    assert figures(store, "completions_all")[period][:3] == (255.0, 1225.0, 255 / 1225)
    assert figures(store, "completions_opiate")[period][:2] == (55.0, 600.0)
    assert figures(store, "completions_non_opiate")[period][:2] == (105.0, 295.0)
    assert figures(store, "completions_alcohol")[period][:2] == (95.0, 330.0)
    assert store.scalar("SELECT period_kind FROM current_indicators WHERE indicator = 'completions_all' LIMIT 1") \
        == "rolling"
    header, *body = rows_of(VIEWIT_LA)
    col = {name: i for i, name in enumerate(header)}
    total = next(r for r in body if r[0] == "2012/13" and r[2:5] == ["Total", "Total", "Total"])
    five = [float(total[col[f"eth_{g}_allintx"]]) for g in ("white", "mixed", "asian", "black", "other")]
    assert figures(store, "bme_share")[period][:2] == (sum(five[1:]), sum(five))


def test_the_real_viewit_england_export_gives_englands_bme_share(store: Store) -> None:
    """England 2009/10: Mixed 5,458 + Asian 9,136 + Black 7,214 + Other 2,127 = 23,935 of all five groups
    296,723. Dimension columns end in _Data; drug groups and totals change case between years."""
    result = load(store, VIEWIT_ENGLAND.read_bytes(), name=VIEWIT_ENGLAND.name)
    assert result.status == "loaded", result.problems
    assert result.partnerships == ("E92000001",)
    bme = figures(store, "bme_share")
    assert bme[("E92000001", "", "", "12m to 2010-03-31")][:2] == (23935.0, 296723.0)
    assert len(bme) == 13
    groups = {g for (_, b, g, _) in figures(store, "viewit_num_intreatment_allintx") if b == "Drug group"}
    assert groups == {"Opiate", "Non-opiate only", "Non-opiate and alcohol", "Alcohol only"}
    # 'TOTAL' (2021/22) counts as the total: each year has its headline figure.
    headline = {p for (_, b, _, p) in figures(store, "viewit_num_intreatment_allintx") if not b}
    assert len(headline) == 13


def test_viewit_an_unknown_area_and_the_same_figures_twice_are_rejected(store: Store) -> None:
    header, *body = rows_of(VIEWIT_LA)
    body[3][1] = "Barnett"
    problems = _rejected(store, as_csv([header, *body]))
    assert [(p.row, p.column, p.value) for p in problems] == [(5, "Area", "Barnett")]
    assert problems[0].reason.startswith("The area 'Barnett' matches no area in the list of England's regions")
    body[3][1] = "Barnet"
    [problem] = _rejected(store, as_csv([header, *body, body[11]]))
    assert (problem.row, problem.column) == (122, "Area")
    assert "appear more than once (rows 13 and 122)" in problem.reason


def test_viewit_total_in_any_case_null_and_other_drug_group_names(store: Store) -> None:
    """'TOTAL' is the total, 'NULL' and other non-numbers are no figure (never 0), and 'ALCOHOL & NON-OPIATES'
    is the same group as 'Non-opiate & alcohol'."""
    text = ("ReportingPeriod,Area,sex,age_group,drug_group,intreatment_allintx,newpresentation_newtx\n"
            "2019/20,Barnet,TOTAL,TOTAL,TOTAL,1000,NULL\n"
            "2019/20,Barnet,Total,Total,ALCOHOL & NON-OPIATES,200,*\n"
            "2019/20,Barnet,total,total,NON-OPIATES ONLY,100,40\n")
    assert load(store, text.encode()).status == "loaded"
    treatment = figures(store, "viewit_intreatment_allintx")
    assert treatment[("E09000003", "", "", "2019-20")][2] == 1000.0
    assert treatment[("E09000003", "Drug group", "Non-opiate and alcohol", "2019-20")][2] == 200.0
    new = figures(store, "viewit_newpresentation_newtx")
    assert new[("E09000003", "", "", "2019-20")][2] is None
    assert new[("E09000003", "Drug group", "Non-opiate and alcohol", "2019-20")][2] is None
    assert new[("E09000003", "Drug group", "Non-opiate only", "2019-20")][2] == 40.0


def test_a_later_upload_replaces_the_figure_and_withdrawing_brings_it_back(store: Store) -> None:
    text = "ReportingPeriod,Area,intreatment_allintx\n2019/20,Somerset,1000\n"
    first = load(store, text.encode())
    assert first.partnerships == ("E10000027",)  # the code in use in 2019/20, not today's E06000066
    again = load(store, text.encode())
    assert again.status == "duplicate" and "nothing was changed" in again.message
    second = load(store, text.replace("1000", "1100").encode())
    assert second.status == "loaded"
    key = ("E10000027", "", "", "2019-20")
    assert figures(store, "viewit_intreatment_allintx")[key][2] == 1100.0
    withdraw_upload(store, upload_id=second.upload_id)
    assert figures(store, "viewit_intreatment_allintx")[key][2] == 1000.0


# --- detection ------------------------------------------------------------------------------------------------


KIND_FILES = {
    "journeys": SAMPLES / "journeys.csv", "tops": SAMPLES / "tops.csv", "dip": SAMPLES / "dip.csv",
    "indicators": SAMPLES / "indicators.csv", "fingertips": FINGERTIPS, "viewit": VIEWIT_LA,
}


@pytest.mark.parametrize("kind", list(KIND_FILES))
def test_each_file_is_detected_as_its_own_kind(kind: str) -> None:
    assert read_file(KIND_FILES[kind].read_bytes()).source_kind == kind
    assert read_file(VIEWIT_ENGLAND.read_bytes()).source_kind == "viewit"


@pytest.mark.parametrize("chosen", list(KIND_FILES))
@pytest.mark.parametrize("actual", list(KIND_FILES))
def test_every_kind_told_another_kinds_file_says_what_it_looks_like(chosen: str, actual: str) -> None:
    if chosen == actual:
        return
    with pytest.raises(FileRejected) as raised:
        read_file(KIND_FILES[actual].read_bytes(), kind=chosen)
    [problem] = raised.value.problems
    assert problem.reason.startswith("You chose ")
    assert f"Choose '{actual}' as the kind of extract" in problem.reason
    if actual == "fingertips":
        assert f"looks like an OHID Fingertips download of indicator 93517 ({OCU_NAME})" in problem.reason
    if actual == "viewit":
        assert "looks like an NDTMS ViewIt export (239 figure columns, for Barnet)" in problem.reason


def test_a_file_of_no_kind_is_told_what_it_looks_like() -> None:
    with pytest.raises(FileRejected) as raised:
        read_file(b"Name,Date,Amount\nA,2024-01-01,3\n")
    [problem] = raised.value.problems
    assert problem.reason.startswith("This file is none of the kinds the dashboard takes. Its first row reads "
                                     "'Name, Date, Amount' (3 columns)")
    assert "Fingertips" in problem.reason and "ViewIt" in problem.reason
    assert "missing" not in problem.reason


def test_headers_are_recognised_by_their_own_kind_only() -> None:
    headers = {kind: rows_of(path)[0] for kind, path in KIND_FILES.items()}
    headers["viewit England"] = rows_of(VIEWIT_ENGLAND)[0]
    found = {kind: recognised(cells) for kind, cells in headers.items()}
    assert found == {**{k: k for k in KIND_FILES}, "viewit England": "viewit"}


# --- areas and periods -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "on", "code"), [
    ("Barnet", None, "E09000003"),
    ("Kingston upon Hull", None, "E06000010"),  # Fingertips' short name
    ("Kingston upon Hull, City of", None, "E06000010"),
    ("Herefordshire", None, "E06000019"),
    ("Bristol", None, "E06000023"),
    ("Somerset", date(2019, 4, 1), "E10000027"),
    ("Somerset", date(2023, 4, 1), "E06000066"),
    ("Somerset UA", None, "E06000066"),
    ("Buckinghamshire UA", None, "E06000060"),
    ("North Yorkshire UA", None, "E06000065"),
    ("North West region", None, "E12000002"),
    ("Yorkshire and the Humber region (statistical)", None, "E12000003"),
    ("ST. HELENS", None, "E08000013"),
    ("Durham", None, "E06000047"),
    ("Bournemouth", date(2012, 4, 1), "E06000028"),
    ("Bournemouth Christchurch & Poole", None, "E06000058"),
    ("Dorset", date(2015, 4, 1), "E10000009"),
    ("Dorset", date(2020, 4, 1), "E06000059"),
    ("England", None, "E92000001"),
    ("Nowhere", None, None),
])
def test_area_names_resolve_to_the_code_in_use(name: str, on: date | None, code: str | None) -> None:
    assert code_for_name(name, on=on) == code


def test_the_area_list() -> None:
    somerset = area("E10000027")
    assert somerset is not None and somerset.display_name == "Somerset (code retired 2023; now E06000066)"
    assert area("E09000003").display_name == "Barnet" and area("E09000003").region_name == "London"
    assert name_key("Kingston upon Hull, City of") == name_key("KINGSTON UPON HULL") == "kingston upon hull"


@pytest.mark.parametrize(("text", "label", "kind", "start", "end"), [
    ("2018/19", "2018-19", "year", date(2018, 4, 1), date(2019, 3, 31)),
    ("2015", "2015", "calendar_year", date(2015, 1, 1), date(2015, 12, 31)),
    ("2016 - 18", "2016 - 18", "range", date(2016, 1, 1), date(2018, 12, 31)),
    ("2017/18 - 19/20", "2017/18 - 19/20", "range", date(2017, 4, 1), date(2020, 3, 31)),
    ("2019/20 Q3", "2019-20 Q3", "quarter", date(2019, 10, 1), date(2019, 12, 31)),
    ("2020 Q1", "2019-20 Q4", "quarter", date(2020, 1, 1), date(2020, 3, 31)),
    ("Apr 2020", "2020-04", "month", date(2020, 4, 1), date(2020, 4, 30)),
])
def test_published_periods_take_the_products_labels(text: str, label: str, kind: str, start: date,
                                                   end: date) -> None:
    period = parse_indicator_period(text)
    assert (period.label, period.kind, period.start, period.end) == (label, kind, start, end)


@pytest.mark.parametrize(("column", "name"), [
    ("eth_asian_allintx", "Adults in treatment, asian ethnic group"),
    ("eth_asian_newtx", "Adults new to treatment, asian ethnic group"),
    ("newpresentation_newtx", "New presentations to treatment"),
    ("age_18_24_newtx", "Age 18 24 (new to treatment)"),
    ("alc_units_1000andover_allintx", "Alcohol units: 1000 and over (all in treatment)"),
    ("lengthintreatment_1to2years_allintx", "Length of time in treatment: 1 to 2 years (all in treatment)"),
    ("lengthintreatment_under1year_allintx", "Length of time in treatment: under 1 year (all in treatment)"),
    ("exits_droppedout_allintx", "Exits: dropped out (all in treatment)"),
    ("substanceanycitation_clubdrug_ghbgbl_newtx", "Substance cited: club drug: GHB/GBL (new to treatment)"),
])
def test_viewit_columns_get_names_that_tell_them_apart(column: str, name: str) -> None:
    """The LA export holds both everyone in treatment and those new to it for each ethnic group: one
    name for both showed two different 'Adults in treatment, asian ethnic group' rows side by side."""
    from loaders.viewit import indicator_name

    assert indicator_name(column) == name
