"""Published figures read as the product's own (issue 12): a partnership with only downloads gets a
scorecard; a computed figure stands over a published one and the published one is shown beside it;
every uploaded figure has confidence limits; areas are named."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from loaders.load import load_file
from loaders.periods import Quarter
from loaders.store import Store
from metrics import __main__ as cli
from metrics import reports
from metrics.published import with_limits
from metrics.registry import measure_ids
from metrics.results import refresh_results
from metrics.statistics import byar_limits, wilson_limits
from metrics.targets import TargetSet, load_targets
from tests.conftest import FIXTURES, INDICATOR_HEADER, SAMPLES, csv_text, load_text

DOWNLOADS = FIXTURES / "downloads"
BARNET, ENGLAND = "E09000003", "E92000001"
NO_TARGETS = TargetSet(())


def _load(store: Store, path: Path) -> None:
    result = load_file(store, data=path.read_bytes(), file_name=path.name, measure_ids=measure_ids(),
                       on_change=refresh_results)
    assert result.status == "loaded", result.problems


@pytest.fixture
def viewit(store: Store) -> Store:
    _load(store, DOWNLOADS / "ndtms_viewit_LAs_2012-14_sample.csv")
    _load(store, DOWNLOADS / "ndtms_viewit_England.csv")
    return store


def _row(card: pd.DataFrame, kpi: str) -> pd.Series:
    rows = card[card["kpi"] == kpi]
    assert len(rows) == 1, kpi
    return rows.iloc[0]


def test_a_partnership_with_only_downloads_gets_a_scorecard(viewit: Store) -> None:
    """Barnet 2012/13 from ViewIt: in treatment 1,315 (Byar's limits), completions 255 of 1,225 (Wilson's),
    BME share 290 of 1,255 against England's 23,241 of 283,942 from the England export, each marked with
    the upload that published it."""
    assert [q.label for q in reports.quarters(viewit, area=BARNET)] == ["2012-13 Q4", "2013-14 Q4"]
    card = reports.scorecard(viewit, area=BARNET, period=Quarter.parse("2012-13 Q4"), targets=load_targets())
    treatment = _row(card, "in_treatment")
    assert (treatment["numerator"], treatment["value"]) == (1315, 1315)
    assert (treatment["lower95"], treatment["upper95"]) == byar_limits(1315)
    assert treatment["source"] == "viewit: ndtms_viewit_LAs_2012-14_sample.csv (upload 1)"
    assert (treatment["window_start"], treatment["window_end"]) == ("2012-04-01", "2013-03-31")
    completions = _row(card, "completions_all")
    assert (completions["numerator"], completions["denominator"]) == (255, 1225)
    assert (completions["lower95"], completions["upper95"]) == wilson_limits(255, 1225)
    bme = _row(card, "bme_share")
    assert bme["value"] == 290 / 1255 and bme["benchmark"] == 23241 / 283942
    assert bme["benchmark_comparison"] == "better"  # England's 8.2% is below Barnet's whole interval
    assert bme["status"] in ("green", "amber", "red")  # the 17% target applies to published figures too
    assert set(card["source"]) == {"viewit: ndtms_viewit_LAs_2012-14_sample.csv (upload 1)"}


def test_barnet_is_named_and_listed(viewit: Store) -> None:
    areas = reports.areas(viewit)
    assert dict(zip(areas["area"], areas["name"], strict=True))[BARNET] == "Barnet"
    comparators = reports.comparators(viewit)
    assert comparators.iloc[0].tolist() == [ENGLAND, "England"]


@pytest.fixture
def samples_with_published(store: Store) -> Store:
    for name in ("journeys.csv", "tops.csv", "dip.csv", "indicators.csv"):
        _load(store, SAMPLES / name)
    rows = ["E08000999,Northvale,in_treatment,,2024-25 Q2,,,7,count,,",
            "E08000999,Northvale,effective_treatment_rate,,12m to 2024-09-30,2,5,,proportion,,"]
    assert load_text(store, csv_text(INDICATOR_HEADER, *rows), on_change=refresh_results).status == "loaded"
    return store


def test_the_computed_figure_stands_and_the_published_one_is_beside_it(samples_with_published: Store) -> None:
    """The samples give 5 in treatment and 3 of 5 effective at 2024-25 Q2; an upload says 7 and 2 of 5.
    The scorecard shows ours; the series carries theirs beside it, and the Trajectories sentence gives the
    difference."""
    store = samples_with_published
    q2 = Quarter.parse("2024-25 Q2")
    card = reports.scorecard(store, area="E08000999", period=q2, targets=NO_TARGETS)
    assert _row(card, "in_treatment")["value"] == 5 and _row(card, "in_treatment")["source"] == "computed"
    data = reports.series(store, kpi="effective_treatment_rate", area="E08000999", targets=NO_TARGETS)
    latest = data[data["period"] == "2024-25 Q2"].iloc[0]
    assert (latest["value"], latest["published_value"]) == (0.6, 0.4)
    assert latest["published_source"] == "indicators: upload.csv (upload 5)"
    text = reports.published_beside(data, period=q2)
    assert text.startswith("Our figure 60.0%, the indicators upload published 40.0% (indicators: upload.csv "
                           "(upload 5)): a difference of +20.0 pp for 2024-25 Q2.")
    assert reports.published_beside(data, period=Quarter.parse("2024-25 Q1")) is None


def test_england_uploaded_as_counts_gets_its_limits(samples_with_published: Store) -> None:
    """The sample indicators give England's effective treatment rate for 2017-18 as 245,581 of 268,390 with
    no limits: it is the benchmark for 2017-18 Q4, with Wilson's limits."""
    card = reports.scorecard(samples_with_published, area=ENGLAND, period=Quarter.parse("2017-18 Q4"),
                             targets=NO_TARGETS)
    rate = _row(card, "effective_treatment_rate")
    assert (rate["lower95"], rate["upper95"]) == wilson_limits(245581, 268390)
    assert (rate["lower998"], rate["upper998"]) == wilson_limits(245581, 268390, confidence=0.998)


