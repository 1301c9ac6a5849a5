"""The pandas reference (bench/pandas_reference.py) against the product's SQL, and both against hand-worked figures.

The reference is an independent implementation of effective_treatment and completions_opiate: when it
agrees with the ``results`` table on the demo data, the product's SQL is checked against a second
reading of kpis.md, not only against its own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bench.floor import floor_measures
from bench.pandas_reference import compare, product_figures, reference_measures
from loaders.demo import load_demo
from loaders.store import Store, open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import JOURNEY_HEADER, csv_text, load_text

DAT = "E08000001"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo data (3 partnerships, 20 quarters) loaded through the real loader, results refreshed."""
    folder = tmp_path_factory.mktemp("demo")
    store = open_store(folder / "demo.duckdb")
    results = load_demo(store, out_dir=folder / "extracts", measure_ids=measure_ids(), on_change=refresh_results)
    assert all(r.status == "loaded" for r in results)
    yield store
    store.close()


def test_reference_agrees_with_the_product_on_the_demo_data(demo_store: Store) -> None:
    reference = reference_measures(demo_store).figures
    comparison = compare(reference, product_figures(demo_store))
    assert comparison.compared == 2 * 3 * 20
    assert comparison.mismatches.empty, comparison.mismatches.head(10).to_string()
    assert comparison.agrees
    # Not vacuous: the figures are real counts, and completions have numerators below their denominators.
    opiate = reference[reference["kpi"] == "completions_opiate"]
    assert (opiate["denominator"] > 100).all()
    assert ((opiate["numerator"] > 0) & (opiate["numerator"] < opiate["denominator"])).all()


def test_a_figure_that_differs_is_reported(demo_store: Store) -> None:
    reference = reference_measures(demo_store, areas=("E99000101",)).figures
    product = product_figures(demo_store)
    product = product[product["area"] == "E99000101"].copy()
    changed = product.index[(product["kpi"] == "completions_opiate")][3]
    product.loc[changed, "denominator"] += 1
    dropped = product.index[(product["kpi"] == "effective_treatment")][0]
    product = product.drop(index=dropped)
    mismatches = compare(reference, product).mismatches
    assert len(mismatches) == 2
    assert set(mismatches["present"]) == {"both", "reference only"}
    row = mismatches[mismatches["present"] == "both"].iloc[0]
    assert row["kpi"] == "completions_opiate"
    assert row["denominator_product"] == row["denominator_reference"] + 1


def journey(client: str, episode: str, triaged: str, disd: str = "", disrsn: str = "", *,
            subgrp: str = "OPI") -> str:
    return ",".join((DAT, "P1", "", client, episode, "30", "1", "A", subgrp, "", "4", triaged, triaged, disd,
                     disrsn, "14", "N"))


def test_reference_and_product_both_give_the_hand_worked_figures(store: Store, tmp_path: Path) -> None:
    """2024-25 Q3: W = 2024-01-01 to 2024-12-31.

    c1 OPI 2024-03-01 to 05-24 successful (84 days): effective, completed.
    c2 OPI successful 03-01 after 29 days (effective), back at 08-30 = DISD + 182: re-presented.
    c3 the same, back at 08-31 = DISD + 183: not a re-presentation, completed.
    c4 NOPI open from 06-01: effective, not in the opiate denominator.
    c5 OPI open from 10-15: 77 days to E, not effective. c9 OPI open from 10-08: 84 days, effective.
    c6 discharged 2023-12-31, the day before S: not in treatment.
    c7 open in the Q3 file; an older Q2 file loaded afterwards says discharged unplanned 02-01: the Q3
       version stays current, so c7 is effective (22 days if the backfill won).
    c8 OPI 01-05 to 06-01 successful, then ALC from 09-01: the latest journey makes c8 alcohol.
    effective_treatment = c1 c2 c3 c4 c7 c8 c9 = 7; opiate clients c1 c2 c3 c5 c7 c9 = 6, completed c1 c3 = 2.
    """
    q3 = csv_text(
        JOURNEY_HEADER,
        journey("c1", "e1", "2024-03-01", "2024-05-24", "80"),
        journey("c2", "e2", "2024-02-01", "2024-03-01", "80"),
        journey("c2", "e2b", "2024-08-30"),
        journey("c3", "e3", "2024-02-01", "2024-03-01", "80"),
        journey("c3", "e3b", "2024-08-31"),
        journey("c4", "e4", "2024-06-01", subgrp="NOPI"),
        journey("c5", "e5", "2024-10-15"),
        journey("c9", "e9", "2024-10-08"),
        journey("c6", "e6", "2023-06-01", "2023-12-31", "80"),
        journey("c7", "e7", "2024-01-10"),
        journey("c8", "e8", "2024-01-05", "2024-06-01", "80"),
        journey("c8", "e8b", "2024-09-01", subgrp="ALC"),
    )
    q2 = csv_text(JOURNEY_HEADER, journey("c7", "e7", "2024-01-10", "2024-02-01", "85"))
    for text, period in ((q3, "2024-25 Q3"), (q2, "2024-25 Q2")):
        result = load_text(store, text, period=period, on_change=refresh_results)
        assert result.status == "loaded", (result.message, result.problems)

    reference = reference_measures(store).figures.set_index(["kpi", "period"])
    assert reference.loc[("effective_treatment", "2024-25 Q3"), "numerator"] == 7
    assert tuple(reference.loc[("completions_opiate", "2024-25 Q3"), ["numerator", "denominator"]]) == (2, 6)
    comparison = compare(reference.reset_index(), product_figures(store))
    assert comparison.compared == 2 * 2  # two measures, quarters 2024-25 Q2 and Q3
    assert comparison.mismatches.empty, comparison.mismatches.to_string()
    floor = compare(reference.reset_index(), floor_measures(store).figures)
    assert floor.compared == 2 * 2
    assert floor.mismatches.empty, floor.mismatches.to_string()


