"""The measured steps, each run in a child process: ``python -m bench.worker STEP ...``.

Each step prints one line ``RESULT {json}`` with what it timed inside; the parent (``bench.measure``)
adds the wall time and the peak resident memory of the whole process. Only the standard library is
imported at the top, so that ``cold-scorecard`` counts the product's imports in its own time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULT_PREFIX = "RESULT "


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def _timed(name: str, function: Callable[..., Any], phases: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[name] += time.perf_counter() - started
    return wrapper


# -- build --------------------------------------------------------------------------------------------


def build(args: argparse.Namespace) -> None:
    """Load every extract but the held-out journeys file into ``--base`` and compute every result
    (refresh_all); copy it to ``--national`` (not timed), load the held-out file there and bring the
    results up to date as an upload does (refresh_results): the full build, timed."""
    from bench.dataset import cached_extracts, copy_database, remove_database
    from loaders.load import load_file
    from loaders.store import open_store
    from metrics.registry import measure_ids
    from metrics.results import refresh_all, refresh_results

    extracts = cached_extracts(Path(args.data_dir), scale=args.scale, seed=args.seed).latest_quarters(args.quarters)
    base, national = Path(args.base), Path(args.national)
    remove_database(base)
    remove_database(national)
    ids = measure_ids()
    seconds_by_kind: dict[str, float] = defaultdict(float)
    rows_by_kind: dict[str, int] = defaultdict(int)

    def load(store: Any, file: Any) -> None:
        data = file.path.read_bytes()
        started = time.perf_counter()
        result = load_file(store, data=data, file_name=file.path.name, kind=file.kind, period=file.period,
                           is_demo=True, measure_ids=ids)
        seconds = time.perf_counter() - started
        if result.status != "loaded":
            raise SystemExit(f"{file.path.name}: {result.message} {result.problems[:5]}")
        seconds_by_kind[file.kind] += seconds
        rows_by_kind[file.kind] += result.rows
        print(f"{file.path.name}: {result.rows} rows in {seconds:.2f} s", file=sys.stderr, flush=True)

    store = open_store(base)
    for file in extracts.base_files:
        load(store, file)
    started = time.perf_counter()
    refresh_all(store)
    refresh_seconds = time.perf_counter() - started
    print(f"refresh_all of the earlier quarters: {refresh_seconds:.1f} s", file=sys.stderr, flush=True)
    started = time.perf_counter()
    store.close()
    close_seconds = time.perf_counter() - started
    copy_database(base, national)
    store = open_store(national)
    load(store, extracts.held_out)
    started = time.perf_counter()
    with store.transaction():
        refresh_results(store, ())
    incremental_seconds = time.perf_counter() - started
    refresh_seconds += incremental_seconds
    result_rows = store.scalar("SELECT count(*) FROM results")
    started = time.perf_counter()
    store.close()
    close_seconds += time.perf_counter() - started
    print(f"refresh after the newest file: {incremental_seconds:.1f} s", file=sys.stderr, flush=True)
    load_seconds = sum(seconds_by_kind.values()) + close_seconds
    _emit({
        "files": len(extracts.files), "load_seconds": load_seconds, "refresh_seconds": refresh_seconds,
        "seconds": load_seconds + refresh_seconds, "seconds_by_kind": seconds_by_kind,
        "rows_by_kind": rows_by_kind, "result_rows": result_rows,
        "generated_seconds": extracts.generated_seconds,
    })


# -- ingest -------------------------------------------------------------------------------------------


def load(args: argparse.Namespace) -> None:
    """Load one file through load_file (no on_change), with the time of its parts; with ``--refresh``,
    then bring the results up to date in the same process as an upload through the app does
    (refresh_results, timed apart, statement by statement), so the process's peak memory is an upload's."""
    import loaders.load as load_module
    from loaders.store import open_store
    from metrics.registry import measure_ids

    phases: dict[str, float] = defaultdict(float)
    load_module.read_file = _timed("parse", load_module.read_file, phases)
    load_module.validate = _timed("validate", load_module.validate, phases)
    store = open_store(Path(args.db))
    plain_rows = store.rows
    store.rows = _timed("store (insert, audit, code lists)", plain_rows, phases)  # type: ignore[method-assign]
    data = Path(args.file).read_bytes()
    ids = measure_ids()
    started = time.perf_counter()
    result = load_module.load_file(store, data=data, file_name=Path(args.file).name, kind=args.kind,
                                   period=args.period, is_demo=True, measure_ids=ids)
    seconds = time.perf_counter() - started
    if result.status != "loaded":
        raise SystemExit(f"{result.message} {result.problems[:5]}")
    phases["other (hashing, commit)"] = seconds - sum(phases.values())
    store.rows = plain_rows  # type: ignore[method-assign]
    out: dict[str, Any] = {"seconds": seconds, "rows": result.rows, "bytes": len(data), "phases": dict(phases)}
    if args.refresh:
        import metrics.results as results_module

        statements = _record_statements(store)
        reach = _record_reach(results_module)
        started = time.perf_counter()
        with store.transaction():
            results_module.refresh_results(store, result.partnerships)
        out["refresh"] = {"seconds": time.perf_counter() - started, "statements": statements,
                          "result_rows": store.scalar("SELECT count(*) FROM results"), "reach": reach}
    started = time.perf_counter()
    store.close()
    out["close_seconds"] = time.perf_counter() - started
    _emit(out)


def _record_reach(results_module: Any) -> list[list[Any]]:
    """Fills, as the refresh runs, [partnership, lookback (ISO day or None), first recomputed quarter index]
    for each partnership it recomputes: the scope of bench/window_floor.sql's upload floor (bench/floor.py).
    The wrapped function's answer is returned unchanged."""
    reach: list[list[Any]] = []
    plain = results_module._bounds_table

    def recording(quarters: Any, since: Any) -> Any:
        bounds = plain(quarters, since)
        first: dict[str, int] = {}
        for area, qi in zip(quarters["dat"].to_pylist(), quarters["qi"].to_pylist(), strict=True):
            first[area] = min(qi, first.get(area, qi))
        for area, lookback in zip(bounds["dat"].to_pylist(), bounds["lookback"].to_pylist(), strict=True):
            reach.append([area, lookback.isoformat() if lookback else None, first[area]])
        return bounds

    results_module._bounds_table = recording
    return reach


