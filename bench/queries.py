"""The dashboard's two reads, timed in this process (warm) and in a new one (cold).

Warm: the same process asks again and again, as the running dashboard does when its cache misses
(each call is a real query: nothing is cached below Streamlit). Cold: a new Python process is
started, imports the product, opens the database read-only, reads the targets file and answers one
scorecard; the time runs from starting the process to receiving its answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.measure import repeat, run_worker
from loaders.config import DATA_DIR
from loaders.store import open_store
from metrics import reports
from metrics.targets import load_targets

SERIES_KPI = "effective_treatment"  # the Trajectories page's default measure; it has a "change" target


@dataclass(frozen=True)
class Selection:
    area: str
    period: str


@dataclass(frozen=True)
class QueryTimings:
    selection: Selection
    scorecard_warm: list[float]
    series_warm: list[float]
    scorecard_cold: list[float]
    cold_phases: list[dict[str, float]]
    scorecard_rows: int
    series_rows: int


def partnerships(db: Path) -> list[str]:
    """Every partnership with results, in the sidebar's order."""
    with open_store(db, read_only=True) as store:
        return list(reports.areas(store)["area"])


def time_queries(db: Path, *, area: str, warm_runs: int, cold_runs: int) -> QueryTimings:
    targets = load_targets(DATA_DIR / "targets.toml")
    with open_store(db, read_only=True) as store:
        period = reports.quarters(store, area=area)[-1]
        selection = Selection(area, period.label)

        def card() -> object:
            return reports.scorecard(store, area=area, period=period, targets=targets)

        def trend() -> object:
            return reports.series(store, kpi=SERIES_KPI, area=area, targets=targets)

        scorecard_warm = repeat(card, runs=warm_runs)
        series_warm = repeat(trend, runs=warm_runs)
        scorecard_rows, series_rows = len(card()), len(trend())  # type: ignore[arg-type]
    cold, phases = [], []
    for _ in range(cold_runs):
        run = run_worker(["cold-scorecard", "--db", str(db), "--area", area, "--period", period.label], timeout=300)
        cold.append(run.result_seconds)
        phases.append(run.result["phases"])
    return QueryTimings(selection, scorecard_warm, series_warm, cold, phases, scorecard_rows, series_rows)
