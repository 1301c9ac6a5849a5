"""An OHID Fingertips "Download data" CSV, read as it comes into indicators rows.

Fingertips (fingertips.phe.org.uk) publishes every public-health indicator of England with one
row per indicator, area, sex, age, category and period, in 26 or 27 columns (newer downloads add
``Time period range``; the 23rd column is named after the parent area type, or ``Column not
used``). Each row becomes an indicator figure:

* the id is ``ft_<Indicator ID>`` and the name is the indicator's name without stray spaces or
  line breaks;
* the area is ``Area Code`` (England's and the regions' rows too: England is the benchmark);
* the period is ``Time period`` in the product's labels (``2018/19`` is ``2018-19``);
* value, 95% and 99.8% limits, count and denominator are kept as published; a percentage (``%``
  in the name, or a value of 100 x count / denominator) is stored as a proportion (0-1); a rate
  keeps its unit (``per 100,000``, from the name or from the value's ratio to count / denominator);
* the row for the headline sex (persons) and age, with no category, is the area's figure; a row
  for one sex, another age or a category (deprivation decile, ethnic group) is a breakdown of it.

The checks of what the rows mean (numbers, codes, periods, one figure per area and period) are
the indicators extract's own (``loaders/validation.py``), reported with Fingertips' column names.
"""

from __future__ import annotations

from loaders.extracts import INDICATORS
from loaders.problems import FileRejected, Problem
from loaders.reading import ParsedFile, RawFile
from loaders.store import scratch_store

# Fingertips' columns (compared without regard to case or surrounding spaces).
COLUMNS = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
    "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
    "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Time period Sortable", "New data", "Compared to goal",
    "Time period range",
)
REQUIRED = ("Indicator ID", "Indicator Name", "Area Code", "Area Name", "Sex", "Age", "Category Type", "Category",
            "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator")
# Where each indicators column comes from, for the rows and for the names in problems.
SOURCES = {
    "AREA_CODE": "Area Code", "AREA_NAME": "Area Name", "INDICATOR": "Indicator ID",
    "INDICATOR_NAME": "Indicator Name", "PERIOD": "Time period", "NUMERATOR": "Count",
    "DENOMINATOR": "Denominator", "VALUE": "Value", "LOWER_CI": "Lower CI 95.0 limit",
    "UPPER_CI": "Upper CI 95.0 limit", "LOWER_CI_998": "Lower CI 99.8 limit", "UPPER_CI_998": "Upper CI 99.8 limit",
}
_KEY = {c.lower(): c for c in COLUMNS}
_DISTINCTIVE = {"indicator id", "indicator name", "area code", "area type", "category type", "time period",
                "lower ci 95.0 limit", "upper ci 95.0 limit", "time period sortable", "value note"}


def _key(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split()).lower()


def recognise(cells: list[str]) -> bool:
    """Whether a header row is a Fingertips download's (four or more of its distinctive names)."""
    return len(_DISTINCTIVE.intersection(_key(c) for c in cells)) >= 4


def _columns(raw: RawFile) -> dict[str, str]:
    """Fingertips' name of each column found -> the column's name in the raw table."""
    found: dict[str, str] = {}
    for cell, name in zip(raw.header, raw.table.column_names[1:], strict=True):
        canonical = _KEY.get(_key(cell))
        if canonical and canonical not in found:
            found[canonical] = name
    return found


def describe(raw: RawFile) -> str:
    """'a Fingertips download of indicator 93517 (Proportion of ...)'."""
    columns = _columns(raw)
    if "Indicator ID" not in columns:
        return "an OHID Fingertips download"
    ids = raw.table[columns["Indicator ID"]].unique().to_pylist()[:50]
    names = (raw.table[columns["Indicator Name"]].unique().to_pylist()[:50] if "Indicator Name" in columns else [])
    ids = [i.strip() for i in ids if i and i.strip()]
    label = f"indicator {ids[0]}" if len(ids) == 1 else f"{len(ids)} indicators ({', '.join(ids[:5])})"
    if len(ids) == 1 and names:
        label += f" ({' '.join(str(names[0]).split())})"
    return f"an OHID Fingertips download of {label}"


