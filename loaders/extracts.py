"""The four extracts a user uploads, declared as data: columns, codes and ranges.

The validation SQL is generated from these declarations (see ``loaders/validation.py``), so
a rule lives in exactly one place. ``docs/extracts.md`` describes the same contract in words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of an extract.

    ``kind`` is how a cell is read: ``code`` (one of ``codes``, a code list in the database),
    ``int`` (a whole number from ``low`` to ``high``), ``date``, ``month`` (YYYY-MM),
    ``number`` (any decimal number), ``period`` (an indicator period), ``ident`` (1 to
    ``max_len`` letters or digits) or ``text`` (free text of up to ``max_len`` characters).
    """

    name: str
    required: bool
    kind: str
    codes: str | None = None
    low: int | None = None
    high: int | None = None
    max_len: int | None = None
    meaning: str = ""


@dataclass(frozen=True)
class ExtractSpec:
    kind: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique within one file, and the identity of a row across versions
    key_meaning: str
    date_columns: tuple[str, ...]  # the dates that set the reporting period
    area_column: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


_AREA = Column("DAT", True, "ident", max_len=12, meaning="partnership code")
_AGENCY = Column("AGNCY", True, "ident", max_len=12, meaning="provider code")
_CLIENT = Column("CLIENTID", True, "text", max_len=64, meaning="pseudonymised client identifier")
_EPISODE = Column("EPISODID", True, "text", max_len=64, meaning="journey identifier")

JOURNEYS = ExtractSpec(
    kind="journeys",
    title="Treatment journeys",
    columns=(
        _AREA,
        _AGENCY,
        Column("TEAM", False, "text", max_len=32, meaning="team code within the provider"),
        _CLIENT,
        _EPISODE,
        Column("AGE", True, "int", low=18, high=110, meaning="age at triage"),
        Column("SEX", True, "code", codes="sex"),
        Column("ETHNIC", True, "code", codes="ethnicity"),
        Column("SUBGRP", True, "code", codes="substance_group"),
        Column("DRUG1", False, "text", max_len=64, meaning="primary substance"),
        Column("RFLS", True, "code", codes="referral_source"),
        Column("REFLD", False, "date", meaning="referral date"),
        Column("TRIAGED", True, "date", meaning="triage date"),
        Column("DISD", False, "date", meaning="discharge date"),
        Column("DISRSN", False, "code", codes="discharge_reason"),
        Column("PRNTSTAT", False, "code", codes="parental_status"),
        Column("INJSTAT", False, "code", codes="injecting_status"),
    ),
    key=("DAT", "AGNCY", "EPISODID"),
    key_meaning="journey (EPISODID) within a partnership (DAT) and provider (AGNCY)",
    date_columns=("TRIAGED", "DISD"),
    area_column="DAT",
)

TOPS = ExtractSpec(
    kind="tops",
    title="Treatment Outcomes Profiles",
    columns=(
        _AREA,
        _AGENCY,
        _CLIENT,
        _EPISODE,
        Column("TOPID", True, "text", max_len=64, meaning="TOP form identifier"),
        Column("TOPDATE", True, "date", meaning="date the TOP was completed"),
        Column("TRSTAGE", True, "code", codes="top_stage"),
        Column("OPIUSE", False, "int", low=0, high=28, meaning="days used opiates in the past 28"),
        Column("CRAUSE", False, "int", low=0, high=28, meaning="days used crack in the past 28"),
        Column("ALCUSE", False, "int", low=0, high=28, meaning="days drank alcohol in the past 28"),
        Column("INJECT", False, "int", low=0, high=28, meaning="days injected in the past 28"),
        Column("PHSTAT", False, "int", low=0, high=20, meaning="physical health rating"),
        Column("PSYHSTAT", False, "int", low=0, high=20, meaning="psychological health rating"),
        Column("QUALLIFE", False, "int", low=0, high=20, meaning="quality of life rating"),
        Column("HOUSING", False, "code", codes="housing"),
    ),
    key=("DAT", "AGNCY", "TOPID"),
    key_meaning="TOP form (TOPID) within a partnership (DAT) and provider (AGNCY)",
    date_columns=("TOPDATE",),
    area_column="DAT",
)