def bare(args: argparse.Namespace) -> None:
    """DuckDB's own CSV reader, every column as text, into a new table of a new database."""
    import duckdb

    path = Path(args.db)
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    source = str(Path(args.file).resolve()).replace("'", "''")
    started = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{source}', all_varchar = true)")
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    path.unlink(missing_ok=True)
    _emit({"seconds": seconds, "rows": rows})


# -- refresh ------------------------------------------------------------------------------------------


def _family_statements() -> dict[str, str]:
    """{normalised statement text or temp-table name: family} from metrics/sql/*.sql, to label each
    statement the refresh runs without touching metrics/results.py."""
    from metrics.results import SQL_DIR

    known: dict[str, str] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        statements = [s.strip() for s in text.split(";") if s.strip()]
        for statement in statements:
            match = re.match(r"CREATE\s+OR\s+REPLACE\s+TEMP\s+TABLE\s+(\w+)", statement, re.IGNORECASE)
            if match:
                known[match[1]] = path.stem
        if statements:
            known[" ".join(statements[-1].split())] = path.stem
    return known


def _statement_label(sql: str, known: dict[str, str]) -> tuple[str, str]:
    """(label, family) of one statement of the refresh."""
    flat = " ".join(sql.split())
    copy = re.match(r"(INSERT INTO|DELETE FROM) refreshed_(journeys|tops|dip)\b", flat, re.IGNORECASE)
    if copy:
        return f"{copy[1].lower()} refreshed_{copy[2]}", f"current rows ({copy[2]})"
    match = re.match(r"CREATE\s+OR\s+REPLACE\s+TEMP\s+TABLE\s+(\w+)", flat, re.IGNORECASE)
    if match:
        name = match[1]
        if name.startswith("refresh_sync_"):
            return f"create {name}", "current rows (changes)"
        if name.startswith("refresh_current_"):
            return f"create {name}", f"current rows ({name.removeprefix('refresh_current_')})"
        return f"create {name}", known.get(name, "setup")
    if flat.upper().startswith("INSERT INTO REFRESH_RAW"):
        for text, family in known.items():
            if " " in text and text in flat:
                return f"insert refresh_raw ({family} query)", family
        return "insert refresh_raw", "unknown"
    if flat.upper().startswith("INSERT INTO RESULTS"):
        return "insert results", "write results"
    if flat.upper().startswith("DELETE FROM RESULTS"):
        return "delete results", "write results"
    if "refresh_raw" in flat and "groups" in flat:
        return "assemble (groups x measures)", "assemble"
    return flat[:60], "other"


