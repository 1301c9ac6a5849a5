"""Targets of every kind and every status; the file's validation; the default file."""

from __future__ import annotations

import pandas as pd
import pytest

from loaders.periods import Quarter
from metrics.registry import measure_ids
from metrics.targets import (
    DEFAULT_TARGETS,
    TargetsError,
    apply_targets,
    load_targets,
    parse_targets,
    standing,
)

Q = Quarter.parse


def test_default_file_holds_the_plans_targets() -> None:
    targets = load_targets(DEFAULT_TARGETS)
    by_measure = {t.measure: t for t in targets.targets}
    assert by_measure["bme_share"].value == 0.17
    assert by_measure["top_compliance"].value == 0.86
    assert (by_measure["effective_treatment"].kind, by_measure["effective_treatment"].change) == ("change", 0.02)
    assert by_measure["successful_exits_share"].value == 0.40
    opi = by_measure["completions_opiate"]
    assert (opi.start_value, opi.end_value, str(opi.end_period)) == (0.09, 0.15, "2026-27 Q4")
    non = by_measure["completions_non_opiate"]
    assert (non.start_value, non.end_value) == (0.46, 0.53)
    assert by_measure["retention_12wk"].value == 0.81
    assert by_measure["data_quality"].value == 0.98
    assert by_measure["parental_status_recorded"].value == 0.90
    assert by_measure["top_exits"].change == 0.20
    # The plans' local indicators: declared (polarity never guessed) and given targets.
    local = {"iom_cohort", "reoffending_iom", "females_custody", "custody_numbers", "hepc_tested", "needle_sharing"}
    assert set(by_measure) <= set(measure_ids()) | local and local <= set(by_measure)
    declared = {d.id: d.polarity for d in targets.indicators}
    assert declared == {"iom_cohort": "up", "reoffending_iom": "down", "females_custody": "down",
                        "custody_numbers": "down", "hepc_tested": "up", "needle_sharing": "down"}
    iom = by_measure["iom_cohort"]
    assert (iom.area, iom.kind, iom.start_value, iom.end_value, str(iom.end_period)) == (
        "E99000101", "trajectory", 70, 310, "2025-26 Q3")
    assert (by_measure["reoffending_iom"].change, by_measure["females_custody"].change) == (-0.12, -0.054)
    assert (by_measure["needle_sharing"].value, by_measure["needle_sharing"].polarity) == (0.12, "down")
    assert [(g.name, g.areas) for g in targets.groups] == [
        ("Demo partnerships", ("E99000101", "E99000102", "E99000103"))]


def test_level_statuses_and_cases_needed() -> None:
    """17% target, amber margin 2% relative: amber down to 16.66%."""
    s = standing(kpi="bme_share", value=0.17, numerator=17, denominator=100, target=0.17)
    assert (s.status, s.needed) == ("green", 0)
    s = standing(kpi="bme_share", value=0.167, numerator=167, denominator=1000, target=0.17)
    assert s.status == "amber" and s.needed == 3 and s.gap == pytest.approx(-0.003)
    s = standing(kpi="bme_share", value=0.15, numerator=15, denominator=100, target=0.17)
    assert (s.status, s.needed) == ("red", 2)
    s = standing(kpi="bme_share", value=None, numerator=0, denominator=0, target=0.17)
    assert s.status == "grey" and s.gap is None
    assert standing(kpi="bme_share", value=0.2, numerator=2, denominator=10, target=None).status == "grey"


def test_down_measures_gap_is_negative_when_worse() -> None:
    """Re-presentations: lower is better. 12/100 against at most 10%: 2 fewer cases needed."""
    s = standing(kpi="representations", value=0.12, numerator=12, denominator=100, target=0.10)
    assert s.status == "red" and s.gap == pytest.approx(-0.02) and s.needed == 2
    s = standing(kpi="representations", value=0.1019, numerator=1019, denominator=10000, target=0.10)
    assert s.status == "amber"


def test_count_needed() -> None:
    s = standing(kpi="effective_treatment", value=1000, numerator=1000, denominator=None, target=1020.4)
    assert (s.status, s.needed) == ("amber", 21)


def test_trajectory_is_the_point_on_the_line() -> None:
    t = parse_targets('''
[[target]]
measure = "completions_opiate"
kind = "trajectory"
start_period = "2022-23 Q4"
start_value = 0.09
end_period = "2026-27 Q4"
end_value = 0.15
''').targets[0]
    assert t.level_for(Q("2022-23 Q4"), None) == pytest.approx(0.09)
    assert t.level_for(Q("2024-25 Q4"), None) == pytest.approx(0.12)  # half way, 8 of 16 quarters
    assert t.level_for(Q("2023-24 Q1"), None) == pytest.approx(0.09 + 0.06 / 16)
    assert t.level_for(Q("2027-28 Q2"), None) == pytest.approx(0.15)  # the end value holds
    assert t.level_for(Q("2022-23 Q3"), None) is None  # before the line starts