_COUNT_MAX = 10_000_000

DIP = ExtractSpec(
    kind="dip",
    title="Drug Interventions Programme activity",
    columns=(
        _AREA,
        Column("SUITE", True, "ident", max_len=12, meaning="custody suite code"),
        Column("MONTH", True, "month", meaning="month, YYYY-MM"),
        *(
            Column(name, required, "int", low=0, high=_COUNT_MAX, meaning=meaning)
            for name, required, meaning in (
                ("TRIGGER_ARRESTS", True, "arrests for trigger offences"),
                ("TESTS", True, "drug tests carried out"),
                ("POS_OPI", True, "positive for opiates only"),
                ("POS_COC", True, "positive for cocaine only"),
                ("POS_BOTH", True, "positive for both"),
                ("RA_REQUIRED", True, "required assessments imposed"),
                ("RA_ATTENDED", True, "required assessments attended"),
                ("FUA_REQUIRED", False, "follow-up assessments imposed"),
                ("FUA_ATTENDED", False, "follow-up assessments attended"),
                ("REFERRED", True, "referred on to structured treatment"),
                ("ENTERED", True, "entered treatment"),
            )
        ),
    ),
    key=("DAT", "SUITE", "MONTH"),
    key_meaning="custody suite (SUITE) and month (MONTH) within a partnership (DAT)",
    date_columns=("MONTH",),
    area_column="DAT",
)

INDICATORS = ExtractSpec(
    kind="indicators",
    title="Published indicator values",
    columns=(
        Column("AREA_CODE", True, "ident", max_len=12, meaning="area code (E92000001 is England)"),
        Column("AREA_NAME", False, "text", max_len=200, meaning="area name"),
        Column("INDICATOR", True, "indicator", max_len=100, meaning="indicator id"),
        Column("INDICATOR_NAME", False, "text", max_len=300, meaning="indicator name"),
        Column("PERIOD", True, "period", meaning="quarter, financial year, month, rolling year, calendar year or range"),
        Column("NUMERATOR", False, "number", meaning="count"),
        Column("DENOMINATOR", False, "number", meaning="count"),
        Column("VALUE", False, "number", meaning="value"),
        Column("UNIT", False, "text", max_len=40, meaning="unit"),
        Column("LOWER_CI", False, "number", meaning="published lower 95% limit"),
        Column("UPPER_CI", False, "number", meaning="published upper 95% limit"),
        Column("LOWER_CI_998", False, "number", meaning="published lower 99.8% limit"),
        Column("UPPER_CI_998", False, "number", meaning="published upper 99.8% limit"),
        Column("BREAKDOWN", False, "text", max_len=200, meaning="breakdown (e.g. sex); blank for the area's figure"),
        Column("GROUP", False, "text", max_len=200, meaning="group within the breakdown (e.g. Female)"),
        Column("POLARITY", False, "text", max_len=10, meaning="up, down or neutral: which way is better"),
    ),
    key=("AREA_CODE", "INDICATOR", "BREAKDOWN", "GROUP", "PERIOD"),
    key_meaning="indicator (INDICATOR) for an area (AREA_CODE), group of a breakdown and period (PERIOD)",
    date_columns=(),
    area_column="AREA_CODE",
)

EXTRACTS: dict[str, ExtractSpec] = {s.kind: s for s in (JOURNEYS, TOPS, DIP, INDICATORS)}
# Downloads taken as they come: each is read by its adapter (loaders/fingertips.py, loaders/viewit.py)
# into indicators rows, stored in the indicators table.
DOWNLOADS: dict[str, str] = {"fingertips": "OHID Fingertips download", "viewit": "NDTMS ViewIt export"}
KINDS: tuple[str, ...] = (*EXTRACTS, *DOWNLOADS)


def table_for(kind: str) -> str:
    """The table an upload of ``kind`` is stored in."""
    return "indicators" if kind in DOWNLOADS else kind
ENGLAND = "E92000001"
CRIMINAL_JUSTICE_REFERRALS = ("5", "6", "8", "13")
