"""UK financial years and quarters, parsed and printed one way everywhere.

The year runs April to March: ``2024-25`` is 2024-04-01 to 2025-03-31, ``2024-25 Q1`` is
April-June 2024 and ``2024-25 Q4`` is January-March 2025. Every label the product prints or
reads goes through :class:`Quarter` or :func:`parse_indicator_period`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2})\s*Q\s*([1-4])\s*$", re.IGNORECASE)
_YEAR_RE = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2})\s*$")
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")
_ROLLING_RE = re.compile(r"^\s*12m to (\d{4}-\d{2}-\d{2})\s*$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period label that is not one of the forms the product understands."""


def _check_year_pair(start_year: int, end_two: int, text: str) -> None:
    if (start_year + 1) % 100 != end_two:
        raise PeriodError(
            f"'{text}' is not a financial year: the second part must be the year after the first "
            f"(e.g. {start_year}-{(start_year + 1) % 100:02d})"
        )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (or earlier), clipped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = month_end(date(year, month, 1)).day
    return date(year, month, min(day.day, last))


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - timedelta(days=1)


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter: ``year`` is the calendar year the financial year starts in."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise PeriodError(f"quarter number must be 1 to 4, not {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read a label such as ``2024-25 Q3``."""
        match = _QUARTER_RE.match(text or "")
        if not match:
            raise PeriodError(f"'{text}' is not a quarter; write it like 2024-25 Q3")
        start, end_two, number = int(match[1]), int(match[2]), int(match[3])
        _check_year_pair(start, end_two, text)
        return cls(start, number)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The financial quarter holding ``day``."""
        fy = day.year if day.month >= 4 else day.year - 1
        return cls(fy, (day.month - 4) % 12 // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d} Q{self.number}"

    @property
    def financial_year(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        return month_end(add_months(self.start, 2))

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.number - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    def __str__(self) -> str:
        return self.label


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive, oldest first."""
    out: list[Quarter] = []
    current = first
    while current <= last:
        out.append(current)
        current = current.shift(1)
    return out


@dataclass(frozen=True)
class IndicatorPeriod:
    """A period of a published indicator, at its own grain.

    ``kind`` is ``quarter`` (a financial quarter), ``year`` (a financial year), ``calendar_year``,
    ``month``, ``rolling`` (the 12 months to a day) or ``range`` (several years, as published:
    ``2016 - 18``, ``2017/18 - 19/20``).
    """

    label: str
    kind: str
    start: date
    end: date

    @property
    def twelve_months(self) -> bool:
        """Whether the period is 12 calendar months (a year, financial or calendar, or a rolling year)."""
        return add_months(self.start, 12) - timedelta(days=1) == self.end

    @property
    def quarter(self) -> Quarter | None:
        """The quarter whose rolling 12 months this period is (a year or rolling year ending at a quarter
        end), or the quarter it is; None for months and ranges."""
        if self.kind == "quarter" or (self.twelve_months and Quarter.containing(self.end).end == self.end):
            return Quarter.containing(self.end)
        return None


_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
# Fingertips' and ViewIt's own forms: 2018/19 (a financial year, as above), 2015, 2016 - 18, 2017/18 - 19/20,
# 2020 Q1 (a calendar quarter), Apr 2020.
_CALENDAR_YEAR_RE = re.compile(r"^\s*(\d{4})\s*$")
_CALENDAR_RANGE_RE = re.compile(r"^\s*(\d{4})\s*-\s*(\d{2}|\d{4})\s*$")
_FINANCIAL_RANGE_RE = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2})\s*-\s*(\d{2}|\d{4})\s*[/-]\s*(\d{2})\s*$")
_CALENDAR_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*Q\s*([1-4])\s*$", re.IGNORECASE)
_NAMED_MONTH_RE = re.compile(r"^\s*([A-Za-z]{3,9})\.?\s+(\d{4})\s*$")


def _full_year(start: int, text: str) -> int:
    """The year written as 2 or 4 digits after ``start`` in a range (18 after 2016 is 2018)."""
    if len(text) == 4:
        return int(text)
    year = start // 100 * 100 + int(text)
    return year + 100 if year < start and start % 100 > 80 else year


def parse_indicator_period(text: str) -> IndicatorPeriod:
    """Read a period of a published indicator.

    The product's own forms: ``2024-25 Q3`` (quarter), ``2024-25`` (financial year), ``2024-11``
    (month), ``12m to 2024-12-31`` (rolling year). And the forms Fingertips and NDTMS ViewIt
    publish, normalised to the product's labels where it has one: ``2018/19`` is the financial
    year ``2018-19``, ``2019/20 Q3`` the quarter ``2019-20 Q3``, ``2020 Q1`` (January to March) the
    quarter ``2019-20 Q4``, ``Apr 2020`` the month ``2020-04``, ``2015`` the calendar year; ranges
    (``2016 - 18``, ``2017/18 - 19/20``) keep their published label and their own length.
    """
    raw = " ".join((text or "").split())
    if _QUARTER_RE.match(raw):
        q = Quarter.parse(raw)
        return IndicatorPeriod(q.label, "quarter", q.start, q.end)
    match = _YEAR_RE.match(raw)
    # '2024-25' is a financial year and '2024-11' a month; '2011-12' reads as the financial year.
    if match and (int(match[1]) + 1) % 100 == int(match[2]):
        start, end_two = int(match[1]), int(match[2])
        label = f"{start}-{end_two:02d}"
        return IndicatorPeriod(label, "year", date(start, 4, 1), date(start + 1, 3, 31))
    if match and "/" in raw:
        _check_year_pair(int(match[1]), int(match[2]), raw)
    match = _MONTH_RE.match(raw)
    if match:
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"'{raw}' is not a month: the month must be 01 to 12")
        first = date(year, month, 1)
        return IndicatorPeriod(f"{year}-{month:02d}", "month", first, month_end(first))
    match = _ROLLING_RE.match(raw)
    if match:
        try:
            end = date.fromisoformat(match[1])
        except ValueError as exc:
            raise PeriodError(f"'{raw}': {match[1]} is not a real date") from exc
        start = add_months(end, -12) + timedelta(days=1)
        return IndicatorPeriod(f"12m to {end.isoformat()}", "rolling", start, end)
    match = _CALENDAR_YEAR_RE.match(raw)
    if match:
        year = int(match[1])
        return IndicatorPeriod(str(year), "calendar_year", date(year, 1, 1), date(year, 12, 31))
    match = _CALENDAR_QUARTER_RE.match(raw)
    if match:
        year, number = int(match[1]), int(match[2])
        q = Quarter.containing(date(year, 3 * number, 1))
        return IndicatorPeriod(q.label, "quarter", q.start, q.end)
    match = _NAMED_MONTH_RE.match(raw)
    if match and match[1].lower() in _MONTHS:
        first = date(int(match[2]), _MONTHS[match[1].lower()], 1)
        return IndicatorPeriod(f"{first.year}-{first.month:02d}", "month", first, month_end(first))
    match = _CALENDAR_RANGE_RE.match(raw)
    if match:
        first, last = int(match[1]), _full_year(int(match[1]), match[2])
        if first < last <= first + 20:
            return IndicatorPeriod(raw, "range", date(first, 1, 1), date(last, 12, 31))
    match = _FINANCIAL_RANGE_RE.match(raw)
    if match:
        first, last = int(match[1]), _full_year(int(match[1]), match[3])
        _check_year_pair(first, int(match[2]), raw)
        _check_year_pair(last, int(match[4]), raw)
        if first < last <= first + 20:
            return IndicatorPeriod(raw, "range", date(first, 4, 1), date(last + 1, 3, 31))
    raise PeriodError(
        f"'{raw}' is not a period; write a quarter (2024-25 Q3), a financial year (2024-25 or 2024/25), "
        "a month (2024-11), a rolling year (12m to 2024-12-31), a calendar year (2015) or a range of "
        "years (2016 - 18)"
    )


def recent_quarter_labels(*, today: date | None = None, count: int = 24) -> list[str]:
    """The labels of the latest ``count`` quarters up to today's, newest first (for choosers)."""
    latest = Quarter.containing(today or date.today())
    return [latest.shift(-i).label for i in range(count)]
