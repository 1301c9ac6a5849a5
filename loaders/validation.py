"""Check every cell and every rule of an extract at once, in DuckDB SQL over the whole file.

The checks are generated from the declarations in ``loaders/extracts.py``. A clean file (the
usual case) is checked in about a second at national scale (600,000 journeys): a column with
few distinct values (codes, dates, ages, areas) has each value checked once, and the rest of
the checks flag rows while the stored columns are computed. When anything is flagged, one query
finds every problem of every row, so the user sees all of them together. Nothing here touches
the user's database: the file is checked in a scratch in-memory database.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
    table: pa.Table  # the target table's columns after upload_id (and period_end); some dictionary-encoded
    kind: str  # what the file was: the extract's kind, or the download it was read from (fingertips, viewit)
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


@dataclass(frozen=True)
class _Check:
    """One rule about single rows: the rows of ``cells`` where ``where`` holds, each reported as
    (row, column, value, reason), all four given as SQL over one row of ``cells``."""

    where: str
    column: str
    value: str
    reason: str

    def sql(self, source: str) -> str:
        return f"SELECT {ROW}, {self.column}, {self.value}, {self.reason} FROM {source} WHERE {self.where}"


def _cell_checks(spec: ExtractSpec, codes: dict[str, list[str]]) -> dict[str, list[_Check]]:
    """The checks of every column's cells, by column: each looks at that one cell of a row."""
    out: dict[str, list[_Check]] = {}
    for col in spec.columns:
        c, name = _ident(col.name), _lit(col.name)
        checks = out.setdefault(col.name, [])
        if col.required:
            checks.append(_Check(f"{c} IS NULL", name, "''", _lit(col.name + " is required but is blank.")))
        checks.extend(_kind_checks(col, c, name, codes))
    return out


def _kind_checks(col: Column, c: str, name: str, codes: dict[str, list[str]]) -> list[_Check]:
    filled = f"{c} IS NOT NULL AND"
    typed = f"t.{c}"
    said = f"{_lit(col.name + ' ')} || {c}"  # e.g. "AGE 7", the start of many reasons
    if col.kind == "ident":
        msg = f"{col.name} must be 1 to {col.max_len} letters or digits."
        return [_Check(f"{filled} NOT regexp_full_match({c}, '[A-Za-z0-9]{{1,{col.max_len}}}')", name, c, _lit(msg))]
    if col.kind == "indicator":
        msg = f"{col.name} must be 1 to {col.max_len} letters, digits, '_', '-' or '.'."
        return [_Check(f"{filled} NOT regexp_full_match({c}, '[A-Za-z0-9_.-]{{1,{col.max_len}}}')", name, c, _lit(msg))]
    if col.kind == "text":
        msg = f"{col.name} is longer than {col.max_len} characters."
        # strlen (bytes) is never less than length (characters) and costs nothing: length only when it may matter.
        return [_Check(f"{filled} strlen({c}) > {col.max_len} AND length({c}) > {col.max_len}", name,
                       f"left({c}, 80)", _lit(msg))]
    if col.kind == "code":
        valid = codes[col.codes or ""]
        msg = f"is not a valid {col.name} code. Valid codes: {', '.join(valid)}."
        values = ", ".join(_lit(v) for v in valid)
        return [_Check(f"{filled} {typed} NOT IN ({values})", name, c, f"{said} || ' ' || {_lit(msg)}")]
    if col.kind == "int":
        whole = f"{col.name} must be a whole number from {col.low:,} to {col.high:,}".replace(",", "")
        return [
            _Check(f"{filled} NOT is_whole({c})", name, c,
                   f"{said} || ' ' || CASE WHEN regexp_full_match({c}, '-[0-9]+') THEN {_lit('is negative; ' + whole + '.')} "
                   f"WHEN is_number({c}) THEN {_lit('is not a whole number; ' + whole + '.')} "
                   f"ELSE number_problem({c}) END"),
            _Check(f"{filled} is_whole({c}) "
                   f"AND (try_cast({c} AS HUGEINT) IS NULL OR try_cast({c} AS HUGEINT) NOT BETWEEN {col.low} AND {col.high})",
                   name, c, _lit(whole + ".")),
        ]
    if col.kind == "number":
        # 1e999 is written like a number but is infinite as a DOUBLE: it would store as inf.
        return [
            _Check(f"{filled} NOT is_number({c})", name, c, f"{said} || ' ' || number_problem({c})"),
            _Check(f"{filled} is_number({c}) AND NOT isfinite(try_cast({c} AS DOUBLE))", name, c,
                   f"{said} || {_lit(' is too large a number.')}"),
        ]
    if col.kind == "date":
        # date_problem(v) is NULL exactly when as_date(v) (the typed value) is a date in 1900-2100, so the
        # rows are found by the typed value and only theirs pay for the wording of the reason.
        return [_Check(f"{filled} ({typed} IS NULL OR year({typed}) NOT BETWEEN 1900 AND 2100)", name, c,
                       f"{said} || ' ' || date_problem({c})")]
    if col.kind == "month":
        msg = " is not a month. Write months as YYYY-MM (e.g. 2024-11)."
        # As for dates: a month outside 1900-2100 is a typo, and the reporting period is taken from these.
        implausible = " is not a plausible month (the year must be 1900 to 2100)."
        return [
            _Check(f"{filled} {typed} IS NULL", name, c, f"{said} || {_lit(msg)}"),
            _Check(f"{filled} year({typed}) NOT BETWEEN 1900 AND 2100", name, c, f"{said} || {_lit(implausible)}"),
        ]
    if col.kind == "period":
        return [_Check("period_problem IS NOT NULL", name, c, "period_problem")]
    raise ValueError(f"unknown column kind {col.kind}")