def to_indicators(raw: RawFile) -> ParsedFile:
    """The download's rows as indicators cells, or its rejection with every problem named as Fingertips
    names things."""
    columns = _columns(raw)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        looks = describe(raw)
        raise FileRejected([Problem(raw.header_row, name, "", (
            f"This looks like {looks}, but the column {name} is missing from its header. Download the file "
            "again from Fingertips (Download data, CSV) and upload it unchanged."
        )) for name in missing])
    unknown = [c for c, name in zip(raw.header, raw.table.column_names[1:], strict=True)
               if _KEY.get(_key(c)) is None and not _key(c).startswith("compared to") and _key(c) != "column not used"]
    warnings = list(raw.warnings)
    if unknown:
        warnings.append(f"Columns that are not Fingertips' own were ignored: {', '.join(unknown)}.")
    with scratch_store() as scratch:
        scratch.register("raw", raw.table)
        scratch.execute(_NORMALISED.format(**{_slug(c): _q(columns[c]) if c in columns else "NULL"
                                              for c in COLUMNS}))
        problems = [Problem(int(r[0]), r[1], r[2], r[3]) for r in scratch.rows(_PROBLEMS)]
        table = scratch.arrow(_ROWS)
        repeats = int(scratch.scalar(_REPEATS))
    if repeats:
        warnings.append(f"{repeats:,} row{'s' if repeats != 1 else ''} repeating another row's figures exactly "
                        "(an area listed under two area types) were loaded once.")
    return ParsedFile(
        spec=INDICATORS, table=table, header_row=raw.header_row, encoding=raw.encoding,
        warnings=tuple(warnings), odd_spaces=raw.odd_spaces, kind="fingertips",
        column_names=tuple(SOURCES.items()), problems=tuple(problems),
    )


def _slug(column: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in column.lower())


def _q(name: str) -> str:
    return 'raw."' + name.replace('"', '""') + '"'


# Every cell trimmed, blank as NULL; a name's line breaks and runs of spaces made one space.
_NORMALISED = """
CREATE TABLE f AS SELECT
    __row,
    nullif(trim({indicator_id}), '') AS indicator_id,
    nullif(trim(regexp_replace({indicator_name}, '\\s+', ' ', 'g')), '') AS indicator_name,
    nullif(trim({area_code}), '') AS area_code,
    nullif(trim(regexp_replace({area_name}, '\\s+', ' ', 'g')), '') AS area_name,
    coalesce(nullif(trim({sex}), ''), 'Persons') AS sex,
    coalesce(nullif(trim({age}), ''), 'All ages') AS age,
    nullif(trim(regexp_replace({category_type}, '\\s+', ' ', 'g')), '') AS category_type,
    nullif(trim(regexp_replace({category}, '\\s+', ' ', 'g')), '') AS category,
    nullif(trim({time_period}), '') AS time_period,
    nullif(trim({value}), '') AS value,
    nullif(trim({lower_ci_95_0_limit}), '') AS lower95,
    nullif(trim({upper_ci_95_0_limit}), '') AS upper95,
    nullif(trim({lower_ci_99_8_limit}), '') AS lower998,
    nullif(trim({upper_ci_99_8_limit}), '') AS upper998,
    nullif(trim({count}), '') AS count,
    nullif(trim({denominator}), '') AS denominator
FROM raw
"""

# What the indicators checks cannot say in Fingertips' terms: an indicator id that is not a number.
_PROBLEMS = """
SELECT __row, 'Indicator ID', coalesce(indicator_id, ''),
       CASE WHEN indicator_id IS NULL THEN 'Indicator ID is required but is blank.'
            ELSE 'Indicator ID ' || indicator_id || ' is not a Fingertips indicator number (a whole number, e.g. 93517).'
       END
FROM f WHERE indicator_id IS NULL OR NOT regexp_full_match(indicator_id, '[0-9]{1,9}')
ORDER BY __row
"""

# A download of several area types repeats a unitary authority under each (Counties & UAs, Districts & UAs)
# with the same figures: one copy is kept. The same area and period with different figures is a problem.
_SAME = ("indicator_id, area_code, sex, age, category_type, category, time_period, value, count, denominator, "
         "lower95, upper95, lower998, upper998")
_ONCE = f"QUALIFY row_number() OVER (PARTITION BY {_SAME} ORDER BY __row) = 1"
_REPEATS = f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {_SAME} FROM f)) FROM f"

_AS_NUMBER = (r"CASE WHEN regexp_full_match(<v>, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?') "
              "THEN try_cast(<v> AS DOUBLE) END")

