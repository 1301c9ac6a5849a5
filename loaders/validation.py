"""Check every cell and every rule of an extract at once, in DuckDB SQL over the whole file.

The checks are generated from the declarations in ``loaders/extracts.py``: one query finds
every problem of every row, so a national file of 600,000 journeys is checked in seconds and
the user sees all its problems together. Nothing here touches the user's database: the file
is checked in a scratch in-memory database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from loaders.extracts import Column, ExtractSpec
from loaders.periods import PeriodError, Quarter, parse_indicator_period
from loaders.problems import FileRejected, Problem
from loaders.reading import ROW, ParsedFile
from loaders.store import Store, scratch_store

MISSING = ("", "NA", "NULL")

_MACROS = r"""
CREATE MACRO is_whole(v) AS regexp_full_match(v, '\+?[0-9]+');
CREATE MACRO as_date(v) AS CASE
    WHEN regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]00:00(:00)?)?')
        THEN try_strptime(left(v, 10), '%Y-%m-%d')::DATE
    WHEN regexp_full_match(v, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( 00:00(:00)?)?')
        THEN try_strptime(split_part(v, ' ', 1), '%d/%m/%Y')::DATE
END;
CREATE MACRO date_problem(v) AS CASE
    WHEN regexp_full_match(v, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}.*')
         AND split_part(v, '/', 2)::INTEGER > 12 AND split_part(v, '/', 1)::INTEGER BETWEEN 1 AND 12
        THEN 'looks like a US date (month/day/year). Write dates as DD/MM/YYYY or YYYY-MM-DD.'
    WHEN regexp_full_match(v, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}')
        THEN 'has a two-digit year, which is ambiguous. Write the year in full (DD/MM/YYYY).'
    WHEN regexp_full_match(v, '[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}|[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}')
        THEN 'is not in a date form the extracts use. Write dates as DD/MM/YYYY or YYYY-MM-DD.'
    WHEN as_date(v) IS NULL AND regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}.*|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}.*')
        THEN 'is not a real date (check the day and month).'
    WHEN as_date(v) IS NULL THEN 'is not a date. Write dates as YYYY-MM-DD or DD/MM/YYYY.'
    WHEN year(as_date(v)) NOT BETWEEN 1900 AND 2100 THEN 'is not a plausible date (the year must be 1900 to 2100).'
END;
CREATE MACRO as_month(v) AS CASE
    WHEN regexp_full_match(v, '[0-9]{4}-(0[1-9]|1[0-2])') THEN (v || '-01')::DATE