def _norm_expr(c: str, *, exact: bool) -> str:
    """A cell as checked: trimmed, and NULL when blank, NA or NULL (any case)."""
    full = f"CASE WHEN upper(trim({c})) IN ('', 'NA', 'NULL') THEN NULL ELSE trim({c}) END"
    if exact:
        return full
    # trim() removes Unicode space separators from the ends of a cell, and copies every cell it is given.
    # In a file with no space but ' ' in it, only a cell that starts or ends with ' ' needs it, and only
    # '', 'NA' and 'NULL' in any case (1 to 4 bytes) upper-case to a blank: the rest are already clean.
    return (f"CASE WHEN prefix({c}, ' ') OR suffix({c}, ' ') THEN {full} "
            f"WHEN strlen({c}) <= 4 AND upper({c}) IN ('', 'NA', 'NULL') THEN NULL ELSE {c} END")


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


def _cells_views(spec: ExtractSpec, present: set[str], *, exact_trim: bool, by_value: frozenset[str] = frozenset(),
                 source: str = "raw", prefix: str = "") -> tuple[str, str]:
    """Two views over ``source`` (a row per record): ``norm``, every spec column's cell as checked
    (text, NULL when blank); and ``cells``, that with the typed value of every column in the struct
    ``t`` (and, for indicators, the parsed PERIOD).

    Columns in ``by_value`` were normalised and typed once per distinct value (see ``_by_value``):
    ``source`` holds them done, as ``X`` (text) and ``X:typed``.
    """
    norm_cols = []
    for col in spec.columns:
        c = _ident(col.name)
        if col.name in by_value:
            norm_cols.append(f"{c}, {_ident(col.name + ':typed')}")
        elif col.name in present:
            norm_cols.append(f"{_norm_expr(c, exact=exact_trim)} AS {c}")
        else:
            norm_cols.append(f"NULL::VARCHAR AS {c}")
    if "PERIOD" in by_value:
        norm_cols.append("period_label, period_kind, period_start, period_end, period_problem")
    norm = f"CREATE VIEW {prefix}norm AS SELECT {ROW}, {', '.join(norm_cols)} FROM {source}"
    fields = ", ".join(
        f"{_lit(col.name)}: {_ident(col.name + ':typed') if col.name in by_value else _typed_expr(col)}"
        for col in spec.columns
    )
    names = ", ".join(_ident(col.name) for col in spec.columns)
    if spec.kind != "indicators":
        return norm, f"CREATE VIEW {prefix}cells AS SELECT {ROW}, {names}, {{{fields}}} AS t FROM {prefix}norm"
    if "PERIOD" in by_value:
        return norm, (f"CREATE VIEW {prefix}cells AS SELECT {ROW}, {names}, {{{fields}}} AS t, period_label, "
                      f"period_kind, period_start, period_end, period_problem FROM {prefix}norm")
    return norm, (
        f"CREATE VIEW {prefix}cells AS SELECT {ROW}, {', '.join('n.' + _ident(c.name) for c in spec.columns)}, "
        f"{{{fields}}} AS t, p.label AS period_label, p.kind AS period_kind, p.start_date AS period_start, "
        f"p.end_date AS period_end, p.problem AS period_problem "
        f"FROM {prefix}norm n LEFT JOIN periods p ON p.raw = n.PERIOD"
    )


