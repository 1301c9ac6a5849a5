"""Synthetic demo extracts: fictional partnerships whose data tell a story.

The dashboard has to be tried, taught and tested without anyone's real data, so this module
writes CSV files of exactly the four extract shapes in ``docs/extracts.md`` (journeys, TOPs,
DIP, indicators) for fictional partnerships. Everything is invented; codes start ``E99`` and
names end "(demo)" so nobody mistakes them for a real area.

Two scales:

- ``demo``: three partnerships over 20 quarters (``2021-22 Q3`` to ``2026-27 Q2``), each with
  a story a commissioner would recognise: Northvale improving, Southmere declining, Eastbrook
  recording its data poorly.
- ``national``: about 150 partnerships over 40 quarters (``2016-17 Q3`` to ``2026-27 Q2``),
  about 600,000 journeys in each quarterly file: a load and speed test.

The history is simulated client by client from years before the first file, the way NDTMS
data arise: first presentations, treatment journeys of realistic length for each substance
group, discharges of each class, transfers, re-presentations, TOPs at start, review and exit,
monthly custody-suite activity. Each quarterly journeys file then shows what was known at
that quarter's end: a journey discharged later is still open in it, and some codes recorded
as "not stated" are corrected in later files, so the loader's version precedence matters.

The output depends only on ``scale`` and ``seed``, never on today's date: the same seed gives
byte-identical files. The simulation is vectorised (numpy arrays over all journeys; loops
only over quarters, partnerships or a client's journey number).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    from loaders.load import LoadResult, OnChange
    from loaders.store import Store

__all__ = ["DEFAULT_SEED", "DEMO_PARTNERSHIPS", "SCALES", "DemoFile", "DemoPartnership", "load_demo",
           "write_demo_extracts"]

DEFAULT_SEED = 20240401


@dataclass(frozen=True)
class DemoPartnership:
    """A fictional partnership of the demo data and the story its figures tell."""

    code: str
    name: str
    story: str


DEMO_PARTNERSHIPS: tuple[DemoPartnership, ...] = (
    DemoPartnership(
        "E99000101",
        "Northvale (demo)",
        "Improving: successful completions, effective treatment, TOP compliance, drug testing, "
        "required-assessment attendance and DIP treatment entry all rise year on year.",
    ),
    DemoPartnership(
        "E99000102",
        "Southmere (demo)",
        "Declining: the same measures start strong and fall year on year; fewer people enter "
        "treatment each year.",
    ),
    DemoPartnership(
        "E99000103",
        "Eastbrook (demo)",
        "Poor data quality: many journeys with sex or ethnicity not stated and parental status, "
        "referral date, drug or injecting status not recorded; TOPs often late or missing.",
    ),
)


@dataclass(frozen=True)
class DemoFile:
    """One written extract: where it is, which kind, and the quarter it reports (None for indicators)."""

    path: Path
    kind: str
    period: str | None


SCALES: tuple[str, ...] = ("demo", "national")

# --- code lists (as docs/extracts.md) -------------------------------------------------------

_SUBGROUPS = ("OPI", "NOPI", "NOPIALC", "ALC")
_OPI, _NOPI, _NOPIALC, _ALC = range(4)

_ETHNIC = ("A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z")
_ETHNIC_Z = 16
# Stated ethnicity of clients (A first; the rest scale with a partnership's diversity).
_ETHNIC_BASE = np.array(
    [0.0, 0.010, 0.040, 0.012, 0.006, 0.006, 0.010, 0.010, 0.015, 0.006, 0.010, 0.015, 0.012,
     0.006, 0.005, 0.018]
)

_RFLS = np.array([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 22, 23, 24, 25])
_RFLS_MIX = np.array(
    [
        # 1    2    3    4    5    6    8    9   10   11   12   13   14   15   16   19   22   23   24   25
        [.04, .04, .07, .33, .08, .04, .08, .01, .02, .02, .01, .09, .005, .06, .005, .03, .02, .01, .02, .01],
        [.03, .04, .10, .38, .06, .03, .06, .02, .005, .03, .01, .04, .005, .07, .01, .04, .03, .02, .02, .015],
        [.03, .04, .10, .37, .06, .03, .06, .02, .005, .03, .01, .04, .005, .07, .01, .04, .04, .02, .02, .015],
        [.03, .03, .20, .37, .01, .005, .02, .04, .0, .03, .02, .01, .005, .07, .005, .04, .07, .02, .03, .02],
    ]
)
_CJ_CODES = (5, 6, 8, 13)

_DRUGS = ("HEROIN", "METHADONE", "BUPRENORPHINE", "CODEINE", "CRACK", "COCAINE", "CANNABIS",
          "AMPHETAMINE", "BENZODIAZEPINE", "KETAMINE", "ALCOHOL")
_CRACK = 4
_DRUG_MIX = np.array(
    [
        [.76, .08, .04, .02, .10, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, .22, .32, .33, .05, .04, .04, 0],
        [0, 0, 0, 0, .10, .38, .22, .03, .03, .02, .22],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.0],
    ]
)

_INJSTAT = ("P", "C", "N", "Z")
_INJ_CURRENT = 1
_INJ_MIX = np.array(
    [[.42, .18, .36, .04], [.04, .01, .93, .02], [.04, .01, .93, .02], [.02, .005, .965, .01]]
)

_PRNTSTAT = np.array([11, 12, 13, 14, 15])
_PRNT_MIX = np.array([.12, .05, .20, .58, .05])

_SEX = np.array([1, 2, 3, 9])
_SEX_MIX = np.array([[.72, .275, .005], [.66, .335, .005], [.66, .335, .005], [.64, .355, .005]])

_SUCCESS, _TRANSFER, _UNPLANNED = range(3)
# Reasons within each class, by substance group (codes 80-90 of extracts.md).
_SUCCESS_REASONS = np.array([80, 81, 82])
_SUCCESS_MIX = np.array([[1.0, 0, 0], [.55, 0, .45], [.35, .20, .45], [0, .70, .30]])
_TRANSFER_REASONS = np.array([83, 84])
_UNPLANNED_REASONS = np.array([85, 86, 87, 88, 89, 90])
_UNPLANNED_MIX = np.array([[.66, .09, .06, .09, .035, .065], [.69, .09, .05, .09, .015, .065],
                           [.69, .09, .05, .09, .015, .065], [.69, .09, .03, .09, .035, .065]])

# How long journeys last: lognormal median days and spread for those not dropping out early.
_DURATION_MEDIAN = np.array([800.0, 170.0, 185.0, 150.0])
_DURATION_SIGMA = np.array([1.1, 0.55, 0.55, 0.55])
_EARLY_FACTOR = np.array([0.8, 1.2, 1.2, 1.0])
# Class of a discharge after 12 weeks or more: (successful, transfer), the rest unplanned.
_CLASS_LONG = np.array([[.30, .15], [.74, .05], [.71, .05], [.72, .05]])
_CLASS_SHORT = np.array([[.02, .08], [.14, .08], [.14, .08], [.14, .08]])

_NEW_MIX = np.array([.21, .20, .17, .42])  # new presentations by substance group
_AGE = np.array([[40.0, 8.0], [30.0, 8.0], [32.0, 8.0], [45.0, 11.0]])

_TEAMS = ("", "CJIT", "EAR")

_JOURNEY_COLUMNS = ("DAT", "AGNCY", "TEAM", "CLIENTID", "EPISODID", "AGE", "SEX", "ETHNIC", "SUBGRP",
                    "DRUG1", "RFLS", "REFLD", "TRIAGED", "DISD", "DISRSN", "PRNTSTAT", "INJSTAT")
_TOP_COLUMNS = ("DAT", "AGNCY", "CLIENTID", "EPISODID", "TOPID", "TOPDATE", "TRSTAGE", "OPIUSE",
                "CRAUSE", "ALCUSE", "INJECT", "PHSTAT", "PSYHSTAT", "QUALLIFE", "HOUSING")
_DIP_COLUMNS = ("DAT", "SUITE", "MONTH", "TRIGGER_ARRESTS", "TESTS", "POS_OPI", "POS_COC", "POS_BOTH",
                "RA_REQUIRED", "RA_ATTENDED", "FUA_REQUIRED", "FUA_ATTENDED", "REFERRED", "ENTERED")
_INDICATOR_COLUMNS = ("AREA_CODE", "AREA_NAME", "INDICATOR", "INDICATOR_NAME", "PERIOD", "NUMERATOR",
                      "DENOMINATOR", "VALUE", "UNIT", "LOWER_CI", "UPPER_CI")

_TOP_STAGES = ("S", "R", "E", "P")
_NEVER = np.int32(2**30)  # discharge day of a journey still open at the end of the simulation

# England benchmarks: (id, value at the first quarter, value at the last, denominator, growth).
_ENGLAND = (
    ("effective_treatment_rate", 0.812, 0.824, 285_000),
    ("completions_opiate", 0.056, 0.054, 138_000),
    ("completions_non_opiate", 0.362, 0.354, 56_000),
    ("completions_alcohol", 0.381, 0.376, 86_000),
    ("completions_all", 0.226, 0.221, 285_000),
    ("successful_exits_share", 0.518, 0.527, 132_000),
    ("representations", 0.088, 0.082, 42_000),
    ("retention_12wk", 0.845, 0.860, 128_000),
    ("long_term_4yr", 0.205, 0.222, 172_000),
    ("bme_share", 0.092, 0.108, 271_000),
    ("ethnic_minority_share", 0.152, 0.171, 271_000),
    ("top_compliance", 0.790, 0.815, 415_000),
    ("data_quality", 0.835, 0.865, 285_000),
    ("parental_status_recorded", 0.925, 0.945, 131_000),
    ("toa_test_rate", 0.842, 0.861, 96_000),
    ("toa_positivity", 0.352, 0.338, 82_000),
    ("ra_attendance", 0.688, 0.702, 24_500),
    ("dip_treatment_entry", 0.548, 0.571, 11_800),
)


# --- periods --------------------------------------------------------------------------------

_EPOCH = np.datetime64("1970-01-01", "D")


def _epoch_day(value: np.datetime64) -> int:
    return int((value.astype("datetime64[D]") - _EPOCH).astype(np.int64))


@dataclass(frozen=True)
class _Quarter:
    label: str  # '2024-25 Q3'
    slug: str  # '2024-25_Q3', as used in file names
    start: int  # epoch days
    end: int
    window_start: int  # first day of the rolling 12 months ending at ``end``
    months: tuple[str, ...]


def _quarters(first_year: int, first_number: int, count: int) -> tuple[_Quarter, ...]:
    out = []
    year, number = first_year, first_number
    for _ in range(count):
        first_month = np.datetime64(f"{year}-04", "M") + 3 * (number - 1)
        fy = f"{year}-{(year + 1) % 100:02d}"
        out.append(
            _Quarter(
                label=f"{fy} Q{number}",
                slug=f"{fy}_Q{number}",
                start=_epoch_day(first_month),
                end=_epoch_day(first_month + 3) - 1,
                window_start=_epoch_day(first_month - 9),
                months=tuple(str(first_month + i) for i in range(3)),
            )
        )
        number += 1
        if number == 5:
            year, number = year + 1, 1
    return tuple(out)


def _financial_year_start(days: np.ndarray) -> np.ndarray:
    """Calendar year in which each day's financial year starts."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    year, month0 = months // 12 + 1970, months % 12
    return np.where(month0 >= 3, year, year - 1)


