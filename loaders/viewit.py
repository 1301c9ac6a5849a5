"""An NDTMS ViewIt export, read as it comes into indicators rows.

ViewIt (the National Drug Treatment Monitoring System's reporting site) exports wide tables: a few
dimension columns (the reporting year such as ``2019/20``, the area by *name* such as ``Barnet``,
and for some reports sex, age group and drug group; each named plainly or with a ``_Data``
suffix), then one column per figure. Each figure becomes an indicator figure:

* the id is ``viewit_<column in lower case>`` (``viewit_intreatment_allintx``);
* the area is the ONS code of the named area in the shipped area list (``loaders/areas.py``),
  the code in use in that year; a name that matches no area is a problem naming its row;
* the period is the financial year (``2019/20`` is ``2019-20``);
* the ``Total`` rows (in any case) are the area's figure; a row for one sex, one age group or one
  drug group is a breakdown of it (drug groups named as the product names them, whatever the
  report calls them). A row for two or more at once (women aged 18-29) is not loaded, and the load
  says how many there were;
* ``NULL``, blanks and other non-numbers are "no figure", never 0.

Where a figure is one of the product's own measures it is stored as that measure too, marked as
published by the upload it came with: ``in_treatment`` (adults in treatment), the successful
completions (``scnr_scrn_allintx`` over ``scnr_intreatment_allintx``: completions_all, _opiate,
_non_opiate (non-opiate only plus non-opiate and alcohol) and _alcohol) for the rolling 12 months
to the year's end, and ``bme_share`` (Mixed, Asian, Black and Other over all five ethnic groups).
"""

from __future__ import annotations

import re
from datetime import date

import pyarrow as pa

from loaders.areas import code_for_name
from loaders.extracts import INDICATORS
from loaders.periods import PeriodError, parse_indicator_period
from loaders.problems import FileRejected, Problem
from loaders.reading import ROW, ParsedFile, RawFile
from loaders.store import scratch_store

_DIMENSIONS = {
    "period": ("reportingperiod", "reportingyear", "financialyear"),
    "area": ("area", "areaname", "la", "laname", "localauthority", "partnership", "dat", "datname"),
    "area_code": ("areacode", "lacode", "onscode", "code", "datcode"),
    "sex": ("sex", "gender"),
    "age": ("agegroup", "age", "ageband"),
    "drug": ("druggroup", "drug", "substancegroup", "substance"),
}
BREAKDOWN_NAMES = {"sex": "Sex", "age": "Age group", "drug": "Drug group"}
_DRUG_GROUPS = {
    "opiate": "Opiate", "opiates": "Opiate",
    "nonopiateonly": "Non-opiate only", "nonopiatesonly": "Non-opiate only",
    "nonopiateandalcohol": "Non-opiate and alcohol", "nonopiatesandalcohol": "Non-opiate and alcohol",
    "alcoholandnonopiate": "Non-opiate and alcohol", "alcoholandnonopiates": "Non-opiate and alcohol",
    "alcoholonly": "Alcohol only", "alcohol": "Alcohol only",
}
_SEXES = {"m": "Male", "male": "Male", "f": "Female", "female": "Female"}
NAMES = {
    "intreatment_allintx": "Adults in treatment",
    "num_intreatment_allintx": "Adults in treatment",
    "newpresentation_newtx": "New presentations to treatment",
    "exits_successfulcompletion_allintx": "Exits: successful completions",
    "scnr_intreatment_allintx": "Adults in treatment (successful completions denominator)",
    "scnr_completion_allintx": "Successful completions",
    "scnr_representation_allintx": "Successful completions re-presenting within 6 months",
    "scnr_scrn_allintx": "Successful completions not re-presenting within 6 months",
}
_ETHNIC = ("white", "mixed", "asian", "black", "other")