def _duplicate_check(spec: ExtractSpec, *, source: str) -> str:
    """Rows whose key is used more than once: the keys are found by grouping (cheap), and only
    the few duplicated ones are joined back to list their rows. An optional part of a key (an
    indicator's BREAKDOWN and GROUP) counts as blank when it is empty."""
    required = set(spec.required_names)
    keys = [_ident(k) if k in required else f"coalesce({_ident(k)}, '')" for k in spec.key]
    names = [_ident(k) for k in spec.key]
    last = spec.key[-1]
    group = ", ".join(keys)
    select = ", ".join(f"{key} AS {name}" for key, name in zip(keys, names, strict=True))
    context = "concat_ws(' and ', " + ", ".join(
        f"CASE WHEN coalesce(s.{_ident(k)}, '') <> '' THEN {_lit(k + ' ')} || s.{_ident(k)} END"
        for k in spec.key[:-1]) + ")"
    joined = " AND ".join(f"{key.replace(name, 's.' + name)} = d.{name}" for key, name in zip(keys, names, strict=True))
    return f"""
        SELECT s.{ROW}, {_lit(last)}, s.{_ident(last)}::VARCHAR,
               {_lit(last + ' ')} || s.{_ident(last)}::VARCHAR || ' appears more than once for ' || {context}
               || ' (rows ' || d.dup_rows || '); each ' || {_lit(spec.key_meaning)} || ' must be unique in a file.'
        FROM {source} s JOIN (
            SELECT {select}, string_agg({ROW}::VARCHAR, ', ' ORDER BY {ROW}) AS dup_rows FROM {source}
            WHERE ({group}) IN (
                SELECT ({group}) FROM {source} WHERE {' AND '.join(_ident(k) + ' IS NOT NULL' for k in spec.key if k in required)}
                GROUP BY {group} HAVING count(*) > 1)
            GROUP BY {group}
        ) d ON {joined}"""


def _strftime(typed: str) -> str:
    return f"strftime({typed}, '%Y-%m-%d')"


# A download's row may hold no figure (Fingertips suppresses small numbers, ViewIt writes NULL): stored as
# "no figure". A row of the user's own indicators extract must give one.
_NO_FIGURE = "NUMERATOR IS NULL AND DENOMINATOR IS NULL AND VALUE IS NULL"

_PAIRS = ("NUMERATOR IS NOT NULL AND DENOMINATOR IS NULL", "NUMERATOR IS NULL AND DENOMINATOR IS NOT NULL")
_OWN_EXTRACT_ONLY = (_NO_FIGURE, *_PAIRS)