def _record_statements(store: Any) -> list[tuple[str, str, float]]:
    """Wrap the Store's methods so that every statement is timed and labelled; returns the list they fill."""
    known = _family_statements()
    statements: list[tuple[str, str, float]] = []

    def recorded(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(sql: str, params: Any = None) -> Any:
            started = time.perf_counter()
            try:
                return function(sql, params)
            finally:
                statements.append((*_statement_label(sql, known), time.perf_counter() - started))
        return wrapper

    # Store.execute calls self.rows, so wrapping rows, arrow and df sees every statement once.
    store.rows = recorded(store.rows)
    store.arrow = recorded(store.arrow)
    store.df = recorded(store.df)
    return statements


def refresh(args: argparse.Namespace) -> None:
    """refresh_all, with the time of every statement it runs, and whether it leaves exactly the result rows
    that were there before (the incremental refreshes' rows)."""
    from loaders.store import open_store
    from metrics.results import refresh_all

    store = open_store(Path(args.db))
    store.execute("CREATE TEMP TABLE bench_results_before AS SELECT * FROM results")
    plain = store.rows, store.arrow, store.df
    statements = _record_statements(store)
    started = time.perf_counter()
    refresh_all(store)
    seconds = time.perf_counter() - started
    store.rows, store.arrow, store.df = plain  # the comparison below is the benchmark's, not the refresh's
    result_rows = store.scalar("SELECT count(*) FROM results")
    differing = store.scalar(
        "SELECT (SELECT count(*) FROM (SELECT * FROM bench_results_before EXCEPT ALL SELECT * FROM results)) + "
        "(SELECT count(*) FROM (SELECT * FROM results EXCEPT ALL SELECT * FROM bench_results_before))")
    before_rows = store.scalar("SELECT count(*) FROM bench_results_before")
    store.close()
    _emit({"seconds": seconds, "statements": statements, "result_rows": result_rows,
           "rows_before": before_rows, "rows_differing": differing})


# -- reads --------------------------------------------------------------------------------------------


def cold_scorecard(args: argparse.Namespace) -> None:
    """A new process answering one scorecard: imports, open, targets, query (the parent times the whole)."""
    phases: dict[str, float] = {}
    started = time.perf_counter()
    from loaders.config import DATA_DIR
    from loaders.store import open_store
    from metrics.periods import Quarter
    from metrics.reports import scorecard
    from metrics.targets import load_targets
    phases["imports"] = time.perf_counter() - started
    mark = time.perf_counter()
    store = open_store(Path(args.db), read_only=True)
    phases["open"] = time.perf_counter() - mark
    mark = time.perf_counter()
    targets = load_targets(DATA_DIR / "targets.toml")
    phases["targets"] = time.perf_counter() - mark
    mark = time.perf_counter()
    card = scorecard(store, area=args.area, period=Quarter.parse(args.period), targets=targets)
    phases["scorecard"] = time.perf_counter() - mark
    _emit({"rows": len(card), "phases": phases})
    store.close()


def pandas_reference(args: argparse.Namespace) -> None:
    """The pandas reference for every partnership and quarter, written to ``--out`` (CSV)."""
    from bench.pandas_reference import reference_measures
    from loaders.store import open_store

    store = open_store(Path(args.db), read_only=True)
    run = reference_measures(store)
    store.close()
    run.figures.to_csv(args.out, index=False)
    _emit({"read_seconds": run.read_seconds, "compute_seconds": run.compute_seconds,
           "seconds": run.seconds, "rows": len(run.figures)})


def floor(args: argparse.Namespace) -> None:
    """bench/two_measures.sql (the floor) on the database, its figures written to ``--out`` (CSV)."""
    from bench.floor import floor_measures
    from loaders.store import open_store

    store = open_store(Path(args.db), read_only=True)
    run = floor_measures(store)
    store.close()
    run.figures.to_csv(args.out, index=False)
    _emit({"seconds": run.seconds, "steps": run.steps, "rows": len(run.figures)})


def floor_read(args: argparse.Namespace) -> None:
    """bench/floor.sql (the floor of a refresh: every column the measures use, grouped once) on the database."""
    from bench.floor import read_floor
    from loaders.store import open_store

    store = open_store(Path(args.db), read_only=True)
    run = read_floor(store)
    store.close()
    _emit({"seconds": run.seconds, "rows_read": run.rows_read, "groups": run.groups})


def window_floor(args: argparse.Namespace) -> None:
    """bench/window_floor.sql (the rolling-window definition's least work) on the database, checked."""
    from bench.floor import reach_table
    from bench.floor import window_floor as run_window_floor
    from loaders.store import open_store

    reach = reach_table(json.loads(Path(args.reach).read_text())) if args.reach else None
    store = open_store(Path(args.db), read_only=True)
    run = run_window_floor(store, reach)
    store.close()
    _emit({"seconds": run.seconds, "rows": run.rows, "compared": run.compared, "mismatches": run.mismatches})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("build")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--national", required=True)
    p.add_argument("--quarters", type=int, help="only the newest QUARTERS quarters' files")
    p.set_defaults(run=build)
    p = sub.add_parser("load")
    p.add_argument("--db", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--kind", default="journeys")
    p.add_argument("--period")
    p.add_argument("--refresh", action="store_true", help="then refresh_results, as an upload does")
    p.set_defaults(run=load)
    p = sub.add_parser("bare")
    p.add_argument("--db", required=True)
    p.add_argument("--file", required=True)
    p.set_defaults(run=bare)
    p = sub.add_parser("refresh")
    p.add_argument("--db", required=True)
    p.set_defaults(run=refresh)
    p = sub.add_parser("cold-scorecard")
    p.add_argument("--db", required=True)
    p.add_argument("--area", required=True)
    p.add_argument("--period", required=True)
    p.set_defaults(run=cold_scorecard)
    p = sub.add_parser("pandas-reference")
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=pandas_reference)
    p = sub.add_parser("floor")
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=floor)
    p = sub.add_parser("floor-read")
    p.add_argument("--db", required=True)
    p.set_defaults(run=floor_read)
    p = sub.add_parser("window-floor")
    p.add_argument("--db", required=True)
    p.add_argument("--reach", help="a JSON file of what an upload's refresh recomputed (load's refresh.reach): "
                                   "the floor of that refresh instead of a rebuild's")
    p.set_defaults(run=window_floor)
    return parser


if __name__ == "__main__":
    arguments = _parser().parse_args()
    arguments.run(arguments)
