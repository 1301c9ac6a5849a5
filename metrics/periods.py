"""The windows every measure is counted over, worked out in one place.

A measure reported for a quarter looks back over the rolling 12 months to that quarter's end
E: the window W = [S, E], where S is the day after E's date 12 *calendar* months earlier (never
365 days, so the 12 months to 2024-03-31 start on 2023-04-01 and hold 366 days). Some measures
shift that year back (journeys starting in the 12 months ending 84 days before E, for 12-week
retention) or stop short of E (six-month reviews due up to 28 days before E), and successful
completions wait 182 days after E to know whether anybody came back.

Quarters themselves come from :mod:`loaders.periods` and are re-exported here, so the rest of
``metrics`` imports periods from one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from loaders.periods import PeriodError, Quarter, add_months, month_end, quarters_between
from loaders.store import Store

__all__ = [
    "EFFECTIVE_DAYS", "LONG_TERM_DAYS", "REPRESENTATION_DAYS", "REVIEW_INTERVAL_DAYS", "REVIEW_TOLERANCE_DAYS",
    "TOP_TOLERANCE_DAYS", "PeriodError", "Quarter", "Window", "add_months", "data_end", "data_ends",
    "month_end", "parse_quarter", "quarter_index", "quarter_range", "quarter_ranges", "quarters_between", "twelve_months_ending",
    "window",
]

EFFECTIVE_DAYS = 84  # 12 weeks: effective treatment and 12-week retention
TOP_TOLERANCE_DAYS = 14  # start and exit TOPs are due within 14 days either side
REVIEW_INTERVAL_DAYS = 182  # a review TOP is due every 6 months (182 days) from triage
REVIEW_TOLERANCE_DAYS = 28  # ... within 28 days either side of the anniversary
REPRESENTATION_DAYS = 182  # coming back within 6 months undoes a successful completion
LONG_TERM_DAYS = 1461  # 4 years, leap day included


def parse_quarter(text: str) -> Quarter:
    """Read a quarter label such as ``2024-25 Q3`` (raises :class:`PeriodError` otherwise)."""
    return Quarter.parse(text)


def quarter_index(quarter: Quarter) -> int:
    """Consecutive quarters as consecutive whole numbers (``2024-25 Q1`` is 8096), for joins in SQL."""
    return quarter.year * 4 + quarter.number - 1


def twelve_months_ending(day: date) -> tuple[date, date]:
    """The 12 calendar months ending ``day``: from the day after its date a year earlier, to ``day``.

    The 12 months ending 2024-10-08 run from 2023-10-09; ending 2024-02-29, from 2023-03-01
    (a year before a leap day is the last day of February).
    """
    return add_months(day, -12) + timedelta(days=1), day


@dataclass(frozen=True)
class Window:
    """The rolling 12 months W = [start, end] a quarter's figures are counted over."""

    quarter: Quarter
    start: date
    end: date

    def twelve_months_ending_days_before(self, days: int) -> tuple[date, date]:
        """The 12 months ending ``days`` days before E (calendar months, whole days)."""
        return twelve_months_ending(self.end - timedelta(days=days))

    @property
    def retention_cohort(self) -> tuple[date, date]:
        """Journeys starting here are judged on 12-week retention: the 12 months ending E - 84."""
        return self.twelve_months_ending_days_before(EFFECTIVE_DAYS)

    @property
    def top_due(self) -> tuple[date, date]:
        """Start and exit TOPs are expected for triages / discharges here: the 12 months ending E - 14."""
        return self.twelve_months_ending_days_before(TOP_TOLERANCE_DAYS)

    @property
    def review_bounds(self) -> tuple[date, date]:
        """Six-month anniversaries falling here expect a review TOP: [S, E - 28]."""
        return self.start, self.end - timedelta(days=REVIEW_TOLERANCE_DAYS)

    @property
    def look_ahead_end(self) -> date:
        """E + 182: the day by which a re-presentation after a discharge in W must be known."""
        return self.end + timedelta(days=REPRESENTATION_DAYS)

    def completions_provisional(self, data_end: date | None) -> bool:
        """True while the data do not yet reach 182 days past E, so completions may still fall."""
        return data_end is None or self.look_ahead_end > data_end


def window(quarter: Quarter) -> Window:
    """The rolling 12 months to the end of ``quarter``."""
    start, end = twelve_months_ending(quarter.end)
    return Window(quarter, start, end)


_AREA_PERIODS = """
    SELECT area, min(period_end) AS first_end, max(period_end) AS last_end
    FROM (
        SELECT unnest(partnerships) AS area, period_end
        FROM uploads
        WHERE withdrawn_at IS NULL AND period_end IS NOT NULL
    )
    WHERE list_contains(?, area)
    GROUP BY area
"""


def quarter_ranges(store: Store, areas: tuple[str, ...]) -> dict[str, tuple[Quarter, Quarter]]:
    """For each partnership with active uploads: its earliest and latest reporting quarter."""
    return {
        area: (Quarter.containing(first), Quarter.containing(last))
        for area, first, last in store.rows(_AREA_PERIODS, [list(areas)])
    }


def quarter_range(store: Store, area: str) -> list[Quarter]:
    """Every quarter from the partnership's earliest to its latest uploaded reporting period."""
    found = quarter_ranges(store, (area,)).get(area)
    return quarters_between(*found) if found else []


def data_ends(store: Store, areas: tuple[str, ...]) -> dict[str, date]:
    """The data end date of each partnership: the latest reporting-period end of its active uploads."""
    return {area: last for area, _first, last in store.rows(_AREA_PERIODS, [list(areas)])}


def data_end(store: Store, area: str) -> date | None:
    """The latest reporting-period end covered by the partnership's active uploads (None without any)."""
    return data_ends(store, (area,)).get(area)