# Rows whose indicator id is a number, as indicators cells. The headline sex is Persons (else the sex with
# most rows), the headline age the age with most rows for it (All ages on a tie); anything else, and any
# category, is a breakdown. The unit is a percentage when the name says so or every value is 100 x count /
# denominator, a rate 'per N' when the name says so or every value is N x count / denominator.
_ROWS = f"""
WITH good AS (SELECT * FROM f WHERE regexp_full_match(coalesce(indicator_id, ''), '[0-9]{{1,9}}') {_ONCE}),
sexes AS (
    SELECT indicator_id, arg_max(sex, (sex = 'Persons', n)) AS head_sex
    FROM (SELECT indicator_id, sex, count(*) AS n FROM good WHERE category_type IS NULL GROUP BY ALL)
    GROUP BY indicator_id
),
ages AS (
    SELECT indicator_id, arg_max(age, (n, age = 'All ages')) AS head_age
    FROM (SELECT g.indicator_id, age, count(*) AS n FROM good g JOIN sexes s USING (indicator_id)
          WHERE category_type IS NULL AND g.sex = s.head_sex GROUP BY ALL)
    GROUP BY indicator_id
),
numbers AS (
    SELECT indicator_id, indicator_name,
           {_AS_NUMBER.replace('<v>', 'value')} AS v,
           {_AS_NUMBER.replace('<v>', 'count')} AS c,
           {_AS_NUMBER.replace('<v>', 'denominator')} AS d
    FROM good
),
ratios AS (
    SELECT indicator_id,
           arg_max(indicator_name, length(indicator_name)) AS any_name,
           count(*) FILTER (WHERE v IS NOT NULL AND c IS NOT NULL AND d > 0) AS comparable,
           bool_and(abs(v - 100 * c / d) <= 1e-4 * greatest(abs(v), 1))
               FILTER (WHERE v IS NOT NULL AND c IS NOT NULL AND d > 0) AS percent,
           bool_and(abs(v - 1000 * c / d) <= 1e-4 * greatest(abs(v), 1))
               FILTER (WHERE v IS NOT NULL AND c IS NOT NULL AND d > 0) AS per_thousand,
           bool_and(abs(v - 100000 * c / d) <= 1e-4 * greatest(abs(v), 1))
               FILTER (WHERE v IS NOT NULL AND c IS NOT NULL AND d > 0) AS per_hundred_thousand,
           bool_and(v = c) FILTER (WHERE v IS NOT NULL AND c IS NOT NULL) AS counts
    FROM numbers GROUP BY indicator_id
),
units AS (
    SELECT indicator_id, CASE
        WHEN regexp_matches(any_name, '\\(%\\)|%\\s*$|\\bpercentage\\b', 'i') THEN 'percent'
        WHEN regexp_matches(any_name, 'per\\s+[0-9][0-9,]*', 'i')
            THEN 'per ' || regexp_extract(any_name, 'per\\s+([0-9][0-9,]*)', 1, 'i')
        WHEN comparable > 0 AND percent THEN 'percent'
        WHEN comparable > 0 AND per_thousand THEN 'per 1,000'
        WHEN comparable > 0 AND per_hundred_thousand THEN 'per 100,000'
        WHEN counts THEN 'count'
        ELSE 'value' END AS unit
    FROM ratios
)
SELECT g.__row,
       g.area_code AS AREA_CODE, g.area_name AS AREA_NAME, 'ft_' || g.indicator_id AS INDICATOR,
       g.indicator_name AS INDICATOR_NAME, g.time_period AS PERIOD, g.count AS NUMERATOR,
       g.denominator AS DENOMINATOR, g.value AS VALUE, u.unit AS UNIT, g.lower95 AS LOWER_CI,
       g.upper95 AS UPPER_CI, g.lower998 AS LOWER_CI_998, g.upper998 AS UPPER_CI_998,
       nullif(concat_ws(', ', CASE WHEN g.sex <> s.head_sex THEN 'Sex' END,
                              CASE WHEN g.age <> a.head_age THEN 'Age' END, g.category_type), '') AS BREAKDOWN,
       nullif(concat_ws(', ', CASE WHEN g.sex <> s.head_sex THEN g.sex END,
                              CASE WHEN g.age <> a.head_age THEN g.age END, g.category), '') AS "GROUP",
       NULL::VARCHAR AS POLARITY
FROM good g LEFT JOIN sexes s USING (indicator_id) LEFT JOIN ages a USING (indicator_id)
JOIN units u USING (indicator_id)
ORDER BY g.__row
"""