def _key(cell: str) -> str:
    text = cell.replace("\ufeff", "").strip().lower()
    text = re.sub(r"_?data$", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


def _dimensions(header: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Which position holds each dimension (the first column of each kind)."""
    found: dict[str, int] = {}
    for position, cell in enumerate(header):
        key = _key(cell)
        for dimension, names in _DIMENSIONS.items():
            if key in names and dimension not in found:
                found[dimension] = position
                break
    return found


def recognise(cells: list[str]) -> bool:
    """A ViewIt export's header: a reporting-period column, an area column, and figure columns."""
    found = _dimensions(cells)
    figures = len([c for c in cells if c.strip()]) - len(found)
    return "period" in found and ("area" in found or "area_code" in found) and figures >= 1


def describe(raw: RawFile) -> str:
    found = _dimensions(raw.header)
    figures = len(raw.header) - len(found)
    areas = []
    if "area" in found:
        areas = [a for a in raw.table.column(found["area"] + 1).unique().to_pylist()[:4] if a]
    where = f", for {', '.join(areas)}" if areas else ""
    return f"an NDTMS ViewIt export ({figures} figure column{'s' if figures != 1 else ''}{where})"


def indicator_id(column: str) -> str:
    """``viewit_`` and the column's name in lower case (characters other than letters, digits and '_'
    as '_')."""
    return "viewit_" + re.sub(r"[^a-z0-9_]+", "_", column.strip().lower()).strip("_")


def indicator_name(column: str) -> str:
    key = column.strip().lower()
    if key in NAMES:
        return NAMES[key]
    if key.startswith("eth_") and key.split("_")[1] in _ETHNIC:
        # eth_<group>_allintx counts everyone in treatment, eth_<group>_newtx those new to it.
        who = "Adults new to treatment" if key.endswith("_newtx") else "Adults in treatment"
        return f"{who}, {key.split('_')[1]} ethnic group"
    words = key.replace("_", " ")
    words = re.sub(r" allintx$", " (all in treatment)", words)
    words = re.sub(r" newtx$", " (new to treatment)", words)
    for prefix, said in _TOPICS.items():
        if words.startswith(prefix + " "):
            words = said + ": " + words[len(prefix) + 1:]
            break
    words = " ".join(_WORDS.get(w, w) for w in words.split(" "))
    words = re.sub(r"\b(\d+)to(\d+)", r"\1 to \2", words)
    words = re.sub(r"\b(\d+)andover\b", r"\1 and over", words)
    words = re.sub(r"\b(under|over)(\d+)(years?)\b", r"\1 \2 \3", words)
    words = re.sub(r"\b(\d+) to (\d+)(years?)\b", r"\1 to \2 \3", words)
    return words[:1].upper() + words[1:]


# ViewIt's column names run words together ('lengthintreatment_1to2years_allintx'): the topics and the glued
# words of its exports, written out ('Length of time in treatment: 1 to 2 years (all in treatment)').
_TOPICS = {
    "alc units": "Alcohol units", "lengthintreatment": "Length of time in treatment",
    "referralsource": "Referral source", "substanceanycitation": "Substance cited",
    "employmentstatus": "Employment status", "housingsituation": "Housing situation", "exits": "Exits",
    "disability": "Disability", "religion": "Religion", "sexuality": "Sexuality", "safeguarding": "Safeguarding",
    "injecting": "Injecting", "interventions": "Interventions",
}
_WORDS = {
    "droppedout": "dropped out", "movedaway": "moved away", "noappropriatetreatment": "no appropriate treatment",
    "notknown": "not known", "referredon": "referred on", "transferredincustody": "transferred in custody",
    "transferrednotincustody": "transferred not in custody", "treatmentdeclined": "treatment declined",
    "treatmentwithdrawn": "treatment withdrawn", "allmissing": "missing", "nodisability": "no disability",
    "notstated": "not stated", "ineducation": "in education", "longtermsickdisabled": "long-term sick or disabled",
    "notstatedmissing": "not stated or missing", "notstatedormissing": "not stated or missing",
    "regularemployment": "regular employment", "unemployedinactive": "unemployed or inactive",
    "unpaidvoluntary": "unpaid voluntary work", "housingproblem": "housing problem", "noproblem": "no problem",
    "urgentproblem": "urgent problem", "declinedtoanswer": "declined to answer", "allcommunity": "community",
    "allinpatient": "inpatient", "allprimarycare": "primary care", "allrecoveryhouse": "recovery house",
    "allresidentialrehab": "residential rehab", "allyp": "young people", "gaylesbian": "gay or lesbian",
    "hetero": "heterosexual", "cracknotopiates": "crack without opiates", "anyclubdrug": "any club drug",
    "ghbgbl": "GHB/GBL", "clubdrug": "club drug:", "livingwithincompletedata": "living with: incomplete data",
    "notparentnocontactwithchildren": "not a parent, no contact with children",
    "othercontactlivingwithchildren": "other contact living with children",
    "parentlivingwithchildren": "parent living with children", "parentsnotwithchildren": "parent not living with children",
}


def _label(kind: str, value: str | None) -> str | None:
    """A dimension's value as the product names it; None for a total (or a blank)."""
    text = " ".join((value or "").split())
    if not text or text.lower() in ("total", "all", "all persons", "persons"):
        return None
    if kind == "sex":
        return _SEXES.get(text.lower(), text)
    if kind == "drug":
        return _DRUG_GROUPS.get(re.sub(r"[^a-z]", "", text.lower().replace("&", "and")), text)
    return text


def to_indicators(raw: RawFile) -> ParsedFile:
    """The export's figures as indicators cells, or its rejection with every problem named as the
    export names things."""
    dims = _dimensions(raw.header)
    names = raw.table.column_names  # ROW first, then one per header cell
    header_of = {names[p + 1]: raw.header[p] for p in range(len(raw.header))}
    dimension_columns = {d: names[p + 1] for d, p in dims.items()}
    figures = [n for n in names[1:] if n not in dimension_columns.values() and header_of[n].strip()]
    problems: list[Problem] = []
    warnings = list(raw.warnings)

    rows = _dimension_rows(raw.table, dimension_columns)
    keep: list[int] = []
    seen: dict[tuple, int] = {}
    crosses = 0
    period_column = header_of[dimension_columns["period"]]
    area_column = header_of[dimension_columns.get("area_code") or dimension_columns["area"]]
    periods: dict[str, tuple[str, date, date, bool] | PeriodError] = {}
    areas: dict[tuple[str, date], str | None] = {}
    for index, (row, period_text, area_name, area_code, sex, age, drug) in enumerate(rows):
        if period_text not in periods:
            try:
                parsed = parse_indicator_period(period_text or "")
                periods[period_text] = (parsed.label, parsed.start, parsed.end, parsed.twelve_months)
            except PeriodError as exc:
                periods[period_text] = exc
        period = periods[period_text]
        if isinstance(period, PeriodError):
            problems.append(Problem(row, period_column, period_text or "", f"{period_column} {period}."))
            continue
        code = area_code
        if not code:
            key = (area_name or "", period[1])
            if key not in areas:
                areas[key] = code_for_name(area_name or "", on=period[1]) if area_name else None
            code = areas[key]
            if code is None:
                problems.append(Problem(row, area_column, area_name or "", (
                    f"The area '{area_name or ''}' matches no area in the list of England's regions and upper-tier "
                    "local authorities (data/codes/areas.csv). Check the spelling, or load this area's figures "
                    "in an indicators extract that gives its code (AREA_CODE)."
                ) if area_name else f"{area_column} is required but is blank."))
                continue
        parts = [(k, v) for k, v in (("sex", sex), ("age", age), ("drug", drug)) if v is not None]
        if len(parts) > 1:
            crosses += 1
            continue
        identity = (code, period[0], tuple(parts))
        if identity in seen:
            problems.append(Problem(row, area_column, area_name or code, (
                f"The figures for {area_name or code}, {period_text}"
                + "".join(f", {BREAKDOWN_NAMES[k].lower()} {v}" for k, v in parts)
                + f" appear more than once (rows {seen[identity]} and {row}); each must be given once."
            )))
            continue
        seen[identity] = row
        keep.append(index)
        rows[index] = (row, period[0], area_name, code, *[dict(parts).get(k) for k in ("sex", "age", "drug")],
                       period[2], period[3])
    if crosses:
        warnings.append(
            f"{crosses:,} row{'s' if crosses != 1 else ''} giving figures for two breakdowns at once (e.g. women aged "
            "18-29) were not loaded: the dashboard shows the area's figures by sex, by age group and by drug group "
            "one at a time."
        )
    if not figures:
        raise FileRejected([Problem(raw.header_row, "", "", (
            "This looks like an NDTMS ViewIt export, but it has no figure columns after its "
            f"{', '.join(header_of[c] for c in dimension_columns.values())} columns."
        ))])
    table = _long(raw.table, [rows[i] for i in keep], figures, header_of)
    return ParsedFile(
        spec=INDICATORS, table=table, header_row=raw.header_row, encoding=raw.encoding, warnings=tuple(warnings),
        odd_spaces=raw.odd_spaces, kind="viewit",
        column_names=(("AREA_CODE", area_column), ("PERIOD", period_column)), problems=tuple(problems),
    )


def _dimension_rows(table: pa.Table, columns: dict[str, str]) -> list[tuple]:
    """(row, period, area name, area code, sex, age, drug) of every row, the breakdowns as labels."""
    def column(dimension: str) -> list:
        return table[columns[dimension]].to_pylist() if dimension in columns else [None] * table.num_rows

    period, area, code = column("period"), column("area"), column("area_code")
    sex, age, drug = column("sex"), column("age"), column("drug")
    out = []
    for i, row in enumerate(table[ROW].to_pylist()):
        out.append((row, (period[i] or "").strip(), " ".join((area[i] or "").split()) or None,
                    (code[i] or "").strip() or None, _label("sex", sex[i]), _label("age", age[i]),
                    _label("drug", drug[i])))
    return out


_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_THOUSANDS = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"


def _long(table: pa.Table, rows: list[tuple], figures: list[str], header_of: dict[str, str]) -> pa.Table:
    """One indicators row per kept row and figure column, plus the product's published measures."""
    index = pa.table({
        "__row": pa.array([r[0] for r in rows], pa.int32()),
        "period": pa.array([r[1] for r in rows], pa.string()),
        "area_name": pa.array([r[2] for r in rows], pa.string()),
        "area_code": pa.array([r[3] for r in rows], pa.string()),
        "sex": pa.array([r[4] for r in rows], pa.string()),
        "age": pa.array([r[5] for r in rows], pa.string()),
        "drug": pa.array([r[6] for r in rows], pa.string()),
        "period_end": pa.array([r[7] for r in rows], pa.date32()),
        "twelve": pa.array([r[8] for r in rows], pa.bool_()),
    })
    columns = {f"f{i}": table[name] for i, name in enumerate(figures)}
    wide = pa.table({"__row": table[ROW], **columns})
    ids = pa.table({
        "col": [f"f{i}" for i in range(len(figures))],
        "indicator": [indicator_id(header_of[name]) for name in figures],
        "indicator_name": [indicator_name(header_of[name]) for name in figures],
        "header": [header_of[name].strip().lower() for name in figures],
    })
    number = " ".join(f"""CASE WHEN regexp_full_match(trim({c}), '{_NUMBER[1:-1]}') THEN trim({c})
        WHEN regexp_full_match(trim({c}), '{_THOUSANDS[1:-1]}') THEN replace(trim({c}), ',', '') END AS {c},"""
                      for c in columns)
    with scratch_store() as scratch:
        scratch.register("dims", index)
        scratch.register("wide", wide)
        scratch.register("ids", ids)
        scratch.execute(f"CREATE TABLE clean AS SELECT __row, {number.rstrip(',')} FROM wide SEMI JOIN dims USING (__row)")
        scratch.execute(f"""CREATE TABLE figures AS
            SELECT d.*, col, v FROM clean UNPIVOT INCLUDE NULLS (v FOR col IN ({', '.join(columns)})) u
            JOIN dims d USING (__row)""")
        out = scratch.arrow(_INDICATOR_ROWS.format(published=_published(set(ids["header"].to_pylist()))))
    return out


_INDICATOR_ROWS = """
SELECT f.__row, f.area_code AS AREA_CODE, f.area_name AS AREA_NAME, i.indicator AS INDICATOR,
       i.indicator_name AS INDICATOR_NAME, f.period AS PERIOD, NULL::VARCHAR AS NUMERATOR,
       NULL::VARCHAR AS DENOMINATOR, f.v AS VALUE, 'count' AS UNIT, NULL::VARCHAR AS LOWER_CI,
       NULL::VARCHAR AS UPPER_CI, NULL::VARCHAR AS LOWER_CI_998, NULL::VARCHAR AS UPPER_CI_998,
       CASE WHEN f.sex IS NOT NULL THEN 'Sex' WHEN f.age IS NOT NULL THEN 'Age group'
            WHEN f.drug IS NOT NULL THEN 'Drug group' END AS BREAKDOWN,
       coalesce(f.sex, f.age, f.drug) AS "GROUP", NULL::VARCHAR AS POLARITY
FROM figures f JOIN ids i USING (col)
{published}
ORDER BY 1, 4
"""


def _published(headers: set[str]) -> str:
    """The product's own measures among the export's figures, as rows of indicators cells."""
    parts = []

    def figure(name: str) -> str:
        return f"max(v::DOUBLE) FILTER (WHERE i.header = '{name}')"

    treatment = "intreatment_allintx" if "intreatment_allintx" in headers else (
        "num_intreatment_allintx" if "num_intreatment_allintx" in headers else None)
    # A year's figure is the rolling 12 months to the year's end; a quarter's or a month's is not a measure's.
    rolling = "'12m to ' || strftime(max(f.period_end), '%Y-%m-%d')"
    base = "FROM figures f JOIN ids i USING (col) WHERE f.twelve AND f.sex IS NULL AND f.age IS NULL"
    if treatment:
        parts.append(f"""SELECT min(f.__row), f.area_code, f.area_name, 'in_treatment', NULL, {rolling}, NULL, NULL,
            {figure(treatment)}::VARCHAR, 'count', NULL, NULL, NULL, NULL, NULL, NULL, NULL
            {base} AND f.drug IS NULL GROUP BY f.area_code, f.area_name, f.period
            HAVING {figure(treatment)} IS NOT NULL""")
    if {"scnr_scrn_allintx", "scnr_intreatment_allintx"} <= headers:
        groups = ("CASE WHEN f.drug IS NULL THEN 'completions_all' WHEN f.drug = 'Opiate' THEN 'completions_opiate' "
                  "WHEN f.drug IN ('Non-opiate only', 'Non-opiate and alcohol') THEN 'completions_non_opiate' "
                  "WHEN f.drug = 'Alcohol only' THEN 'completions_alcohol' END")
        parts.append(f"""SELECT min(__row), area_code, area_name, kpi, NULL, period_label, sum(n)::VARCHAR,
            sum(d)::VARCHAR, NULL, 'proportion', NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM (SELECT min(f.__row) AS __row, f.area_code, f.area_name, {groups} AS kpi, {rolling} AS period_label,
                         {figure('scnr_scrn_allintx')} AS n, {figure('scnr_intreatment_allintx')} AS d
                  {base} GROUP BY f.area_code, f.area_name, f.period, f.drug)
            WHERE kpi IS NOT NULL GROUP BY area_code, area_name, kpi, period_label
            HAVING count(n) = count(*) AND count(d) = count(*) AND sum(d) > 0""")
    ethnic = [next((h for h in headers if h in (f"eth_{e}_allintx",)), None) for e in _ETHNIC]
    if all(ethnic):
        minority = " + ".join(figure(h) for h in ethnic[1:])
        everyone = " + ".join(figure(h) for h in ethnic)
        parts.append(f"""SELECT min(f.__row), f.area_code, f.area_name, 'bme_share', NULL, {rolling},
            ({minority})::VARCHAR, ({everyone})::VARCHAR, NULL, 'proportion', NULL, NULL, NULL, NULL, NULL, NULL,
            NULL {base} AND f.drug IS NULL GROUP BY f.area_code, f.area_name, f.period
            HAVING ({everyone}) > 0""")
    return "".join(f"\nUNION ALL {part}" for part in parts)