END;
CREATE MACRO is_number(v) AS regexp_full_match(v, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?');
CREATE MACRO number_problem(v) AS CASE
    WHEN regexp_full_match(v, '[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?')
        THEN 'has a thousands separator. Write numbers without commas (e.g. 1234).'
    ELSE 'is not a number.'
END;
"""


@dataclass(frozen=True)
class ValidatedFile:
    """A file that passed every check, typed and ready to store."""

    spec: ExtractSpec
    table: pa.Table  # the target table's columns after upload_id (and period_end)
    rows: int
    partnerships: tuple[str, ...]
    periods: tuple[str, ...]
    reporting_period: Quarter | None
    period_stated: bool
    warnings: tuple[str, ...]


def _short(text: str, limit: int = 80) -> str:
    """A value cut to a readable length (a 100 KB cell must not make a 100 KB message)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _problem(row: tuple) -> Problem:
    value = "" if row[2] is None else str(row[2])
    reason = str(row[3])
    if len(value) > 80:
        reason = reason.replace(value, _short(value))
    return Problem(int(row[0]) if row[0] is not None else None, row[1], _short(value), reason)


def _lit(text: str) -> str:
    """A SQL string literal for our own constant text (never user values)."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name + '"'


def _cell_checks(spec: ExtractSpec, codes: dict[str, list[str]]) -> list[str]:
    """One SELECT per column rule, each yielding (row, column, value, reason)."""
    out: list[str] = []
    for col in spec.columns:
        c, name = _ident(col.name), _lit(col.name)
        if col.required:
            out.append(f"SELECT {ROW}, {name}, '', {_lit(col.name + ' is required but is blank.')} FROM norm WHERE {c} IS NULL")
        out.extend(_kind_checks(col, c, name, codes))
    return out


def _kind_checks(col: Column, c: str, name: str, codes: dict[str, list[str]]) -> list[str]:
    where = f"FROM norm WHERE {c} IS NOT NULL AND"
    if col.kind == "ident":
        msg = f"{col.name} must be 1 to {col.max_len} letters or digits."
        return [f"SELECT {ROW}, {name}, {c}, {_lit(msg)} {where} NOT regexp_full_match({c}, '[A-Za-z0-9]{{1,{col.max_len}}}')"]
    if col.kind == "indicator":
        msg = f"{col.name} must be 1 to {col.max_len} letters, digits, '_', '-' or '.'."
        return [f"SELECT {ROW}, {name}, {c}, {_lit(msg)} {where} NOT regexp_full_match({c}, '[A-Za-z0-9_.-]{{1,{col.max_len}}}')"]
    if col.kind == "text":
        msg = f"{col.name} is longer than {col.max_len} characters."
        return [f"SELECT {ROW}, {name}, left({c}, 80), {_lit(msg)} {where} length({c}) > {col.max_len}"]
    if col.kind == "code":
        valid = codes[col.codes or ""]
        msg = f"is not a valid {col.name} code. Valid codes: {', '.join(valid)}."
        values = ", ".join(_lit(v) for v in valid)
        return [f"SELECT {ROW}, {name}, {c}, {_lit(col.name + ' ')} || {c} || ' ' || {_lit(msg)} {where} upper({c}) NOT IN ({values})"]
    if col.kind == "int":
        whole = f"{col.name} must be a whole number from {col.low:,} to {col.high:,}".replace(",", "")
        return [
            f"SELECT {ROW}, {name}, {c}, {_lit(col.name + ' ')} || {c} || ' ' || "
            f"CASE WHEN regexp_full_match({c}, '-[0-9]+') THEN {_lit('is negative; ' + whole + '.')} "
            f"WHEN is_number({c}) THEN {_lit('is not a whole number; ' + whole + '.')} "
            f"ELSE number_problem({c}) END {where} NOT is_whole({c})",
            f"SELECT {ROW}, {name}, {c}, {_lit(whole + '.')} {where} is_whole({c}) "
            f"AND (try_cast({c} AS HUGEINT) IS NULL OR try_cast({c} AS HUGEINT) NOT BETWEEN {col.low} AND {col.high})",
        ]
    if col.kind == "number":
        # 1e999 is written like a number but is infinite as a DOUBLE: it would store as inf.
        too_large = " is too large a number."
        return [
            f"SELECT {ROW}, {name}, {c}, {_lit(col.name + ' ')} || {c} || ' ' || number_problem({c}) {where} NOT is_number({c})",
            f"SELECT {ROW}, {name}, {c}, {_lit(col.name + ' ')} || {c} || {_lit(too_large)} "
            f"{where} is_number({c}) AND NOT isfinite(try_cast({c} AS DOUBLE))",
        ]
    if col.kind == "date":
        return [f"SELECT {ROW}, {name}, {c}, {_lit(col.name + ' ')} || {c} || ' ' || date_problem({c}) {where} date_problem({c}) IS NOT NULL"]
    if col.kind == "month":
        msg = " is not a month. Write months as YYYY-MM (e.g. 2024-11)."
        # As for dates: a month outside 1900-2100 is a typo, and the reporting period is taken from these.
        implausible = " is not a plausible month (the year must be 1900 to 2100)."
        return [
            f"SELECT {ROW}, {name}, {c}, {_lit(col.name + ' ')} || {c} || {_lit(msg)} {where} as_month({c}) IS NULL",
            f"SELECT {ROW}, {name}, {c}, {_lit(col.name + ' ')} || {c} || {_lit(implausible)} "
            f"{where} year(as_month({c})) NOT BETWEEN 1900 AND 2100",
        ]
    if col.kind == "period":
        return [
            f"SELECT {ROW}, {name}, {c}, p.problem FROM norm JOIN periods p ON p.raw = norm.{c} WHERE p.problem IS NOT NULL"
        ]
    raise ValueError(f"unknown column kind {col.kind}")


def _typed_expr(col: Column) -> str:
    c = _ident(col.name)
    if col.kind == "int":
        return f"CASE WHEN is_whole({c}) THEN try_cast({c} AS BIGINT) END"
    if col.kind == "number":
        return f"CASE WHEN is_number({c}) THEN try_cast({c} AS DOUBLE) END"
    if col.kind == "date":
        return f"as_date({c})"
    if col.kind == "month":
        return f"as_month({c})"
    if col.kind == "code":
        return f"upper({c})"
    return c


def _duplicate_check(spec: ExtractSpec, *, source: str) -> str:
    """Rows whose key is used more than once: the keys are found by grouping (cheap), and only
    the few duplicated ones are joined back to list their rows."""
    keys = [_ident(k) for k in spec.key]
    last = spec.key[-1]
    group = ", ".join(keys)
    context = " || ' and ' || ".join(f"{_lit(k + ' ')} || s.{_ident(k)}" for k in spec.key[:-1])
    joined = " AND ".join(f"s.{k} = d.{k}" for k in keys)
    return f"""
        SELECT s.{ROW}, {_lit(last)}, s.{_ident(last)}::VARCHAR,
               {_lit(last + ' ')} || s.{_ident(last)}::VARCHAR || ' appears more than once for ' || {context}
               || ' (rows ' || d.dup_rows || '); each ' || {_lit(spec.key_meaning)} || ' must be unique in a file.'
        FROM {source} s JOIN (
            SELECT {group}, string_agg({ROW}::VARCHAR, ', ' ORDER BY {ROW}) AS dup_rows FROM {source}
            WHERE ({group}) IN (
                SELECT ({group}) FROM {source} WHERE {' AND '.join(k + ' IS NOT NULL' for k in keys)}
                GROUP BY {group} HAVING count(*) > 1)
            GROUP BY {group}
        ) d ON {joined}"""


_RULES: dict[str, list[str]] = {
    "journeys": [
        """SELECT __row, 'REFLD', strftime(REFLD, '%Y-%m-%d'),
                  'The referral date (REFLD ' || strftime(REFLD, '%Y-%m-%d') || ') is after the triage date (TRIAGED '
                  || strftime(TRIAGED, '%Y-%m-%d') || ').'
           FROM typed WHERE REFLD > TRIAGED""",
        """SELECT __row, 'DISD', strftime(DISD, '%Y-%m-%d'),
                  'The discharge date (DISD ' || strftime(DISD, '%Y-%m-%d') || ') is before the triage date (TRIAGED '
                  || strftime(TRIAGED, '%Y-%m-%d') || ').'
           FROM typed WHERE DISD < TRIAGED""",
        """SELECT __row, 'DISRSN', '', 'The journey has a discharge date (DISD) but no discharge reason (DISRSN).'
           FROM typed t JOIN norm n USING (__row) WHERE t.DISD IS NOT NULL AND n.DISRSN IS NULL""",
        """SELECT __row, 'DISD', '', 'A discharge reason (DISRSN ' || n.DISRSN || ') is given but there is no discharge date (DISD); leave both blank while the journey is open.'
           FROM typed t JOIN norm n USING (__row) WHERE n.DISD IS NULL AND n.DISRSN IS NOT NULL""",
    ],
    "tops": [],
    "dip": [
        """SELECT __row, 'RA_ATTENDED', RA_ATTENDED::VARCHAR,
                  'RA_ATTENDED (' || RA_ATTENDED || ') is more than RA_REQUIRED (' || RA_REQUIRED || '): attended assessments are part of those required.'
           FROM typed WHERE RA_ATTENDED > RA_REQUIRED""",
        """SELECT __row, 'FUA_ATTENDED', FUA_ATTENDED::VARCHAR,
                  'FUA_ATTENDED (' || FUA_ATTENDED || ') is more than FUA_REQUIRED (' || FUA_REQUIRED || ').'
           FROM typed WHERE FUA_ATTENDED > FUA_REQUIRED""",
        """SELECT __row, 'FUA_ATTENDED', FUA_ATTENDED::VARCHAR,
                  'FUA_ATTENDED is given but FUA_REQUIRED is blank; give both or neither.'
           FROM typed WHERE FUA_ATTENDED IS NOT NULL AND FUA_REQUIRED IS NULL""",
        """SELECT __row, 'ENTERED', ENTERED::VARCHAR,
                  'ENTERED (' || ENTERED || ') is more than REFERRED (' || REFERRED || '): those entering treatment are part of those referred.'
           FROM typed WHERE ENTERED > REFERRED""",
        """SELECT __row, 'TESTS', TESTS::VARCHAR,
                  'The positive tests (POS_OPI + POS_COC + POS_BOTH = ' || (POS_OPI + POS_COC + POS_BOTH) || ') are more than TESTS (' || TESTS || ').'
           FROM typed WHERE POS_OPI + POS_COC + POS_BOTH > TESTS""",
    ],
    "indicators": [
        """SELECT __row, 'DENOMINATOR', '', 'NUMERATOR is given without a DENOMINATOR; give both, or only VALUE.'
           FROM typed WHERE NUMERATOR IS NOT NULL AND DENOMINATOR IS NULL""",
        """SELECT __row, 'NUMERATOR', '', 'DENOMINATOR is given without a NUMERATOR; give both, or only VALUE.'
           FROM typed WHERE NUMERATOR IS NULL AND DENOMINATOR IS NOT NULL""",
        """SELECT __row, 'VALUE', '', 'The row has no figure: give NUMERATOR and DENOMINATOR, or VALUE.'
           FROM norm WHERE NUMERATOR IS NULL AND DENOMINATOR IS NULL AND VALUE IS NULL""",
        """SELECT __row, 'DENOMINATOR', DENOMINATOR::VARCHAR, 'DENOMINATOR must be more than 0.'
           FROM typed WHERE DENOMINATOR <= 0""",
        """SELECT __row, 'NUMERATOR', NUMERATOR::VARCHAR, 'NUMERATOR cannot be negative.'
           FROM typed WHERE NUMERATOR < 0""",
        """SELECT __row, 'NUMERATOR', NUMERATOR::VARCHAR,
                  'NUMERATOR (' || NUMERATOR || ') is more than DENOMINATOR (' || DENOMINATOR || ') for a proportion.'
           FROM typed WHERE NUMERATOR > DENOMINATOR AND coalesce(lower(UNIT), 'proportion') IN ('proportion', 'percent', '%')""",
        """SELECT __row, 'VALUE', VALUE::VARCHAR, 'A proportion must be from 0 to 1; for 0 to 100 set UNIT to percent.'
           FROM typed WHERE lower(UNIT) = 'proportion' AND VALUE NOT BETWEEN 0 AND 1""",
        """SELECT __row, 'LOWER_CI', LOWER_CI::VARCHAR, 'LOWER_CI (' || LOWER_CI || ') is above UPPER_CI (' || UPPER_CI || ').'
           FROM typed WHERE LOWER_CI > UPPER_CI""",
        """SELECT __row, 'DENOMINATOR', DENOMINATOR::VARCHAR,
                  'NUMERATOR / DENOMINATOR is too large a number; check the DENOMINATOR.'
           FROM typed WHERE NOT isfinite(NUMERATOR / DENOMINATOR) AND DENOMINATOR > 0""",
    ],
}

_OUTPUT: dict[str, str] = {
    "journeys": """SELECT __row AS source_row, DAT AS dat, AGNCY AS agncy, TEAM AS team,
        sha256($key || CLIENTID) AS client_key, EPISODID AS episodid, AGE::SMALLINT AS age, SEX AS sex,
        ETHNIC AS ethnic, SUBGRP AS subgrp, DRUG1 AS drug1, RFLS AS rfls, REFLD AS refld, TRIAGED AS triaged,
        DISD AS disd, DISRSN AS disrsn, PRNTSTAT AS prntstat, INJSTAT AS injstat FROM typed ORDER BY __row""",
    "tops": """SELECT __row AS source_row, DAT AS dat, AGNCY AS agncy, sha256($key || CLIENTID) AS client_key,
        EPISODID AS episodid, TOPID AS topid, TOPDATE AS topdate, TRSTAGE AS trstage,
        OPIUSE::SMALLINT AS opiuse, CRAUSE::SMALLINT AS crause, ALCUSE::SMALLINT AS alcuse,
        INJECT::SMALLINT AS inject, PHSTAT::SMALLINT AS phstat, PSYHSTAT::SMALLINT AS psyhstat,
        QUALLIFE::SMALLINT AS quallife, HOUSING AS housing FROM typed ORDER BY __row""",
    "dip": """SELECT __row AS source_row, DAT AS dat, SUITE AS suite, MONTH AS month,
        TRIGGER_ARRESTS::INTEGER AS trigger_arrests, TESTS::INTEGER AS tests, POS_OPI::INTEGER AS pos_opi,
        POS_COC::INTEGER AS pos_coc, POS_BOTH::INTEGER AS pos_both, RA_REQUIRED::INTEGER AS ra_required,
        RA_ATTENDED::INTEGER AS ra_attended, FUA_REQUIRED::INTEGER AS fua_required,
        FUA_ATTENDED::INTEGER AS fua_attended, REFERRED::INTEGER AS referred, ENTERED::INTEGER AS entered
        FROM typed ORDER BY __row""",
    "indicators": """SELECT t.__row AS source_row, t.AREA_CODE AS area_code, t.AREA_NAME AS area_name,
        t.INDICATOR AS indicator, t.INDICATOR_NAME AS indicator_name, p.label AS period, p.kind AS period_kind,
        p.start_date AS period_start, p.end_date AS period_end, t.NUMERATOR AS numerator,
        t.DENOMINATOR AS denominator, coalesce(t.VALUE, t.NUMERATOR / t.DENOMINATOR) AS value, t.UNIT AS unit,
        t.LOWER_CI AS lower_ci, t.UPPER_CI AS upper_ci
        FROM typed t JOIN periods p ON p.raw = t.PERIOD ORDER BY t.__row""",
}


def validate(
    parsed: ParsedFile,
    *,
    codes: dict[str, list[str]],
    client_key: str,
    period: Quarter | None = None,
    known_indicators: frozenset[str] = frozenset(),
) -> ValidatedFile:
    """Check the whole file; return it typed, or raise FileRejected with every problem."""
    spec = parsed.spec
    with scratch_store() as scratch:
        for statement in _MACROS.split(";"):
            if statement.strip():
                scratch.execute(statement)
        scratch.register("raw", parsed.table)
        present = set(parsed.table.column_names)
        norm_cols = []
        for col in spec.columns:
            if col.name in present:
                c = _ident(col.name)
                norm_cols.append(
                    f"CASE WHEN upper(trim({c})) IN ('', 'NA', 'NULL') THEN NULL ELSE trim({c}) END AS {c}"
                )
            else:
                norm_cols.append(f"NULL::VARCHAR AS {_ident(col.name)}")
        scratch.execute(f"CREATE TABLE norm AS SELECT {ROW}, {', '.join(norm_cols)} FROM raw")
        if spec.kind == "indicators":
            _register_periods(scratch)
        typed = ", ".join(f"{_typed_expr(col)} AS {_ident(col.name)}" for col in spec.columns)
        scratch.execute(f"CREATE TABLE typed AS SELECT {ROW}, {typed} FROM norm")

        checks = _cell_checks(spec, codes) + _RULES[spec.kind]
        checks.append(_duplicate_check(spec, source="typed" if spec.kind == "indicators" else "norm"))
        if spec.kind == "indicators":
            checks.append(_new_indicator_check(known_indicators))
        reporting, stated = None, period is not None
        if spec.date_columns:
            if period is None:
                latest = scratch.scalar(
                    "SELECT max(d) FROM (" + " UNION ALL ".join(
                        f"SELECT {_ident(c)} AS d FROM typed WHERE year({_ident(c)}) BETWEEN 1900 AND 2100"
                        for c in spec.date_columns) + ")"
                )
                reporting = Quarter.containing(latest) if latest else None
            else:
                reporting = period
                checks.extend(_after_period_checks(spec, period))
        problems = [
            _problem(r) for r in scratch.rows(" UNION ALL ".join(f"({q})" for q in checks))
        ]
        if problems:
            raise FileRejected(problems)
        output = scratch.arrow(_OUTPUT[spec.kind], {"key": client_key} if "$key" in _OUTPUT[spec.kind] else None)
        area = _ident(spec.area_column)
        partnerships = tuple(r[0] for r in scratch.rows(f"SELECT DISTINCT {area} FROM typed ORDER BY 1"))
        if spec.kind == "indicators":
            periods = tuple(r[0] for r in scratch.rows(
                "SELECT DISTINCT p.label FROM typed t JOIN periods p ON p.raw = t.PERIOD ORDER BY 1"))
        else:
            periods = (reporting.label,) if reporting else ()
    return ValidatedFile(
        spec=spec, table=output, rows=output.num_rows, partnerships=partnerships, periods=periods,
        reporting_period=reporting, period_stated=stated, warnings=parsed.warnings,
    )


def _register_periods(scratch: Store) -> None:
    """Indicator periods are few: parse each distinct label once, in Python, and join."""
    raws = [r[0] for r in scratch.rows("SELECT DISTINCT PERIOD FROM norm WHERE PERIOD IS NOT NULL")]
    records = {"raw": [], "label": [], "kind": [], "start_date": [], "end_date": [], "problem": []}
    for raw in raws:
        try:
            p = parse_indicator_period(raw)
            values: tuple[str | date | None, ...] = (raw, p.label, p.kind, p.start, p.end, None)
        except PeriodError as exc:
            values = (raw, None, None, None, None, f"PERIOD {exc}.")
        for key, value in zip(records, values, strict=True):
            records[key].append(value)
    table = pa.table({
        "raw": pa.array(records["raw"], pa.string()), "label": pa.array(records["label"], pa.string()),
        "kind": pa.array(records["kind"], pa.string()), "start_date": pa.array(records["start_date"], pa.date32()),
        "end_date": pa.array(records["end_date"], pa.date32()), "problem": pa.array(records["problem"], pa.string()),
    })
    scratch.register("periods_arrow", table)
    scratch.execute("CREATE TABLE periods AS SELECT * FROM periods_arrow")


def _new_indicator_check(known: frozenset[str]) -> str:
    known_list = ", ".join(_lit(k) for k in sorted(known)) or "''"
    return f"""
        SELECT min(__row), 'INDICATOR_NAME', INDICATOR,
               'INDICATOR ' || INDICATOR || ' is new: give its INDICATOR_NAME (needed the first time an indicator is uploaded).'
        FROM norm WHERE INDICATOR IS NOT NULL AND INDICATOR NOT IN ({known_list})
        GROUP BY INDICATOR HAVING count(INDICATOR_NAME) = 0"""


def _after_period_checks(spec: ExtractSpec, period: Quarter) -> list[str]:
    end = period.end.isoformat()
    out = []
    for name in spec.date_columns:
        c = _ident(name)
        shown = f"strftime({c}, '%Y-%m')" if spec.column(name).kind == "month" else f"strftime({c}, '%Y-%m-%d')"
        msg = f" is after the end of the stated reporting period {period.label} ({end})."
        out.append(f"SELECT {ROW}, {_lit(name)}, {shown}, {_lit(name + ' ')} || {shown} || {_lit(msg)} "
                   f"FROM typed WHERE {c} > DATE {_lit(end)}")
    return out