# --- partnerships and their stories -----------------------------------------------------------


@dataclass(frozen=True)
class _Area:
    """The knobs of one fictional partnership. Pairs are (value at the story's start, at its end)."""

    code: str
    name: str
    story: str
    providers: tuple[str, ...]
    provider_mix: tuple[tuple[float, ...], ...]  # per substance group, weights over providers
    cj_team: tuple[int, ...]  # per provider: index into _TEAMS for criminal-justice referrals
    other_team: tuple[int, ...]  # per provider: index into _TEAMS for a few other journeys
    suites: tuple[str, ...]
    suite_arrests: tuple[float, ...]  # trigger arrests a month at each custody suite
    arrivals: float  # first presentations a year
    growth: float  # yearly relative change in presentations during the story
    success: tuple[float, float]  # odds multiplier on a successful (rather than unplanned) exit
    early: tuple[float, float]  # chance a journey ends unplanned before 12 weeks
    top_on_time: tuple[float, float]
    quality: float  # multiplier on the chance a field is not stated or not recorded
    correction: float  # chance a not-stated code is corrected in a later extract
    minority: float  # multiplier on the share of clients not White British
    test_rate: tuple[float, float]
    ra_attendance: tuple[float, float]
    dip_entry: tuple[float, float]
    iom: tuple[float, float]
    reoffending: tuple[float, float]


def _demo_areas() -> tuple[_Area, ...]:
    north, south, east = DEMO_PARTNERSHIPS
    return (
        _Area(
            north.code, north.name, north.story,
            providers=("NVR01", "NVR02", "NVA03", "NVY04"),
            provider_mix=((.55, .30, .05, .10), (.45, .30, .05, .20), (.40, .30, .15, .15), (.10, .10, .70, .10)),
            cj_team=(1, 0, 0, 0), other_team=(0, 2, 0, 0),
            suites=("NVCS1", "NVCS2", "NVCS3"), suite_arrests=(190.0, 110.0, 60.0),
            arrivals=830.0, growth=0.03,
            success=(0.62, 1.45), early=(0.28, 0.05), top_on_time=(0.70, 0.94),
            quality=1.0, correction=0.45, minority=0.8,
            test_rate=(0.76, 0.93), ra_attendance=(0.58, 0.83), dip_entry=(0.44, 0.67),
            iom=(70.0, 340.0), reoffending=(39.5, 27.0),  # Haringey's plan: 70 to 310
        ),
        _Area(
            south.code, south.name, south.story,
            providers=("SMR01", "SMW02", "SMA03"),
            provider_mix=((.65, .35, 0.0, 0), (.50, .45, .05, 0), (.45, .40, .15, 0), (.15, .15, .70, 0)),
            cj_team=(1, 1, 0, 0), other_team=(0, 0, 0, 0),
            suites=("SMCS1", "SMCS2"), suite_arrests=(230.0, 95.0),
            arrivals=980.0, growth=-0.04,
            success=(1.45, 0.62), early=(0.05, 0.28), top_on_time=(0.94, 0.70),
            quality=1.2, correction=0.45, minority=1.9,
            test_rate=(0.93, 0.74), ra_attendance=(0.83, 0.57), dip_entry=(0.67, 0.43),
            iom=(165.0, 128.0), reoffending=(26.5, 37.0),
        ),
        _Area(
            east.code, east.name, east.story,
            providers=("EBK01", "EBK02", "EBK03", "EBA04"),
            provider_mix=((.50, .30, .20, 0), (.40, .30, .25, .05), (.35, .30, .20, .15), (.10, .10, .10, .70)),
            cj_team=(1, 0, 0, 0), other_team=(0, 2, 0, 0),
            suites=("EBCS1", "EBCS2", "EBCS3"), suite_arrests=(150.0, 120.0, 45.0),
            arrivals=760.0, growth=0.0,
            success=(0.95, 1.0), early=(0.15, 0.14), top_on_time=(0.52, 0.58),
            quality=8.0, correction=0.15, minority=1.2,
            test_rate=(0.84, 0.85), ra_attendance=(0.66, 0.69), dip_entry=(0.50, 0.52),
            iom=(92.0, 96.0), reoffending=(33.0, 32.0),
        ),
    )


