"""The measure windows: 12 calendar months (never 365 days), shifted windows, the data end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from loaders.load import withdraw_upload
from loaders.store import Store
from metrics.periods import (
    PeriodError,
    Quarter,
    Window,
    data_end,
    parse_quarter,
    quarter_index,
    quarter_range,
    twelve_months_ending,
    window,
)
from tests.conftest import DIP_HEADER, JOURNEY_HEADER, csv_text, load_text

JOURNEY = "E08000001,P1,,c1,EP1,30,1,A,OPI,HEROIN,4,2024-05-01,2024-05-01,,,14,N"


@pytest.mark.parametrize(
    ("label", "start", "end", "days"),
    [
        ("2024-25 Q3", date(2024, 1, 1), date(2024, 12, 31), 366),  # 2024 is a leap year
        ("2023-24 Q4", date(2023, 4, 1), date(2024, 3, 31), 366),  # holds 2024-02-29
        ("2022-23 Q4", date(2022, 4, 1), date(2023, 3, 31), 365),
        ("2024-25 Q1", date(2023, 7, 1), date(2024, 6, 30), 366),
        ("2025-26 Q2", date(2024, 10, 1), date(2025, 9, 30), 365),
    ],
)
def test_window_is_twelve_calendar_months(label: str, start: date, end: date, days: int) -> None:
    w = window(parse_quarter(label))
    assert w == Window(Quarter.parse(label), start, end)
    assert (w.end - w.start).days + 1 == days


def test_twelve_months_ending_any_day() -> None:
    assert twelve_months_ending(date(2024, 10, 8)) == (date(2023, 10, 9), date(2024, 10, 8))  # kpis.md's example
    assert twelve_months_ending(date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))
    assert twelve_months_ending(date(2025, 2, 28)) == (date(2024, 2, 29), date(2025, 2, 28))
    assert twelve_months_ending(date(2024, 12, 17)) == (date(2023, 12, 18), date(2024, 12, 17))


def test_shifted_windows_of_a_quarter() -> None:
    """For E = 2024-12-31: E - 84 = 2024-10-08, E - 14 = 2024-12-17, E - 28 = 2024-12-03, E + 182 = 2025-07-01."""
    w = window(Quarter(2024, 3))
    assert w.retention_cohort == (date(2023, 10, 9), date(2024, 10, 8))
    assert w.top_due == (date(2023, 12, 18), date(2024, 12, 17))
    assert w.review_bounds == (date(2024, 1, 1), date(2024, 12, 3))
    assert w.look_ahead_end == date(2025, 7, 1)
    assert w.completions_provisional(date(2025, 6, 30))
    assert not w.completions_provisional(date(2025, 7, 1))
    assert w.completions_provisional(None)
    # E = 2024-03-31: E - 84 = 2024-01-07, whose 12 months start 2023-01-08.
    assert window(Quarter(2023, 4)).retention_cohort == (date(2023, 1, 8), date(2024, 1, 7))


def test_quarter_parsing_is_reexported() -> None:
    assert parse_quarter("2024-25 Q3") == Quarter(2024, 3)
    with pytest.raises(PeriodError):
        parse_quarter("2024 Q3")


def test_data_end_and_quarter_range_follow_active_uploads(store: Store) -> None:
    assert data_end(store, "E08000001") is None
    assert quarter_range(store, "E08000001") == []
    load_text(store, csv_text(JOURNEY_HEADER, JOURNEY), period="2024-25 Q1")
    dip = load_text(store, csv_text(DIP_HEADER, "E08000001,CS1,2024-10,1,1,0,0,0,0,0,,,0,0"), period="2024-25 Q3")
    assert data_end(store, "E08000001") == date(2024, 12, 31)
    assert [q.label for q in quarter_range(store, "E08000001")] == ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3"]
    assert data_end(store, "E09999999") is None
    withdraw_upload(store, upload_id=dip.upload_id)
    assert data_end(store, "E08000001") == date(2024, 6, 30)
    assert [q.label for q in quarter_range(store, "E08000001")] == ["2024-25 Q1"]


def test_quarter_index_numbers_quarters_as_the_sql_does() -> None:
    """metrics/sql/treatment.sql numbers the quarter of a day as (year * 12 + month - 4) // 3."""
    assert quarter_index(Quarter(2024, 1)) == 8096
    assert quarter_index(Quarter(2024, 4)) == quarter_index(Quarter(2025, 1)) - 1
    day = date(2019, 1, 1)
    while day <= date(2026, 12, 31):
        assert quarter_index(Quarter.containing(day)) == (day.year * 12 + day.month - 4) // 3, day
        day = day.replace(day=28) + timedelta(days=5)
