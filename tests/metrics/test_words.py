"""How the metrics layer puts figures into words for the pages and the board pack."""

from __future__ import annotations

import pandas as pd

from metrics.periods import Quarter
from metrics.registry import measure
from metrics.reports import describe_latest, headline


def test_a_change_in_a_proportion_is_in_percentage_points() -> None:
    m = measure("completions_opiate")
    assert m.format(0.0612) == "6.1%"
    assert m.format(-0.081, signed=True) == "-8.1 pp"
    assert m.format(0.01, signed=True) == "+1.0 pp"
    assert measure("effective_treatment").format(15, signed=True) == "+15"


def _series(needed: float, denominator: float = 2000.0) -> pd.DataFrame:
    row = {"kpi": "completions_opiate", "period": "2026-27 Q2", "value": 0.05, "window_end": "2026-09-30",
           "target": 0.06, "gap": -0.01, "needed": needed, "status": "red", "provisional": False,
           "numerator": 100.0, "denominator": denominator, "spc_variation": "common cause",
           "spc_assurance": "", "spc_provisional": False}
    return pd.DataFrame([row])


def test_the_latest_reading_writes_the_date_in_words_and_counts_cases_properly() -> None:
    many = describe_latest(_series(needed=20), period=Quarter.parse("2026-27 Q2"))
    assert "12 months to 30 September 2026" in many.reading
    assert "2026-09-30" not in many.reading
    assert "takes 20 more cases at the current denominator of 2,000" in many.reading
    assert "case(s)" not in many.reading
    assert many.gap_text == "-1.0 pp"
    one = describe_latest(_series(needed=1), period=Quarter.parse("2026-27 Q2"))
    assert "takes 1 more case at" in one.reading


def test_a_headline_names_the_comparator() -> None:
    card = pd.DataFrame([{"kpi": "bme_share", "value": 0.107, "target": None, "status": "grey",
                          "target_text": "", "benchmark": 0.15, "benchmark_comparison": "lower",
                          "numerator": 107.0, "denominator": 1000.0}])
    line = headline(card, kpi="bme_share", comparator_name="England")
    assert line.caption.startswith("England 15.0% (lower)")
    assert "benchmark" not in line.caption


def test_a_headline_without_a_figure_says_so_instead_of_0_of_0() -> None:
    card = pd.DataFrame([{"kpi": "toa_test_rate", "value": None, "target": None, "status": "grey",
                          "target_text": "", "benchmark": 0.9, "benchmark_comparison": "not compared",
                          "numerator": 0.0, "denominator": 0.0}])
    line = headline(card, kpi="toa_test_rate", comparator_name="England")
    assert line.value_text == "no data"
    assert line.caption == "No figure for this quarter."
    card = card.assign(target=0.86, target_text="at least 86%")
    assert headline(card, kpi="toa_test_rate").caption == "No figure for this quarter; the target is at least 86%."