def test_limits_of_uploaded_figures_by_unit() -> None:
    """Published limits stay; a proportion gets Wilson's, a rate per 100,000 Byar's over the denominator
    times 100,000, a count Byar's; a value with nothing behind it, none."""
    frame = pd.DataFrame([
        {"kpi": "x1", "numerator": 20, "denominator": 100, "value": 0.2, "unit": "proportion",
         "lower95": 0.1, "upper95": 0.3},
        {"kpi": "x2", "numerator": 20, "denominator": 100, "value": 0.2, "unit": "proportion"},
        {"kpi": "x3", "numerator": 50, "denominator": 10000, "value": 500, "unit": "per 100,000"},
        {"kpi": "x4", "numerator": None, "denominator": None, "value": 136, "unit": "count"},
        {"kpi": "x5", "numerator": None, "denominator": None, "value": 31.5, "unit": "value"},
    ])
    out = with_limits(frame)
    assert (out.loc[0, "lower95"], out.loc[0, "upper95"]) == (0.1, 0.3)
    assert (out.loc[1, "lower95"], out.loc[1, "upper95"]) == wilson_limits(20, 100)
    low, high = byar_limits(50)
    assert (out.loc[2, "lower95"], out.loc[2, "upper95"]) == (low * 10, high * 10)
    assert (out.loc[3, "lower95"], out.loc[3, "upper95"]) == byar_limits(136)
    assert out.loc[4, ["lower95", "upper95"]].isna().all()


def test_series_of_a_fingertips_indicator_from_the_command_line(store: Store,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`series --kpi ft_93517 --area E06000001`: the two published years of Hartlepool, with the indicator's
    name and source, the published limits as proportions."""
    _load(store, DOWNLOADS / "fingertips_93517_unmet_opiates.csv")
    store.close()
    import os

    assert cli.main(["series", "--kpi", "ft_93517", "--area", "E06000001", "--db", os.environ["KPI_DB"],
                     "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["period"] for r in rows] == ["2019-20", "2020-21"]
    assert rows[0]["name"] == ("Proportion of opiates and/or crack cocaine users (i.e. OCU) not in treatment (%)")
    assert rows[0]["source"] == "fingertips: fingertips_93517_unmet_opiates.csv (upload 1)"
    assert (rows[0]["value"], rows[0]["lower95"], rows[0]["upper95"]) == (0.4877014419, 0.4039473682, 0.5905084746)
    assert (rows[0]["numerator"], rows[0]["denominator"]) == (575, 1179)