def test_quarter_windows_are_twelve_calendar_months() -> None:
    from bench.pandas_reference import quarters

    found = quarters(pd.Timestamp("2023-12-31"), pd.Timestamp("2024-03-31"))
    assert list(found["period"]) == ["2023-24 Q3", "2023-24 Q4"]
    assert list(found["S"]) == [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-04-01")]
    assert list(found["E"]) == [pd.Timestamp("2023-12-31"), pd.Timestamp("2024-03-31")]


def test_reference_counts_a_completion_not_followed_by_re_presentation_even_if_a_later_one_is(
        store: Store) -> None:
    """kpis.md: a client completes with "a journey discharged successfully in W who then did not re-present".

    c1 completes 2024-01-10 and does not come back within 182 days (next triage 2024-08-01, 204 days on),
    completes again 2024-09-01 and is back 2024-10-01. By the letter of kpis.md c1 counts (the first
    discharge); judged on the latest successful discharge only, c1 would not. The demo and national data
    hold no such client, so the product's agreement with the reference there does not decide this case;
    ``completion_rule="latest"`` is the other reading, used to explain a difference.
    """
    text = csv_text(
        JOURNEY_HEADER,
        journey("c1", "e1", "2023-12-01", "2024-01-10", "80"),
        journey("c1", "e2", "2024-08-01", "2024-09-01", "80"),
        journey("c1", "e3", "2024-10-01"),
    )
    assert load_text(store, text, period="2024-25 Q3").status == "loaded"
    letter = reference_measures(store).figures.set_index(["kpi", "period"])
    latest = reference_measures(store, completion_rule="latest").figures.set_index(["kpi", "period"])
    assert tuple(letter.loc[("completions_opiate", "2024-25 Q3"), ["numerator", "denominator"]]) == (1, 1)
    assert tuple(latest.loc[("completions_opiate", "2024-25 Q3"), ["numerator", "denominator"]]) == (0, 1)
    floor = floor_measures(store).figures.set_index(["kpi", "period"])
    assert tuple(floor.loc[("completions_opiate", "2024-25 Q3"), ["numerator", "denominator"]]) == (1, 1)


def test_a_difference_from_the_latest_discharge_rule_is_explained(store: Store) -> None:
    """The same client, with the product's results refreshed: if the product judges the latest discharge,
    the diagnosis says so; if it follows kpis.md's letter, there is nothing to explain."""
    from bench.diagnosis import explain_mismatches

    text = csv_text(
        JOURNEY_HEADER,
        journey("c1", "e1", "2023-12-01", "2024-01-10", "80"),
        journey("c1", "e2", "2024-08-01", "2024-09-01", "80"),
        journey("c1", "e3", "2024-10-01"),
    )
    assert load_text(store, text, period="2024-25 Q3", on_change=refresh_results).status == "loaded"
    product = product_figures(store)
    mismatches = compare(reference_measures(store).figures, product).mismatches
    if mismatches.empty:  # the product follows kpis.md's letter: c1 completes
        assert product.set_index("kpi").loc["completions_opiate", "numerator"] == 1
        return
    assert list(mismatches["kpi"]) == ["completions_opiate"]
    assert "disappear when the reference judges each client's completion on their latest" in \
        explain_mismatches(store, mismatches)


def test_the_floor_query_agrees_with_the_reference_on_the_demo_data(demo_store: Store) -> None:
    """bench/two_measures.sql's time is the benchmark's floor only if it computes the same figures."""
    reference = reference_measures(demo_store).figures
    run = floor_measures(demo_store)
    comparison = compare(reference, run.figures)
    assert comparison.compared == 2 * 3 * 20
    assert comparison.mismatches.empty, comparison.mismatches.head(10).to_string()
    assert [label[:2] for label, _ in run.steps] == ["1.", "2.", "3.", "4.", "5.", "6.", "7."]
    # It leaves nothing behind in the session.
    assert not demo_store.rows("SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'floor_%'")