_RULES: dict[str, list[_Check]] = {
    "journeys": [
        _Check("t.REFLD > t.TRIAGED", "'REFLD'", _strftime("t.REFLD"),
               f"'The referral date (REFLD ' || {_strftime('t.REFLD')} || ') is after the triage date (TRIAGED ' "
               f"|| {_strftime('t.TRIAGED')} || ').'"),
        _Check("t.DISD < t.TRIAGED", "'DISD'", _strftime("t.DISD"),
               f"'The discharge date (DISD ' || {_strftime('t.DISD')} || ') is before the triage date (TRIAGED ' "
               f"|| {_strftime('t.TRIAGED')} || ').'"),
        _Check("t.DISD IS NOT NULL AND DISRSN IS NULL", "'DISRSN'", "''",
               "'The journey has a discharge date (DISD) but no discharge reason (DISRSN).'"),
        _Check("DISD IS NULL AND DISRSN IS NOT NULL", "'DISD'", "''",
               "'A discharge reason (DISRSN ' || DISRSN || ') is given but there is no discharge date (DISD); "
               "leave both blank while the journey is open.'"),
    ],
    "tops": [],
    "dip": [
        _Check("t.RA_ATTENDED > t.RA_REQUIRED", "'RA_ATTENDED'", "t.RA_ATTENDED::VARCHAR",
               "'RA_ATTENDED (' || t.RA_ATTENDED || ') is more than RA_REQUIRED (' || t.RA_REQUIRED || '): "
               "attended assessments are part of those required.'"),
        _Check("t.FUA_ATTENDED > t.FUA_REQUIRED", "'FUA_ATTENDED'", "t.FUA_ATTENDED::VARCHAR",
               "'FUA_ATTENDED (' || t.FUA_ATTENDED || ') is more than FUA_REQUIRED (' || t.FUA_REQUIRED || ').'"),
        _Check("t.FUA_ATTENDED IS NOT NULL AND t.FUA_REQUIRED IS NULL", "'FUA_ATTENDED'", "t.FUA_ATTENDED::VARCHAR",
               "'FUA_ATTENDED is given but FUA_REQUIRED is blank; give both or neither.'"),
        _Check("t.ENTERED > t.REFERRED", "'ENTERED'", "t.ENTERED::VARCHAR",
               "'ENTERED (' || t.ENTERED || ') is more than REFERRED (' || t.REFERRED || '): "
               "those entering treatment are part of those referred.'"),
        # Summed as HUGEINT: three values each out of range (and reported so) must not overflow the sum.
        _Check("t.POS_OPI::HUGEINT + t.POS_COC + t.POS_BOTH > t.TESTS", "'TESTS'", "t.TESTS::VARCHAR",
               "'The positive tests (POS_OPI + POS_COC + POS_BOTH = ' || (t.POS_OPI::HUGEINT + t.POS_COC + t.POS_BOTH) "
               "|| ') are more than TESTS (' || t.TESTS || ').'"),
    ],
    "indicators": [
        # On the cells as written: a number written wrongly is reported as that, not as missing too.
        _Check(_PAIRS[0], "'DENOMINATOR'", "''",
               "'NUMERATOR is given without a DENOMINATOR; give both, or only VALUE.'"),
        _Check(_PAIRS[1], "'NUMERATOR'", "''",
               "'DENOMINATOR is given without a NUMERATOR; give both, or only VALUE.'"),
        _Check(_NO_FIGURE, "'VALUE'", "''", "'The row has no figure: give NUMERATOR and DENOMINATOR, or VALUE.'"),
        _Check("POLARITY IS NOT NULL AND lower(POLARITY) NOT IN ('up', 'down', 'neutral')", "'POLARITY'", "POLARITY",
               "'POLARITY ' || POLARITY || ' is not up, down or neutral (which way is better for the indicator).'"),
        _Check("t.DENOMINATOR <= 0", "'DENOMINATOR'", "t.DENOMINATOR::VARCHAR", "'DENOMINATOR must be more than 0.'"),
        _Check("t.NUMERATOR < 0", "'NUMERATOR'", "t.NUMERATOR::VARCHAR", "'NUMERATOR cannot be negative.'"),
        _Check("t.NUMERATOR > t.DENOMINATOR AND coalesce(lower(t.UNIT), 'proportion') IN ('proportion', 'percent', '%')",
               "'NUMERATOR'", "t.NUMERATOR::VARCHAR",
               "'NUMERATOR (' || t.NUMERATOR || ') is more than DENOMINATOR (' || t.DENOMINATOR || ') for a proportion.'"),
        _Check("lower(t.UNIT) = 'proportion' AND t.VALUE NOT BETWEEN 0 AND 1", "'VALUE'", "t.VALUE::VARCHAR",
               "'A proportion must be from 0 to 1; for 0 to 100 set UNIT to percent.'"),
        _Check("t.LOWER_CI > t.UPPER_CI", "'LOWER_CI'", "t.LOWER_CI::VARCHAR",
               "'LOWER_CI (' || t.LOWER_CI || ') is above UPPER_CI (' || t.UPPER_CI || ').'"),
        _Check("NOT isfinite(t.NUMERATOR / t.DENOMINATOR) AND t.DENOMINATOR > 0", "'DENOMINATOR'",
               "t.DENOMINATOR::VARCHAR", "'NUMERATOR / DENOMINATOR is too large a number; check the DENOMINATOR.'"),
    ],
}

@dataclass(frozen=True)
class _Stored:
    """A column of the target table: ``sql`` over a row of ``cells``. When it depends on one spec
    column only (``source``), it is worked out once per distinct value of that column."""

    name: str
    sql: str
    source: str | None = None


def _plain(*names: str) -> tuple[_Stored, ...]:
    return tuple(_Stored(n.lower(), f"t.{_ident(n)}", n) for n in names)


def _cast(sql_type: str, *names: str) -> tuple[_Stored, ...]:
    # try_cast, not a cast: a stored value is computed together with the checks, before it is
    # known that it is in range (a file with any problem is rejected, never stored).
    return tuple(_Stored(n.lower(), f"try_cast(t.{n} AS {sql_type})", n) for n in names)


_ROW_NUMBER = _Stored("source_row", ROW)
_PERCENT = "lower(trim(t.UNIT)) IN ('percent', '%', 'percentage')"
# The multiplier of a rate: 'per 100,000' or 'rate per 1000' is 100000 or 1000.
_PER = r"try_cast(replace(regexp_extract(lower(t.UNIT), 'per\s*([0-9][0-9,]*)', 1), ',', '') AS DOUBLE)"