def test_change_target_uses_the_year_before() -> None:
    targets = parse_targets('[[target]]\nmeasure = "effective_treatment"\nkind = "change"\nchange = 0.02\n')
    rows = pd.DataFrame([{"kpi": "effective_treatment", "area": "X1", "breakdown": "", "group": "",
                          "period": "2024-25 Q3", "numerator": 1010, "denominator": None, "value": 1010.0}])
    previous = pd.DataFrame([{"kpi": "effective_treatment", "area": "X1", "breakdown": "", "group": "",
                              "period": "2024-25 Q3", "value": 1000.0}])
    out = apply_targets(rows, targets=targets, previous=previous).iloc[0]
    assert out["target"] == pytest.approx(1020.0)
    assert out["status"] == "amber"  # 1010 >= 1020 * 0.98
    assert out["needed"] == 10
    no_prev = apply_targets(rows, targets=targets, previous=None).iloc[0]
    assert no_prev["status"] == "grey"


def test_most_specific_target_wins() -> None:
    targets = parse_targets('''
[[target]]
measure = "retention_12wk"
kind = "level"
value = 0.81
[[target]]
measure = "retention_12wk"
area = "E99000101"
kind = "level"
value = 0.85
[[target]]
measure = "retention_12wk"
area = "E99000101"
provider = "NVR01"
kind = "level"
value = 0.90
''')
    find = targets.for_row
    assert find(kpi="retention_12wk", area="E99000102", breakdown="", group="", period=Q("2024-25 Q1")).value == 0.81
    assert find(kpi="retention_12wk", area="E99000101", breakdown="", group="", period=Q("2024-25 Q1")).value == 0.85
    assert find(kpi="retention_12wk", area="E99000101", breakdown="provider", group="NVR01",
                period=Q("2024-25 Q1")).value == 0.90
    assert find(kpi="retention_12wk", area="E99000101", breakdown="provider", group="NVR02",
                period=Q("2024-25 Q1")).value == 0.85


def test_validation_lists_every_problem() -> None:
    text = '''
amber_margin = -1
[[target]]
measure = "no_such_measure"
kind = "level"
value = 0.5
[[target]]
measure = "bme_share"
area = "E00000000"
kind = "level"
value = 17
[[target]]
measure = "completions_opiate"
kind = "trajectory"
start_period = "2026-27 Q4"
start_value = 0.09
end_period = "2022-23 Q4"
end_value = 0.15
[[target]]
measure = "retention_12wk"
kind = "level"
from = "2024-25 Q7"
[[target]]
measure = "data_quality"
kind = "sideways"
'''
    with pytest.raises(TargetsError) as caught:
        parse_targets(text, known_areas={"E99000101"})
    message = str(caught.value)
    for expected in (
        "amber_margin must be a number of 0 or more",
        "Target 1 (no_such_measure): unknown measure or indicator 'no_such_measure'",
        "Target 2 (bme_share): unknown partnership 'E00000000'",
        "Target 2 (bme_share): value 17 is not a proportion: write 17% as 0.17.",
        "Target 3 (completions_opiate): the trajectory ends (2022-23 Q4) before it starts (2026-27 Q4).",
        "Target 4 (retention_12wk): from: '2024-25 Q7' is not a quarter",
        "Target 4 (retention_12wk): a level target needs 'value'.",
        "Target 5 (data_quality): kind must be one of level, change, trajectory, not 'sideways'.",
    ):
        assert expected in message


def test_periods_limit_a_target() -> None:
    targets = parse_targets('[[target]]\nmeasure = "bme_share"\nkind = "level"\nvalue = 0.17\n'
                            'from = "2024-25 Q1"\nto = "2024-25 Q4"\n')
    assert targets.for_row(kpi="bme_share", area="A", breakdown="", group="", period=Q("2023-24 Q4")) is None
    assert targets.for_row(kpi="bme_share", area="A", breakdown="", group="", period=Q("2024-25 Q2")) is not None


def test_user_targets_file_from_environment(tmp_path, monkeypatch) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[target]]\nmeasure = "bme_share"\nkind = "level"\nvalue = 0.2\n')
    monkeypatch.setenv("KPI_TARGETS", str(path))
    assert load_targets().targets[0].value == 0.2
    with pytest.raises(TargetsError, match="cannot be read"):
        load_targets(tmp_path / "missing.toml")