def _pair(low: float, high: float, start_at: float, end_at: float, shift: float) -> tuple[float, float]:
    """A knob's (start, end) values placed between ``low`` and ``high``."""
    return (float(np.clip(low + (high - low) * start_at + shift, 0.02, 0.98)),
            float(np.clip(low + (high - low) * end_at + shift, 0.02, 0.98)))


def _national_areas(seed: int, count: int = 150) -> tuple[_Area, ...]:
    """About 150 partnerships whose size, story and data quality vary as England's do."""
    rng = np.random.default_rng([seed, 101])
    sizes = 1750.0 * np.exp(0.5 * rng.standard_normal(count) - 0.125)
    story = rng.choice(3, size=count, p=[0.30, 0.25, 0.45])  # improving, declining, steady
    quality = rng.choice(np.array([1.0, 2.5, 7.0]), size=count, p=[0.6, 0.3, 0.1])
    minority = np.clip(np.exp(0.8 * rng.standard_normal(count)), 0.2, 3.5)
    n_providers = rng.integers(2, 5, size=count)
    n_suites = rng.integers(1, 4, size=count)
    jitter = rng.normal(0.0, 0.04, size=(count, 6))
    areas = []
    for i in range(count):  # one small loop per partnership, for its description only
        # Where each "up is good" knob sits at the story's start and end (0 low, 1 high).
        start_at, end_at = ((0.0, 1.0), (1.0, 0.0), (0.5, 0.5))[story[i]]
        shift = jitter[i]

        k = int(n_providers[i])
        providers = tuple(f"A{i + 1:03d}P{j + 1}" for j in range(k))
        drug = tuple([0.5] + [0.5 / (k - 1)] * (k - 1))
        alcohol = tuple([0.2 / (k - 1)] * (k - 1) + [0.8])
        success_low, success_high = (0.65, 1.40) if story[i] != 2 else (1.0, 1.0)
        success = (success_low, success_high) if story[i] == 0 else (success_high, success_low)
        early = (0.18, 0.08) if story[i] == 0 else (0.08, 0.18) if story[i] == 1 else (0.12, 0.12)
        s = int(n_suites[i])
        label = ("improving", "declining", "steady")[story[i]]
        dq = {1.0: "good", 2.5: "fair", 7.0: "poor"}[float(quality[i])]
        areas.append(
            _Area(
                code=f"E99{i + 1001:06d}",
                name=f"Area {i + 1:03d} (demo)",
                story=f"{label}; {dq} data quality",
                providers=providers,
                provider_mix=(drug, drug, drug, alcohol),
                cj_team=(1,) + (0,) * (k - 1),
                other_team=(0, 2) + (0,) * (k - 2),
                suites=tuple(f"A{i + 1:03d}S{j + 1}" for j in range(s)),
                suite_arrests=tuple(float(sizes[i] / 8.0 / (j + 1)) for j in range(s)),
                arrivals=float(sizes[i]),
                growth=(0.02, -0.03, 0.0)[story[i]],
                success=success,
                early=early,
                top_on_time=_pair(0.70, 0.93, start_at, end_at, shift[0]) if quality[i] < 5 else (0.55, 0.60),
                quality=float(quality[i]),
                correction=0.4 if quality[i] < 5 else 0.15,
                minority=float(minority[i]),
                test_rate=_pair(0.75, 0.93, start_at, end_at, shift[1]),
                ra_attendance=_pair(0.57, 0.83, start_at, end_at, shift[2]),
                dip_entry=_pair(0.43, 0.67, start_at, end_at, shift[3]),
                iom=(float(sizes[i] / 8), float(sizes[i] / 8 * (1.2 if story[i] == 0 else 0.85))),
                reoffending=tuple(round(100 * v, 1) for v in _pair(0.27, 0.39, end_at, start_at, shift[4])),
            )
        )
    return tuple(areas)


@dataclass(frozen=True)
class _Plan:
    areas: tuple[_Area, ...]
    quarters: tuple[_Quarter, ...]
    history_years: int

    @property
    def story_start(self) -> int:
        return self.quarters[0].window_start

    @property
    def story_end(self) -> int:
        return self.quarters[-1].end


def _plan(scale: str, seed: int) -> _Plan:
    if scale == "demo":
        return _Plan(_demo_areas(), _quarters(2021, 3, 20), history_years=12)
    if scale == "national":
        return _Plan(_national_areas(seed), _quarters(2016, 3, 40), history_years=12)
    raise ValueError(f"unknown demo scale {scale!r}: choose one of {', '.join(SCALES)}")