def _hundredth(column: str) -> str:
    """A percentage as written, divided by 100 in decimal: 52.30789067 is stored as the double nearest
    0.5230789067 (dividing the double by 100 misses it in about a quarter of cases)."""
    return (f"coalesce((try_cast({column} AS DECIMAL(38, 20)) * 0.01::DECIMAL(3, 2))::DOUBLE, "
            f"t.{column} / 100)")


_CLIENT_KEY = _Stored("client_key", "sha256($key || t.CLIENTID)")
# The columns of each target table after upload_id (and period_end), in order.
_OUTPUT: dict[str, tuple[_Stored, ...]] = {
    "journeys": (_ROW_NUMBER, *_plain("DAT", "AGNCY", "TEAM"), _CLIENT_KEY, *_plain("EPISODID"),
                 *_cast("SMALLINT", "AGE"),
                 *_plain("SEX", "ETHNIC", "SUBGRP", "DRUG1", "RFLS", "REFLD", "TRIAGED", "DISD", "DISRSN",
                         "PRNTSTAT", "INJSTAT")),
    "tops": (_ROW_NUMBER, *_plain("DAT", "AGNCY"), _CLIENT_KEY, *_plain("EPISODID", "TOPID", "TOPDATE", "TRSTAGE"),
             *_cast("SMALLINT", "OPIUSE", "CRAUSE", "ALCUSE", "INJECT", "PHSTAT", "PSYHSTAT", "QUALLIFE"),
             *_plain("HOUSING")),
    "dip": (_ROW_NUMBER, *_plain("DAT", "SUITE", "MONTH"),
            *_cast("INTEGER", "TRIGGER_ARRESTS", "TESTS", "POS_OPI", "POS_COC", "POS_BOTH", "RA_REQUIRED",
                   "RA_ATTENDED", "FUA_REQUIRED", "FUA_ATTENDED", "REFERRED", "ENTERED")),
    "indicators": (_ROW_NUMBER, *_plain("AREA_CODE", "AREA_NAME", "INDICATOR", "INDICATOR_NAME"),
                   _Stored("period", "period_label", "PERIOD"), _Stored("period_kind", "period_kind", "PERIOD"),
                   _Stored("period_start", "period_start", "PERIOD"), _Stored("period_end", "period_end", "PERIOD"),
                   *_plain("NUMERATOR", "DENOMINATOR"),
                   # Percentages are stored as proportions (0-1) like every proportion of the product; a rate
                   # "per 100,000" given only as a count and a denominator is worked out per 100,000.
                   _Stored("value", f"CASE WHEN {_PERCENT} THEN coalesce({_hundredth('VALUE')}, t.NUMERATOR / t.DENOMINATOR) "
                                    f"ELSE coalesce(t.VALUE, t.NUMERATOR / t.DENOMINATOR * coalesce({_PER}, 1)) END"),
                   _Stored("unit", f"CASE WHEN {_PERCENT} THEN 'proportion' ELSE t.UNIT END"),
                   _Stored("lower_ci", f"CASE WHEN {_PERCENT} THEN {_hundredth('LOWER_CI')} ELSE t.LOWER_CI END"),
                   _Stored("upper_ci", f"CASE WHEN {_PERCENT} THEN {_hundredth('UPPER_CI')} ELSE t.UPPER_CI END"),
                   _Stored("breakdown", "coalesce(t.BREAKDOWN, '')", "BREAKDOWN"),
                   _Stored("grp", "coalesce(t.\"GROUP\", '')", "GROUP"),
                   _Stored("lower998", f"CASE WHEN {_PERCENT} THEN {_hundredth('LOWER_CI_998')} ELSE t.LOWER_CI_998 END"),
                   _Stored("upper998", f"CASE WHEN {_PERCENT} THEN {_hundredth('UPPER_CI_998')} ELSE t.UPPER_CI_998 END"),
                   _Stored("polarity", "lower(t.POLARITY)", "POLARITY")),
}
_FAILED = "__failed"
_STORED = "stored:"


_ROW_GROUP_ROWS = 122_880  # DuckDB's row group
_PERIOD_COLUMNS = (("label", "period_label"), ("kind", "period_kind"), ("start_date", "period_start"),
                   ("end_date", "period_end"), ("problem", "period_problem"))
# Free text (client and journey ids above all) has about as many values as rows: it is checked row
# by row. Every other column has few distinct values (codes, dates, ages, areas), each checked once.
_ROW_BY_ROW = ("text",)


def validate(
    parsed: ParsedFile,
    *,
    codes: dict[str, list[str]],
    client_key: str,
    period: Quarter | None = None,
    known_indicators: frozenset[str] = frozenset(),
) -> ValidatedFile:
    """Check the whole file; return it typed, or raise FileRejected with every problem.

    A clean file (the usual case) is checked in one pass: the cells of a column with few distinct
    values are checked once per value, and the stored columns are computed together with a flag
    saying whether any other check holds for the row. Only when something is wrong are the rows
    written out in full and every check asked for its rows and reasons, as the file is reported.
    """
    spec = parsed.spec
    present = set(parsed.table.column_names)
    cell_checks = _cell_checks(spec, codes)
    if spec.date_columns and period is not None:
        for check_column, check in _after_period_checks(spec, period):
            cell_checks[check_column].append(check)
    with _scratch() as scratch, ThreadPoolExecutor(max_workers=1) as hashing:
        # The client keys (the costliest column) are worked out in a second scratch database
        # while this one checks the rest, which leaves a core idle much of the time.
        keys = hashing.submit(_client_keys, parsed, client_key) if _CLIENT_KEY in _OUTPUT[spec.kind] else None
        scratch.register("raw", parsed.table)
        if spec.kind == "indicators":
            norm, _ = _cells_views(spec, present, exact_trim=True, prefix="exact_")
            scratch.execute(norm)
            _register_periods(scratch, source="exact_norm")
        by_value = frozenset(c.name for c in spec.columns if c.name in present and c.kind not in _ROW_BY_ROW)
        base, stored, failed_values = _by_value(scratch, spec, parsed.table, by_value, cell_checks)
        scratch.register("base", base)
        for view in _cells_views(spec, present, exact_trim=parsed.odd_spaces, by_value=by_value, source="base"):
            scratch.execute(view)

        row_checks = [c for name, checks in cell_checks.items() if name not in by_value for c in checks]
        rules = _rules(spec, parsed.source_kind)
        row_checks += rules
        # CASE, not a bare OR: a condition is then evaluated only on the rows no earlier one flagged.
        failed = ("CASE WHEN " + " OR ".join(f"({c.where})" for c in row_checks) + " THEN true ELSE false END"
                  if row_checks else "false")
        by_row = [c for c in _OUTPUT[spec.kind] if c.name not in stored and c is not _CLIENT_KEY]
        rows = scratch.arrow(f"SELECT {', '.join(f'{c.sql} AS {c.name}' for c in by_row)}, {failed} AS {_FAILED} "
                             f"FROM cells")
        stored.update((c.name, rows[c.name]) for c in by_row)
        # Every stored column but the client key is ready: the keys are checked while the hashing ends.
        if failed_values or pc.any(rows[_FAILED]).as_py() or _repeated_keys(scratch, spec, stored, known_indicators):
            _reject(scratch, spec, present, cell_checks, rules, known_indicators, parsed)
        if parsed.problems:
            raise FileRejected(_renamed(parsed.problems, parsed))
        if keys is not None:
            stored[_CLIENT_KEY.name] = keys.result()
    output = _batched(pa.table({c.name: stored[c.name] for c in _OUTPUT[spec.kind]}))

    partnerships = tuple(sorted(_distinct(output[spec.area_column.lower()])))
    reporting, stated = None, period is not None
    if spec.date_columns:
        if period is None:
            # Every date of a file that passed is in 1900-2100; the latest sets the quarter.
            latest = max((d for name in spec.date_columns for d in _distinct(output[name.lower()])
                          if d is not None), default=None)
            reporting = Quarter.containing(latest) if latest else None
        else:
            reporting = period
    if spec.kind == "indicators":
        periods = tuple(sorted(_distinct(output["period"])))
    else:
        periods = (reporting.label,) if reporting else ()
    return ValidatedFile(
        spec=spec, table=output, kind=parsed.source_kind, rows=output.num_rows, partnerships=partnerships, periods=periods,
        reporting_period=reporting, period_stated=stated, warnings=parsed.warnings,
    )


def _distinct(column: pa.ChunkedArray) -> list:
    """A column's distinct values. (Every value of a dictionary here is in use: each was built from
    the rows, so its values are enough.)"""
    array = column.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary
    return pc.unique(array).to_pylist()


def _batched(table: pa.Table) -> pa.Table:
    """The table in batches of a row group's size: DuckDB writes each straight to the database file,
    in parallel, where smaller ones are merged and written one by one."""
    columns = [
        c if all(len(chunk) == _ROW_GROUP_ROWS for chunk in c.chunks[:-1]) else c.combine_chunks()
        for c in table.columns
    ]
    table = pa.table(columns, schema=table.schema)
    return pa.Table.from_batches(table.to_batches(max_chunksize=_ROW_GROUP_ROWS), table.schema)