class _AreaArrays:
    """The partnerships' knobs as arrays indexed by partnership, for vectorised draws."""

    def __init__(self, plan: _Plan) -> None:
        areas = plan.areas
        n = len(areas)
        self.n = n
        self.code = pa.array([a.code for a in areas])
        self.arrivals = np.array([a.arrivals for a in areas])
        self.growth = np.array([a.growth for a in areas])
        self.quality = np.array([a.quality for a in areas])
        self.correction = np.array([a.correction for a in areas])
        self.pairs = {
            name: np.array([getattr(a, name) for a in areas])
            for name in ("success", "early", "top_on_time", "test_rate", "ra_attendance", "dip_entry")
        }
        width = max(len(a.providers) for a in areas)
        self.provider_mix = np.zeros((n, 4, width))
        self.provider_offset = np.zeros(n, dtype=np.int32)
        codes: list[str] = []
        cj_team: list[int] = []
        other_team: list[int] = []
        for i, a in enumerate(areas):
            self.provider_offset[i] = len(codes)
            codes.extend(a.providers)
            cj_team.extend(a.cj_team[: len(a.providers)])
            other_team.extend(a.other_team[: len(a.providers)])
            for g in range(4):
                weights = np.array(a.provider_mix[g][: len(a.providers)], dtype=float)
                self.provider_mix[i, g, : len(a.providers)] = weights / weights.sum()
        self.provider_code = pa.array(codes)
        self.provider_area = np.repeat(np.arange(n), [len(a.providers) for a in areas])
        self.cj_team = np.array(cj_team)
        self.other_team = np.array(other_team)
        ethnic = np.tile(_ETHNIC_BASE, (n, 1)) * np.array([a.minority for a in areas])[:, None]
        ethnic[:, 0] = 1.0 - ethnic.sum(axis=1)
        self.ethnic_mix = ethnic
        self.story_start = plan.story_start
        self.story_end = plan.story_end

    def trend(self, name: str, area: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The knob ``name`` for each row: its partnership's value on that day of the story."""
        t = np.clip((day - self.story_start) / (self.story_end - self.story_start), 0.0, 1.0)
        start, end = self.pairs[name][area, 0], self.pairs[name][area, 1]
        return start + (end - start) * t


# --- vectorised drawing -----------------------------------------------------------------------


def _draw_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row, row i drawn from the (not necessarily normalised) weights ``probs[i]``."""
    total = probs.sum(axis=1)
    u = rng.random(len(probs)) * total
    chosen = np.zeros(len(probs), dtype=np.int64)
    running = np.zeros(len(probs))
    for column in range(probs.shape[1] - 1):  # a handful of columns, each step over all rows
        running += probs[:, column]
        chosen += u >= running
    return chosen


# --- the simulated history --------------------------------------------------------------------


def _simulate_journeys(plan: _Plan, arrays: _AreaArrays, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every treatment journey of every client, with its true (eventual) outcome."""
    sim_start = plan.story_start - int(plan.history_years * 365.25)
    horizon = plan.story_end
    years = (horizon - sim_start) / 365.25
    story_years = (plan.story_end - plan.story_start) / 365.25

    # First presentations: a Poisson process whose rate follows each partnership's trend,
    # drawn at the highest rate and thinned.
    base_rate = arrays.arrivals * 0.78  # the rest of new journeys are re-presentations
    peak = base_rate * np.maximum(1.0, (1.0 + arrays.growth) ** story_years)
    counts = rng.poisson(peak * years)
    area = np.repeat(np.arange(arrays.n, dtype=np.int32), counts)
    triage = (sim_start + rng.random(area.size) * (horizon - sim_start + 1)).astype(np.int32)
    into_story = np.clip((triage - plan.story_start) / 365.25, 0.0, story_years)
    keep = rng.random(area.size) < base_rate[area] * (1.0 + arrays.growth[area]) ** into_story / peak[area]
    area, triage = area[keep], triage[keep]
    order = np.argsort((area.astype(np.int64) << 32) | triage, kind="stable")
    area, triage = area[order], triage[order]
    n_clients = area.size
    client = np.arange(n_clients, dtype=np.int32)

    # Client attributes that do not change between journeys.
    group = rng.choice(4, size=n_clients, p=_NEW_MIX).astype(np.int8)
    sex = _draw_rows(rng, _SEX_MIX[group]).astype(np.int8)
    ethnic = _draw_rows(rng, arrays.ethnic_mix[area]).astype(np.int8)
    first_age = np.clip(rng.normal(_AGE[group, 0], _AGE[group, 1]), 18, 95)
    first_triage = triage.copy()
    parent = rng.choice(_PRNTSTAT.size, size=n_clients, p=_PRNT_MIX).astype(np.int8)

    parts: list[dict[str, np.ndarray]] = []
    cur = {
        "client": client,
        "area": area,
        "triage": triage,
        "group": group,
        "after": np.full(n_clients, -1, dtype=np.int8),  # discharge reason of the previous journey
        "prev_provider": np.full(n_clients, -1, dtype=np.int32),
    }
    for _ in range(25):  # a client's 1st, 2nd, ... journey; each step is vectorised
        n = cur["client"].size
        if n == 0:
            break
        a, g, t0 = cur["area"], cur["group"], cur["triage"]

        # Provider: by substance group; a transfer goes to a different provider where there is one.
        weights = arrays.provider_mix[a, g].copy()
        moved = cur["prev_provider"] >= 0
        local_prev = cur["prev_provider"] - arrays.provider_offset[a]
        weights[moved, local_prev[moved]] *= np.where(cur["after"][moved] == 83, 0.0, 1.0)
        empty = weights.sum(axis=1) == 0
        weights[empty] = arrays.provider_mix[a[empty], g[empty]]
        provider = (arrays.provider_offset[a] + _draw_rows(rng, weights)).astype(np.int32)

        # Duration: some drop out before 12 weeks; some end right at 12 weeks or 6 months.
        u = rng.random(n)
        p_early = np.clip(arrays.trend("early", a, t0) * _EARLY_FACTOR[g], 0.0, 0.6)
        near_12wk = u < 0.035
        near_6m = (u >= 0.035) & (u < 0.06)
        early = (u >= 0.06) & (u < 0.06 + p_early * 0.94)
        long = np.exp(np.log(_DURATION_MEDIAN[g]) + _DURATION_SIGMA[g] * rng.standard_normal(n))
        duration = np.minimum(long, 30 * 365).astype(np.int32)
        duration = np.where(early, rng.integers(0, 84, size=n), duration)
        duration = np.where(near_12wk, rng.integers(81, 88, size=n), duration)
        duration = np.where(near_6m, rng.integers(178, 187, size=n), duration)
        disd = (t0 + duration).astype(np.int32)

        # Class of the discharge, and its reason.
        short = duration < 84
        base = np.where(short[:, None], _CLASS_SHORT[g], _CLASS_LONG[g])
        odds = arrays.trend("success", a, np.minimum(disd, horizon))
        p_s, p_t = base[:, 0], base[:, 1]
        p_u = 1.0 - p_s - p_t
        p_s = odds * p_s / (odds * p_s + p_u) * (1.0 - p_t)
        p_t = np.where(early, np.minimum(p_t, 0.03), p_t)
        p_s = np.where(early, np.minimum(p_s, 0.05), p_s)
        cls = _draw_rows(rng, np.stack([p_s, p_t, 1.0 - p_s - p_t], axis=1)).astype(np.int8)
        reason = np.select(
            [cls == _SUCCESS, cls == _TRANSFER],
            [_SUCCESS_REASONS[_draw_rows(rng, _SUCCESS_MIX[g])],
             _TRANSFER_REASONS[(rng.random(n) < 0.2).astype(int)]],
            _UNPLANNED_REASONS[_draw_rows(rng, _UNPLANNED_MIX[g])],
        ).astype(np.int8)
        declined = (cls == _UNPLANNED) & (duration < 14) & (rng.random(n) < 0.4)
        reason = np.where(declined, 88, reason).astype(np.int8)

        # Referral source: after a transfer in custody the next journey is referred from prison.
        rfls = _RFLS[_draw_rows(rng, _RFLS_MIX[g])]
        rfls = np.where(cur["after"] == 84, 13, rfls)
        rfls = np.where((cur["after"] == 83) & (rng.random(n) < 0.7), 1 + (rng.random(n) < 0.6), rfls)

        parts.append(
            {
                "client": cur["client"],
                "area": a,
                "provider": provider,
                "group": g,
                "triage": t0,
                "true_disd": disd,
                "reason": reason,
                "cls": cls,
                "rfls": rfls.astype(np.int8),
            }
        )

        # The next journey, if any: re-presentation, transfer, release from custody, re-engagement.
        p_next = np.select(
            [cls == _SUCCESS, reason == 83, reason == 84, reason == 89],
            [0.24, 0.80, 0.55, 0.0],
            0.42,
        )
        again = (rng.random(n) < p_next) & (disd < horizon)
        soon = rng.random(n) < 0.45
        gap = np.select(
            [cls == _SUCCESS, reason == 83, reason == 84],
            [np.where(soon, rng.integers(1, 183, size=n), rng.integers(183, 1800, size=n)),
             rng.integers(0, 15, size=n),
             rng.integers(30, 541, size=n)],
            14 + rng.exponential(420.0, size=n).astype(np.int64),
        )
        nxt = disd.astype(np.int64) + gap
        again &= nxt <= horizon
        keep_group = rng.random(n) < 0.8
        new_group = np.where(keep_group, g, rng.choice(4, size=n, p=_NEW_MIX)).astype(np.int8)
        cur = {
            "client": cur["client"][again],
            "area": a[again],
            "triage": nxt[again].astype(np.int32),
            "group": new_group[again],
            "after": reason[again],
            "prev_provider": provider[again],
        }

    j = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    # Keep what any extract can show: journeys open at some time from the first file's window.
    shown = (j["triage"] <= horizon) & (j["true_disd"] >= plan.story_start)
    j = {key: value[shown] for key, value in j.items()}
    # providers are numbered partnership by partnership, so this groups partnerships too
    order = np.argsort((j["provider"].astype(np.int64) << 32) | j["triage"], kind="stable")
    j = {key: value[order] for key, value in j.items()}
    n = j["client"].size
    c = j["client"]
    a, g = j["area"], j["group"]

    # Journey-level recording: age, codes, and what was not stated or not recorded.
    j["age"] = np.clip(first_age[c] + (j["triage"] - first_triage[c]) / 365.25, 18, 110).astype(np.int8)
    j["ethnic_true"] = ethnic[c]
    j["parent_true"] = parent[c]
    q = arrays.quality[a]
    j["sex"] = np.where(rng.random(n) < np.minimum(0.012 * q, 0.5), 3, sex[c]).astype(np.int8)  # 3 = '9'
    j["ethnic_z"] = rng.random(n) < np.minimum(0.03 * q, 0.6)
    j["parent_blank"] = rng.random(n) < np.minimum(0.035 * q, 0.6)
    j["refld_blank"] = rng.random(n) < np.minimum(0.03 * q, 0.6)
    j["drug_blank"] = rng.random(n) < np.minimum(0.012 * q, 0.5)
    j["inj_blank"] = rng.random(n) < np.minimum(0.03 * q, 0.6)
    # Codes not stated at first, corrected on a later day (so later extracts carry the fix).
    fix = rng.random(n) < arrays.correction[a]
    j["ethnic_fixed"] = np.where(fix & j["ethnic_z"], j["triage"] + rng.integers(20, 400, size=n), _NEVER)
    fix = rng.random(n) < arrays.correction[a]
    j["parent_fixed"] = np.where(fix & j["parent_blank"], j["triage"] + rng.integers(20, 400, size=n), _NEVER)
    drug = _draw_rows(rng, _DRUG_MIX[g]).astype(np.int8)
    j["drug"] = drug
    j["inj"] = _draw_rows(rng, _INJ_MIX[g]).astype(np.int8)
    j["refld"] = (j["triage"] - np.minimum(rng.geometric(0.12, size=n) - 1, 30)).astype(np.int32)
    cj = np.isin(j["rfls"], _CJ_CODES)
    team_draw = rng.random(n)
    team = np.where(cj & (team_draw < 0.75), arrays.cj_team[j["provider"]], 0)
    team = np.where(~cj & (team_draw < 0.12), arrays.other_team[j["provider"]], team)
    j["team"] = team.astype(np.int8)
    j["uk_dates"] = rng.random(n) < 0.01
    j["crack"] = drug == _CRACK

    # Identifiers: EPISODID numbered within each provider in order of triage.
    starts = np.flatnonzero(np.r_[True, j["provider"][1:] != j["provider"][:-1]])
    run = np.diff(np.r_[starts, n])
    j["episode_no"] = (np.arange(n) - np.repeat(starts, run) + 1).astype(np.int32)
    return j


def _about_binomial(rng: np.random.Generator, trials: int, p: np.ndarray) -> np.ndarray:
    """Whole numbers 0..trials near Binomial(trials, p): a rounded normal, much faster for millions."""
    mean = trials * p
    spread = np.sqrt(mean * (1.0 - p))
    return np.clip(np.rint(mean + spread * rng.standard_normal(p.shape)), 0, trials)


def _client_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """Distinct pseudonymous ids: 8 characters of base 32 of a scrambled client number."""
    alphabet = np.array(list("0123456789abcdefghjkmnpqrstvwxyz"))
    # Multiplying by an odd number modulo 2**40 maps distinct numbers to distinct numbers.
    multiplier = np.uint64(int(rng.integers(2**38, 2**39)) * 2 + 1)
    offset = np.uint64(int(rng.integers(0, 2**40)))
    scattered = (np.arange(n, dtype=np.uint64) * multiplier + offset) & np.uint64(2**40 - 1)
    shifts = np.arange(35, -1, -5, dtype=np.uint64)
    digits = (scattered[:, None] >> shifts[None, :]) & np.uint64(31)
    chars = np.ascontiguousarray(alphabet[digits.astype(np.int64)])
    return pa.array(chars.view("<U8").ravel())


def _simulate_tops(plan: _Plan, arrays: _AreaArrays, j: dict[str, np.ndarray],
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    """TOP forms: start near triage, reviews near each 6-month anniversary, exits, a few post-exit."""
    horizon = plan.story_end
    first = plan.quarters[0].start
    n = j["client"].size
    a = j["area"]
    end = j["true_disd"]
    open_to = np.minimum(end, horizon + 1)
    successful = (j["cls"] == _SUCCESS) & (end <= horizon)

    def timing(day: np.ndarray, area: np.ndarray) -> np.ndarray:
        """0 on time, 1 late, 2 missing, by partnership and date."""
        on_time = arrays.trend("top_on_time", area, day)
        u = rng.random(day.size)
        return np.where(u < on_time, 0, np.where(u < on_time + (1 - on_time) * 0.35, 1, 2))

    pieces = []
    # Start
    state = timing(j["triage"], a)
    date = j["triage"] + np.where(state == 0, rng.integers(0, 15, size=n), rng.integers(15, 61, size=n))
    ok = (state < 2) & (date < open_to)
    pieces.append((np.flatnonzero(ok), date[ok], 0))
    # Reviews: one per 182-day anniversary while the journey is open (none long before the files).
    last_k = np.maximum((open_to - 1 - j["triage"]) // 182, 0)
    first_k = np.maximum(-((j["triage"] - first + 90) // 182), 1)
    count = np.maximum(last_k - first_k + 1, 0)
    idx = np.repeat(np.arange(n), count)
    k = np.arange(idx.size) - np.repeat(np.cumsum(count) - count, count) + first_k[idx]
    anniversary = j["triage"][idx] + 182 * k
    state = timing(anniversary, a[idx])
    date = anniversary + np.where(state == 0, rng.integers(-28, 29, size=idx.size), rng.integers(29, 76, size=idx.size))
    ok = (state < 2) & (date < open_to[idx])
    pieces.append((idx[ok], date[ok], 1))
    # Exit, at a successful discharge
    idx = np.flatnonzero(successful)
    state = timing(end[idx], a[idx])
    date = end[idx] - np.where(state == 0, rng.integers(0, 11, size=idx.size), rng.integers(15, 46, size=idx.size))
    date = np.maximum(date, j["triage"][idx])
    ok = state < 2
    pieces.append((idx[ok], date[ok], 2))
    # Post-exit, occasionally
    idx = np.flatnonzero(successful & (rng.random(n) < 0.06))
    pieces.append((idx, end[idx] + rng.integers(30, 201, size=idx.size), 3))

    journey = np.concatenate([p[0] for p in pieces])
    date = np.concatenate([p[1] for p in pieces]).astype(np.int32)
    stage = np.concatenate([np.full(p[0].size, p[2], dtype=np.int8) for p in pieces])
    keep = (date >= first) & (date <= horizon)
    journey, date, stage = journey[keep], date[keep], stage[keep]
    # One integer key (partnership, date, journey, stage), unique per form, sorts much faster than lexsort.
    if n >= 2**25:
        raise ValueError("too many journeys for the TOP sort key")
    key = (a[journey].astype(np.int64) << 48) | (date.astype(np.int64) << 28) | (journey.astype(np.int64) << 3) | stage
    order = np.argsort(key)
    journey, date, stage = journey[order], date[order], stage[order]
    m = journey.size
    area = a[journey]
    starts = np.flatnonzero(np.r_[True, area[1:] != area[:-1]])
    run = np.diff(np.r_[starts, m])
    top_no = (np.arange(m) - np.repeat(starts, run) + 1).astype(np.int32)

    # Answers: use falls and wellbeing rises from start to exit; a person's level persists.
    g = j["group"][journey]
    better = np.array([0.0, 0.45, 0.85, 0.7])[stage]
    person = rng.gamma(2.0, 0.5, size=m)
    base_use = np.stack(
        [
            np.array([0.55, 0.01, 0.01, 0.0])[g],
            np.where(j["crack"][journey], 0.45, np.array([0.22, 0.03, 0.03, 0.0])[g]),
            np.array([0.12, 0.15, 0.45, 0.70])[g],
            np.where(j["inj"][journey] == _INJ_CURRENT, 0.5, 0.0),
        ],
        axis=1,
    )
    p_use = np.clip(base_use * person[:, None] * (1 - better)[:, None], 0, 1)
    zero = rng.random((m, 4)) < np.array([0.10, 0.45, 0.25, 0.2])
    use = np.where(zero, 0, _about_binomial(rng, 28, p_use))
    p_well = np.clip(0.42 + 0.22 * better[:, None] + rng.normal(0, 0.1, size=(m, 3)), 0.02, 0.98)
    wellbeing = _about_binomial(rng, 20, p_well)
    housing = _draw_rows(rng, np.array([[.10, .15, .75], [.07, .12, .81], [.04, .10, .86], [.05, .10, .85]])[stage]) + 1
    blank = rng.random((m, 8)) < np.minimum(0.02 * arrays.quality[area], 0.4)[:, None]
    uk = rng.random(m) < 0.005
    return {
        "journey": journey, "date": date, "stage": stage, "top_no": top_no, "area": area,
        "use": use.astype(np.int8), "wellbeing": wellbeing.astype(np.int8),
        "housing": housing.astype(np.int8), "blank": blank, "uk": uk,
    }


def _simulate_dip(plan: _Plan, arrays: _AreaArrays, rng: np.random.Generator) -> dict[str, np.ndarray | pa.Array]:
    """Monthly custody-suite counts in which every part stays within its whole."""
    suite_area = np.concatenate([np.full(len(a.suites), i) for i, a in enumerate(plan.areas)])
    suite_size = np.concatenate([np.array(a.suite_arrests) for a in plan.areas])
    suite_no = np.concatenate([np.arange(len(a.suites)) for a in plan.areas])
    months = np.array([np.datetime64(m, "M") for q in plan.quarters for m in q.months])
    s_idx, m_idx = np.meshgrid(np.arange(suite_area.size), np.arange(months.size), indexing="ij")
    s_idx, m_idx = s_idx.ravel(), m_idx.ravel()
    area = suite_area[s_idx]
    day = np.array([_epoch_day(m) + 14 for m in months])[m_idx]
    n = s_idx.size
    season = 1.0 + 0.08 * np.cos(2 * np.pi * (months.astype(np.int64) % 12 - 6) / 12)[m_idx]
    arrests = rng.poisson(suite_size[s_idx] * season)
    tests = rng.binomial(arrests, arrays.trend("test_rate", area, day)) + rng.poisson(suite_size[s_idx] * 0.04)
    positive = rng.multinomial(tests, [0.08, 0.22, 0.13, 0.57])
    ra_required = rng.binomial(positive[:, :3].sum(axis=1), 0.85)
    ra_attended = rng.binomial(ra_required, arrays.trend("ra_attendance", area, day))
    fua_required = rng.binomial(ra_attended, 0.45)
    fua_attended = rng.binomial(fua_required, 0.7)
    # The last suite of a partnership with several does not return follow-up figures; others miss a few.
    fua_blank = ((suite_no[s_idx] > 0) & (suite_no[s_idx] == np.array([len(a.suites) - 1 for a in plan.areas])[area])) | (
        rng.random(n) < 0.04
    )
    referred = rng.binomial(ra_attended, 0.42)
    entered = rng.binomial(referred, arrays.trend("dip_entry", area, day))
    suite_codes = pa.array([s for a in plan.areas for s in a.suites])
    return {
        "suite": s_idx, "month": m_idx, "area": area, "month_labels": pa.array([str(m) for m in months]),
        "suite_codes": suite_codes,
        "counts": np.stack([arrests, tests, positive[:, 0], positive[:, 1], positive[:, 2], ra_required,
                            ra_attended, fua_required, fua_attended, referred, entered], axis=1),
        "fua_blank": fua_blank,
    }


# --- writing ----------------------------------------------------------------------------------

_WRITE = pacsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=65_536)


def _write(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, str(path), write_options=_WRITE)


def _ints(values: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int32), mask=blank)


class _DateText:
    """Dates as text, ISO or UK form, by lookup rather than formatting each row."""

    def __init__(self, first: int, last: int) -> None:
        days = np.arange(first, last + 1).astype("datetime64[D]")
        iso = days.astype(str).tolist()
        uk = [f"{s[8:10]}/{s[5:7]}/{s[0:4]}" for s in iso]  # one per calendar day, not per row
        self.first = first
        self.size = len(iso)
        self.text = pa.array(iso + uk)

    def __call__(self, days: np.ndarray, *, uk: np.ndarray | None = None, blank: np.ndarray | None = None) -> pa.Array:
        index = (np.asarray(days, dtype=np.int64) - self.first).astype(np.int32)
        if uk is not None:
            index = index + np.where(uk, self.size, 0).astype(np.int32)
        if blank is not None:
            index = np.where(blank, 0, index)
        return self.text.take(pa.array(index, mask=blank))


def _lookup(values: tuple[str, ...], index: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    return pa.array(values).take(pa.array(np.asarray(index, dtype=np.int32), mask=blank))


def _journeys_table(j: dict[str, np.ndarray], text: dict[str, pa.Array], dates: _DateText,
                    arrays: _AreaArrays, quarter: _Quarter) -> pa.Table:
    """The journeys extract for one quarter: open in its 12 months, as known at its end."""
    rows = np.flatnonzero((j["triage"] <= quarter.end) & (j["true_disd"] >= quarter.window_start))
    pick = pa.array(rows)

    def col(key: str) -> np.ndarray:
        return j[key][rows]

    discharged = col("true_disd") <= quarter.end
    ethnic = np.where(col("ethnic_z") & (col("ethnic_fixed") > quarter.end), _ETHNIC_Z, col("ethnic_true"))
    parent_blank = col("parent_blank") & (col("parent_fixed") > quarter.end)
    uk = col("uk_dates")
    team = col("team")
    columns = {
        "DAT": arrays.code.take(pa.array(col("area"))),
        "AGNCY": arrays.provider_code.take(pa.array(col("provider"))),
        "TEAM": _lookup(_TEAMS, team, team == 0),
        "CLIENTID": text["client"].take(pa.array(col("client"))),
        "EPISODID": text["episode"].take(pick),
        "AGE": _ints(col("age")),
        "SEX": _ints(_SEX[col("sex")]),
        "ETHNIC": _lookup(_ETHNIC, ethnic),
        "SUBGRP": _lookup(_SUBGROUPS, col("group")),
        "DRUG1": _lookup(_DRUGS, col("drug"), col("drug_blank")),
        "RFLS": _ints(col("rfls")),
        "REFLD": dates(col("refld"), uk=uk, blank=col("refld_blank")),
        "TRIAGED": dates(col("triage"), uk=uk),
        "DISD": dates(np.where(discharged, col("true_disd"), quarter.end), uk=uk, blank=~discharged),
        "DISRSN": _ints(col("reason"), ~discharged),
        "PRNTSTAT": _ints(_PRNTSTAT[col("parent_true")], parent_blank),
        "INJSTAT": _lookup(_INJSTAT, col("inj"), col("inj_blank")),
    }
    return pa.table(columns)


def _tops_table(t: dict[str, np.ndarray], j: dict[str, np.ndarray], text: dict[str, pa.Array],
                dates: _DateText, arrays: _AreaArrays, quarter: _Quarter) -> pa.Table:
    """The TOPs extract for one quarter: every form dated in it."""
    rows = np.flatnonzero((t["date"] >= quarter.start) & (t["date"] <= quarter.end))
    journey = t["journey"][rows]
    pick = pa.array(journey)
    blank = t["blank"][rows]
    use, wellbeing = t["use"][rows], t["wellbeing"][rows]
    columns = {
        "DAT": arrays.code.take(pa.array(t["area"][rows])),
        "AGNCY": arrays.provider_code.take(pa.array(j["provider"][journey])),
        "CLIENTID": text["client"].take(pa.array(j["client"][journey])),
        "EPISODID": text["episode"].take(pick),
        "TOPID": text["top"].take(pa.array(rows)),
        "TOPDATE": dates(t["date"][rows], uk=t["uk"][rows]),
        "TRSTAGE": _lookup(_TOP_STAGES, t["stage"][rows]),
    }
    for k, name in enumerate(("OPIUSE", "CRAUSE", "ALCUSE", "INJECT")):
        columns[name] = _ints(use[:, k], blank[:, k])
    for k, name in enumerate(("PHSTAT", "PSYHSTAT", "QUALLIFE")):
        columns[name] = _ints(wellbeing[:, k], blank[:, 4 + k])
    columns["HOUSING"] = _ints(t["housing"][rows], blank[:, 7])
    return pa.table(columns)


def _dip_table(d: dict, arrays: _AreaArrays, month_numbers: np.ndarray) -> pa.Table:
    rows = np.flatnonzero(np.isin(d["month"], month_numbers))
    counts = d["counts"][rows]
    fua_blank = d["fua_blank"][rows]
    columns = {
        "DAT": arrays.code.take(pa.array(d["area"][rows])),
        "SUITE": d["suite_codes"].take(pa.array(d["suite"][rows])),
        "MONTH": d["month_labels"].take(pa.array(d["month"][rows])),
    }
    for k, name in enumerate(_DIP_COLUMNS[3:]):
        blank = fua_blank if name.startswith("FUA_") else None
        columns[name] = _ints(counts[:, k], blank)
    return pa.table(columns)


def _indicators_table(plan: _Plan, rng: np.random.Generator) -> pa.Table:
    """England benchmarks for the dashboard's measures, and each partnership's IOM figures."""
    nq = len(plan.quarters)
    labels = [q.label for q in plan.quarters]
    t = np.linspace(0.0, 1.0, nq)
    ids = [m[0] for m in _ENGLAND]
    start = np.array([m[1] for m in _ENGLAND])[:, None]
    end = np.array([m[2] for m in _ENGLAND])[:, None]
    size = np.array([m[3] for m in _ENGLAND], dtype=float)[:, None]
    denominator = np.rint(size * (1.0 + 0.06 * t) * (1 + rng.normal(0, 0.004, size=(len(ids), nq)))).astype(np.int64)
    value = start + (end - start) * t + rng.normal(0, 0.0025, size=(len(ids), nq))
    numerator = np.rint(denominator * value).astype(np.int64)
    england = {
        "AREA_CODE": ["E92000001"] * (len(ids) * nq),
        "AREA_NAME": ["England"] * (len(ids) * nq),
        "INDICATOR": np.repeat(ids, nq).tolist(),
        "INDICATOR_NAME": [None] * (len(ids) * nq),
        "PERIOD": labels * len(ids),
        "NUMERATOR": numerator.ravel(),
        "DENOMINATOR": denominator.ravel(),
        "VALUE": np.full(len(ids) * nq, np.nan),
        "UNIT": ["proportion"] * (len(ids) * nq),
    }

    # IOM cohort each quarter and re-offending each complete financial year, per partnership.
    na = len(plan.areas)
    codes = [a.code for a in plan.areas]
    names = [a.name for a in plan.areas]
    iom = np.array([a.iom for a in plan.areas])
    cohort = np.rint((iom[:, :1] + (iom[:, 1:] - iom[:, :1]) * t) * rng.normal(1, 0.03, size=(na, nq)))
    years = sorted({q.label[:7] for q in plan.quarters})[:-1]  # the last year is not complete
    ny = len(years)
    ty = np.linspace(0.0, 1.0, ny)
    reoff = np.array([a.reoffending for a in plan.areas])
    rate = np.round(reoff[:, :1] + (reoff[:, 1:] - reoff[:, :1]) * ty + rng.normal(0, 0.6, size=(na, ny)), 1)
    areas = {
        "AREA_CODE": np.repeat(codes, nq).tolist() + np.repeat(codes, ny).tolist(),
        "AREA_NAME": np.repeat(names, nq).tolist() + np.repeat(names, ny).tolist(),
        "INDICATOR": ["iom_cohort"] * (na * nq) + ["reoffending_iom"] * (na * ny),
        "INDICATOR_NAME": ["Integrated Offender Management cohort size"] * (na * nq)
        + ["Re-offending rate of the IOM cohort"] * (na * ny),
        "PERIOD": labels * na + years * na,
        "NUMERATOR": np.zeros(na * (nq + ny), dtype=np.int64),
        "DENOMINATOR": np.zeros(na * (nq + ny), dtype=np.int64),
        "VALUE": np.r_[cohort.ravel(), rate.ravel()],
        "UNIT": ["count"] * (na * nq) + ["percent"] * (na * ny),
    }
    n_england, n_areas = len(ids) * nq, na * (nq + ny)
    has_counts = np.r_[np.ones(n_england, bool), np.zeros(n_areas, bool)]
    value = np.r_[england["VALUE"], areas["VALUE"]]
    columns = {
        "AREA_CODE": pa.array(england["AREA_CODE"] + areas["AREA_CODE"]),
        "AREA_NAME": pa.array(england["AREA_NAME"] + areas["AREA_NAME"]),
        "INDICATOR": pa.array(england["INDICATOR"] + areas["INDICATOR"]),
        "INDICATOR_NAME": pa.array(england["INDICATOR_NAME"] + areas["INDICATOR_NAME"], pa.string()),
        "PERIOD": pa.array(england["PERIOD"] + areas["PERIOD"]),
        "NUMERATOR": pa.array(np.r_[england["NUMERATOR"], areas["NUMERATOR"]], mask=~has_counts),
        "DENOMINATOR": pa.array(np.r_[england["DENOMINATOR"], areas["DENOMINATOR"]], mask=~has_counts),
        "VALUE": pa.array(value, mask=has_counts),
        "UNIT": pa.array(england["UNIT"] + areas["UNIT"]),
        "LOWER_CI": pa.nulls(n_england + n_areas, pa.float64()),
        "UPPER_CI": pa.nulls(n_england + n_areas, pa.float64()),
    }
    return pa.table(columns)


# The local indicators of the plans the product was conceived from (see data/targets.toml, which
# declares them and sets their targets): Norfolk's custody numbers, Haringey's females re-entering
# custody, Oxfordshire's hepatitis C testing and needle sharing among homeless clients. Each
# partnership's figures move the way its story does (improving partnerships get better).
LOCAL_INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("custody_numbers", "People brought into police custody", "count"),
    ("females_custody", "Females re-entering custody", "count"),
    ("hepc_tested", "Hepatitis C testing of people who inject drugs", "proportion"),
    ("needle_sharing", "Needle sharing among homeless clients who inject", "proportion"),
)


def _local_indicators_table(plan: _Plan, rng: np.random.Generator) -> pa.Table:
    """Each partnership's local indicators: custody numbers each quarter, females re-entering custody
    each financial year, hepatitis C testing each quarter and needle sharing each year (both with
    numerators and denominators, so they have 95% limits and funnel plots)."""
    quarters = [q.label for q in plan.quarters]
    years = sorted({q.label[:7] for q in plan.quarters})[:-1]  # the last year is not complete
    tq, ty = np.linspace(0.0, 1.0, len(quarters)), np.linspace(0.0, 1.0, len(years))
    rows: dict[str, list[object]] = {k: [] for k in ("AREA_CODE", "AREA_NAME", "INDICATOR", "INDICATOR_NAME",
                                                     "PERIOD", "NUMERATOR", "DENOMINATOR", "VALUE", "UNIT")}

    def add(area: _Area, ident: str, periods: list[str], numerator: np.ndarray | None,
            denominator: np.ndarray | None, value: np.ndarray | None, unit: str) -> None:
        name = next(n for i, n, _ in LOCAL_INDICATORS if i == ident)
        for k, period in enumerate(periods):
            rows["AREA_CODE"].append(area.code)
            rows["AREA_NAME"].append(area.name)
            rows["INDICATOR"].append(ident)
            rows["INDICATOR_NAME"].append(name)
            rows["PERIOD"].append(period)
            rows["NUMERATOR"].append(None if numerator is None else int(numerator[k]))
            rows["DENOMINATOR"].append(None if denominator is None else int(denominator[k]))
            rows["VALUE"].append(None if value is None else float(value[k]))
            rows["UNIT"].append(unit)

    for area in plan.areas:
        improving = area.test_rate[1] > area.test_rate[0] + 0.02
        declining = area.test_rate[1] < area.test_rate[0] - 0.02
        drift = -1.0 if improving else 1.0 if declining else 0.0  # which way the bad figures go
        custody_start = 3.0 * sum(area.suite_arrests) * 1.6
        custody = np.rint(custody_start * (1 + 0.14 * drift * tq) * rng.normal(1, 0.02, len(quarters)))
        add(area, "custody_numbers", quarters, None, None, custody, "count")
        females_start = max(area.iom[0] * 0.28, 6.0)
        females = np.rint(females_start * (1 + 0.3 * drift * ty) * rng.normal(1, 0.04, len(years)))
        add(area, "females_custody", years, None, None, females, "count")
        eligible = np.rint(area.arrivals * 0.09 * rng.normal(1, 0.05, len(quarters))).astype(np.int64)
        tested_p = np.clip(0.62 - 0.2 * drift * tq + rng.normal(0, 0.015, len(quarters)), 0.05, 0.98)
        tested = rng.binomial(eligible, tested_p)
        add(area, "hepc_tested", quarters, tested, eligible, None, "proportion")
        homeless = np.rint(area.arrivals * 0.15 * rng.normal(1, 0.05, len(years))).astype(np.int64)
        sharing_p = np.clip(0.14 + 0.07 * drift * ty, 0.01, 0.9)
        sharing = rng.binomial(homeless, sharing_p)
        add(area, "needle_sharing", years, sharing, homeless, None, "proportion")
    return pa.table({
        "AREA_CODE": pa.array(rows["AREA_CODE"]),
        "AREA_NAME": pa.array(rows["AREA_NAME"]),
        "INDICATOR": pa.array(rows["INDICATOR"]),
        "INDICATOR_NAME": pa.array(rows["INDICATOR_NAME"]),
        "PERIOD": pa.array(rows["PERIOD"]),
        "NUMERATOR": pa.array(rows["NUMERATOR"], pa.int64()),
        "DENOMINATOR": pa.array(rows["DENOMINATOR"], pa.int64()),
        "VALUE": pa.array(rows["VALUE"], pa.float64()),
        "UNIT": pa.array(rows["UNIT"]),
        "LOWER_CI": pa.nulls(len(rows["UNIT"]), pa.float64()),
        "UPPER_CI": pa.nulls(len(rows["UNIT"]), pa.float64()),
    })


def _identifiers(j: dict[str, np.ndarray], t: dict[str, np.ndarray], arrays: _AreaArrays,
                 rng: np.random.Generator) -> dict[str, pa.Array]:
    """CLIENTID, EPISODID and TOPID text for every simulated row, built once."""
    agency = arrays.provider_code.take(pa.array(j["provider"]))
    number = pc.utf8_lpad(pc.cast(pa.array(j["episode_no"]), pa.string()), width=6, padding="0")
    episode = pc.binary_join_element_wise(agency, number, "-")
    top = pc.binary_join_element_wise(
        pa.array(np.full(t["top_no"].size, "T")),
        pc.utf8_lpad(pc.cast(pa.array(t["top_no"]), pa.string()), width=7, padding="0"),
        "",
    )
    return {"client": _client_ids(rng, int(j["client"].max()) + 1), "episode": episode, "top": top}


def write_demo_extracts(out_dir: Path, *, scale: str = "demo", seed: int = DEFAULT_SEED) -> list[DemoFile]:
    """Write synthetic extracts of every kind into ``out_dir`` and list them in loading order.

    ``scale="demo"`` writes the three partnerships of :data:`DEMO_PARTNERSHIPS` for the 20
    quarters ``2021-22 Q3`` to ``2026-27 Q2``: one journeys, TOPs and DIP file per quarter
    (e.g. ``journeys_2024-25_Q3.csv``), one ``indicators.csv`` and one ``local_indicators.csv``. ``scale="national"`` writes
    about 150 fictional partnerships for 40 quarters from ``2016-17 Q3``, about 600,000
    journeys a quarterly file, for trying the product at England's size.

    The files are returned oldest quarter first (journeys, then TOPs, then DIP within a
    quarter) with the two indicator files last, the order in which to load them. The same scale
    and seed always give byte-identical files; existing files of the same names are replaced.
    """
    plan = _plan(scale, seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    arrays = _AreaArrays(plan)

    journeys = _simulate_journeys(plan, arrays, np.random.default_rng([seed, 1]))
    tops = _simulate_tops(plan, arrays, journeys, np.random.default_rng([seed, 2]))
    dip = _simulate_dip(plan, arrays, np.random.default_rng([seed, 3]))
    text = _identifiers(journeys, tops, arrays, np.random.default_rng([seed, 4]))
    first_day = int(min(journeys["refld"].min(), journeys["triage"].min())) - 1
    dates = _DateText(first_day, plan.story_end + 1)

    files: list[DemoFile] = []
    for number, quarter in enumerate(plan.quarters):
        path = out_dir / f"journeys_{quarter.slug}.csv"
        _write(_journeys_table(journeys, text, dates, arrays, quarter), path)
        files.append(DemoFile(path, "journeys", quarter.label))
        path = out_dir / f"tops_{quarter.slug}.csv"
        _write(_tops_table(tops, journeys, text, dates, arrays, quarter), path)
        files.append(DemoFile(path, "tops", quarter.label))
        path = out_dir / f"dip_{quarter.slug}.csv"
        _write(_dip_table(dip, arrays, np.arange(3 * number, 3 * number + 3)), path)
        files.append(DemoFile(path, "dip", quarter.label))
    path = out_dir / "indicators.csv"
    _write(_indicators_table(plan, np.random.default_rng([seed, 5])), path)
    files.append(DemoFile(path, "indicators", None))
    path = out_dir / "local_indicators.csv"
    _write(_local_indicators_table(plan, np.random.default_rng([seed, 6])), path)
    files.append(DemoFile(path, "indicators", None))
    return files


def load_demo(
    store: Store,
    *,
    out_dir: Path,
    scale: str = "demo",
    seed: int | None = None,
    measure_ids: Iterable[str] = (),
    on_change: OnChange | None = None,
) -> list[LoadResult]:
    """Write the demo extracts into ``out_dir`` and load each one, in order, marked as demo data.

    Every file goes through the same checks as a user's upload, with its kind and quarter
    stated. ``measure_ids`` are the dashboard's measure ids: the England benchmark rows use
    them without an indicator name, as published files do. Returns one result per file; a
    rejected file does not stop the others. ``on_change`` runs once, after the last file, for
    every partnership loaded: recomputing after each of the 62 files would only redo the same work.
    """
    from loaders.load import load_file  # the loader is needed only here, not to write files

    files = write_demo_extracts(Path(out_dir), scale=scale, seed=DEFAULT_SEED if seed is None else seed)
    ids = tuple(measure_ids)
    results = [
        load_file(store, data=f.path.read_bytes(), file_name=f.path.name, kind=f.kind, period=f.period,
                  is_demo=True, measure_ids=ids)
        for f in files
    ]
    touched = tuple(sorted({p for r in results if r.status == "loaded" and r.kind != "indicators"
                            for p in r.partnerships}))
    if on_change is not None and touched:
        with store.transaction():
            on_change(store, touched)
    return results