def _scratch() -> Store:
    """A scratch database with the macros the checks use."""
    scratch = scratch_store()
    for statement in _MACROS.split(";"):
        if statement.strip():
            scratch.execute(statement)
    return scratch


def _client_keys(parsed: ParsedFile, client_key: str) -> pa.ChunkedArray:
    """Each row's client key: the keyed hash of its CLIENTID as checked."""
    with _scratch() as hasher:
        hasher.register("raw", _batched(parsed.table.select([ROW, "CLIENTID"])))
        for view in _cells_views(parsed.spec, {ROW, "CLIENTID"}, exact_trim=parsed.odd_spaces):
            hasher.execute(view)
        return hasher.arrow(f"SELECT {_CLIENT_KEY.sql} FROM cells", {"key": client_key}).column(0)


def _by_value(scratch: Store, spec: ExtractSpec, table: pa.Table, columns: frozenset[str],
              cell_checks: dict[str, list[_Check]]) -> tuple[pa.Table, dict[str, pa.DictionaryArray], bool]:
    """Check, type and store each distinct value of ``columns`` once.

    Returns the rows as ``base`` for ``_cells_views`` (each such column as its checked text ``X``
    and typed value ``X:typed``, the others as read); the stored columns that depend on one of
    ``columns`` only; and whether any value failed a check.
    """
    arrays: dict[str, pa.Array] = {ROW: table[ROW].combine_chunks()}
    stored: dict[str, pa.DictionaryArray] = {}
    failed = False
    # Every value of a dictionary is used by some row: it is built from these rows. (Arrow works
    # outside the GIL: a thread encodes the next columns while this one checks the last.)
    with ThreadPoolExecutor(max_workers=1) as pool:
        encoding = {name: pool.submit(lambda n: pc.dictionary_encode(table[n]).combine_chunks(), name)
                    for name in (c.name for c in spec.columns if c.name in columns)}
        for col in spec.columns:
            if col.name in columns:
                failed = _check_values(scratch, spec, col, encoding[col.name].result(), cell_checks[col.name],
                                       arrays, stored) or failed
            elif col.name in table.column_names:
                arrays[col.name] = table[col.name].combine_chunks()
    # The stored rows computed from these come out in batches as these go in.
    return _batched(pa.table(arrays)), stored, failed


def _check_values(scratch: Store, spec: ExtractSpec, col: Column, encoded: pa.DictionaryArray,
                  checks: list[_Check], arrays: dict[str, pa.Array], stored: dict[str, pa.DictionaryArray]) -> bool:
    """Check, type and store each distinct value of one column (``encoded``) once; add the column's
    text and typed value to ``arrays`` and what is stored of it to ``stored``. True when a value failed."""
    values = encoded.dictionary
    scratch.register("distinct_values", pa.table({"i": pa.array(np.arange(len(values))), col.name: values}))
    c = _ident(col.name)
    flag = ("CASE WHEN " + " OR ".join(f"({k.where})" for k in checks) + " THEN true ELSE false END"
            if checks else "false")
    source = f"(SELECT i, {_norm_expr(c, exact=True)} AS {c} FROM distinct_values)"
    extra = ""
    if col.kind == "period":
        source += " LEFT JOIN periods p ON p.raw = " + c
        extra = "".join(f", p.{a} AS {b}" for a, b in _PERIOD_COLUMNS)
    outputs = [o for o in _OUTPUT[spec.kind] if o.source == col.name]
    # A relation like ``cells``, a row per value, for the checks; back in dictionary order.
    done = scratch.arrow(
        f"SELECT *, t.{c} AS typed, {''.join(f'{o.sql} AS {_ident(_STORED + o.name)}, ' for o in outputs)}"
        f"{flag} AS {_FAILED} "
        f"FROM (SELECT i, {c}, {{{_lit(col.name)}: {_typed_expr(col)}}} AS t{extra} FROM {source}) ORDER BY i"
    )
    scratch.unregister("distinct_values")
    # Each row's text and typed value, by reference to the value's (no copy). The indices are the
    # dictionary's own, in range: no need to check them again.
    fields = [(col.name, col.name), (col.name + ":typed", "typed")]
    if col.kind == "period":
        fields += [(name, name) for _, name in _PERIOD_COLUMNS]
    for name, field in fields:
        arrays[name] = pa.DictionaryArray.from_arrays(encoded.indices, done[field].combine_chunks(), safe=False)
    for o in outputs:
        stored[o.name] = pa.DictionaryArray.from_arrays(encoded.indices, done[_STORED + o.name].combine_chunks(),
                                                        safe=False)
    return pc.any(done[_FAILED]).as_py()


def _repeated_keys(scratch: Store, spec: ExtractSpec, stored: dict[str, pa.Array | pa.ChunkedArray],
                   known_indicators: frozenset[str]) -> bool:
    """Whether the checks of whole groups of rows (a key used twice; a new indicator without a name)
    find anything, once every row check has passed. ``stored``: the stored columns by name."""
    if spec.kind == "indicators":  # small files; PERIOD is stored parsed, not as written
        checks = [_duplicate_check(spec, source="cells"), _new_indicator_check(known_indicators, source="cells")]
        return any(scratch.rows(check) for check in checks)
    # The key columns are required and stored as checked (MONTH as the first of the month, one date
    # per YYYY-MM), so a key is used twice exactly when two stored rows share it; and not when its
    # last part (EPISODID, TOPID) is unique on its own, which is quicker to see.
    scratch.register("stored", pa.table({k.lower(): stored[k.lower()] for k in spec.key}))
    for keys in (spec.key[-1:], spec.key):
        group = ", ".join(k.lower() for k in keys)
        if not scratch.scalar(f"SELECT count(*) FROM (SELECT 1 FROM stored GROUP BY {group} HAVING count(*) > 1)"):
            return False
    return True


def _reject(scratch: Store, spec: ExtractSpec, present: set[str], cell_checks: dict[str, list[_Check]],
            rules: list[_Check], known_indicators: frozenset[str], parsed: ParsedFile) -> None:
    """Something is wrong: check every cell of every row as read, and raise FileRejected with every problem."""
    for view in _cells_views(spec, present, exact_trim=True, prefix="exact_"):
        scratch.execute(view.replace("CREATE VIEW", "CREATE OR REPLACE VIEW"))
    scratch.execute("CREATE TABLE checked AS SELECT * FROM exact_cells")
    checks = [c for cs in cell_checks.values() for c in cs] + rules
    queries = [c.sql("checked") for c in checks] + [_duplicate_check(spec, source="checked")]
    if spec.kind == "indicators":
        queries.append(_new_indicator_check(known_indicators, source="checked"))
    problems = [_problem(r) for r in scratch.rows(" UNION ALL ".join(f"({q})" for q in queries))]
    if problems or parsed.problems:
        raise FileRejected(_renamed((*parsed.problems, *problems), parsed))


def _rules(spec: ExtractSpec, source_kind: str) -> list[_Check]:
    """The rules about rows of an extract. A download's row may hold no figure, or a count without a
    denominator (Fingertips publishes both for some indicators, one for others)."""
    rules = _RULES[spec.kind]
    if source_kind != spec.kind:
        rules = [r for r in rules if r.where not in _OWN_EXTRACT_ONLY]
    return rules


def _renamed(problems: tuple[Problem, ...], parsed: ParsedFile) -> list[Problem]:
    """Problems named with the file's own column names (a download's 'Area Code', not AREA_CODE)."""
    names = dict(parsed.column_names)
    if not names:
        return list(problems)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b")
    return [Problem(p.row, names.get(p.column, p.column), p.value, pattern.sub(lambda m: names[m[1]], p.reason))
            for p in problems]


def _register_periods(scratch: Store, *, source: str) -> None:
    """Indicator periods are few: parse each distinct label once, in Python, and join."""
    raws = [r[0] for r in scratch.rows(f"SELECT DISTINCT PERIOD FROM {source} WHERE PERIOD IS NOT NULL")]
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


def _new_indicator_check(known: frozenset[str], *, source: str) -> str:
    known_list = ", ".join(_lit(k) for k in sorted(known)) or "''"
    return f"""
        SELECT min(__row), 'INDICATOR_NAME', INDICATOR,
               'INDICATOR ' || INDICATOR || ' is new: give its INDICATOR_NAME (needed the first time an indicator is uploaded).'
        FROM {source} WHERE INDICATOR IS NOT NULL AND INDICATOR NOT IN ({known_list})
        GROUP BY INDICATOR HAVING count(INDICATOR_NAME) = 0"""


def _after_period_checks(spec: ExtractSpec, period: Quarter) -> list[tuple[str, _Check]]:
    end = period.end.isoformat()
    out = []
    for name in spec.date_columns:
        typed = f"t.{_ident(name)}"
        shown = f"strftime({typed}, '%Y-%m')" if spec.column(name).kind == "month" else _strftime(typed)
        msg = f" is after the end of the stated reporting period {period.label} ({end})."
        out.append((name, _Check(f"{typed} > DATE {_lit(end)}", _lit(name), shown,
                                 f"{_lit(name + ' ')} || {shown} || {_lit(msg)}")))
    return out
