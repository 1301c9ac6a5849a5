"""The incremental refresh (metrics/current.py) must leave exactly the rows a full recomputation leaves.

Each test changes the data the way commissioners do (quarterly files in order, a back-filled quarter
with corrected discharges and attributes, a withdrawal, a brand-new partnership), refreshing after each
change as the Upload page does, then compares every result row with refresh_all's.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from loaders.demo import write_demo_extracts
from loaders.load import load_file, withdraw_upload
from loaders.store import Store
from metrics.registry import measure_ids
from metrics.results import refresh_all, refresh_results


def _results(store: Store) -> list[tuple]:
    return store.rows("SELECT * FROM results ORDER BY ALL")


def _assert_same_as_full(store: Store) -> None:
    incremental = _results(store)
    assert incremental
    refresh_all(store)
    full = _results(store)
    assert len(incremental) == len(full)
    assert incremental == full


def _load(store: Store, path: Path, kind: str, period: str | None, *, data: bytes | None = None,
          name: str | None = None):
    result = load_file(store, data=path.read_bytes() if data is None else data, file_name=name or path.name,
                       kind=kind, period=period, is_demo=True, measure_ids=measure_ids(),
                       on_change=refresh_results)
    assert result.status == "loaded", (result.message, result.problems[:3])
    return result


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory):
    return write_demo_extracts(tmp_path_factory.mktemp("demo"), scale="demo", seed=7)


def _day(text: str) -> date:
    return (datetime.strptime(text, "%d/%m/%Y") if "/" in text else datetime.strptime(text[:10], "%Y-%m-%d")).date()


def _corrected(path: Path, *, attributes: bool) -> bytes:
    """The file with some discharges moved up to 20 days earlier, some removed and, with ``attributes``,
    some sexes changed (a change that reaches further back than a discharge's)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    header = [h.strip().upper() for h in rows[0]]
    disd, disrsn, sex, triaged = (header.index(c) for c in ("DISD", "DISRSN", "SEX", "TRIAGED"))
    for number, row in enumerate(rows[1:], start=1):
        if number % 7 == 0 and row[disd].strip():
            row[disd] = max(_day(row[triaged]), _day(row[disd]) - timedelta(days=20)).isoformat()
        elif number % 13 == 0 and row[disd].strip():
            row[disd], row[disrsn] = "", ""
        if attributes and number % 11 == 0:
            row[sex] = "2" if row[sex] == "1" else "1"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def test_quarter_by_quarter_back_fill_and_withdrawal_match_a_full_refresh(store: Store, demo_files) -> None:
    files = [f for f in demo_files if f.kind != "indicators"]
    early, last_four = files[: len(files) - 12], files[len(files) - 12:]
    # The history at once, as the demo loads it, then the last quarters one file at a time.
    for f in early:
        assert load_file(store, data=f.path.read_bytes(), file_name=f.path.name, kind=f.kind, period=f.period,
                         is_demo=True, measure_ids=measure_ids()).status == "loaded"
    refresh_all(store)
    loaded = [_load(store, f.path, f.kind, f.period) for f in last_four]
    _assert_same_as_full(store)

    # A journeys file of two years ago sent again with corrections: it outranks the original (same
    # quarter, newer upload) wherever no later quarter holds the journey.
    old = [f for f in files if f.kind == "journeys"][-9]
    discharges = _load(store, old.path, old.kind, old.period, data=_corrected(old.path, attributes=False),
                       name="discharges-" + old.path.name)
    _assert_same_as_full(store)
    withdraw_upload(store, upload_id=discharges.upload_id, on_change=refresh_results)
    _assert_same_as_full(store)
    corrected = _load(store, old.path, old.kind, old.period, data=_corrected(old.path, attributes=True),
                      name="corrected-" + old.path.name)
    _assert_same_as_full(store)

    # Withdrawing the correction restores the earlier figures; withdrawing a recent TOPs file too.
    withdraw_upload(store, upload_id=corrected.upload_id, on_change=refresh_results)
    _assert_same_as_full(store)
    tops = next(r for r in reversed(loaded) if r.kind == "tops")
    withdraw_upload(store, upload_id=tops.upload_id, on_change=refresh_results)
    _assert_same_as_full(store)


def test_an_identical_resend_changes_no_figure_and_a_later_refresh_catches_up(store: Store, demo_files) -> None:
    files = [f for f in demo_files if f.kind != "indicators"][-9:]
    for f in files[:-3]:
        _load(store, f.path, f.kind, f.period)
    before = _results(store)
    journeys = next(f for f in files[:-3] if f.kind == "journeys")
    # The same rows under a new name (new bytes: a trailing blank line) and a later upload: nothing changes.
    _load(store, journeys.path, journeys.kind, journeys.period, data=journeys.path.read_bytes() + b"\r\n",
          name="again.csv")
    assert _results(store) == before
    # Files loaded without a refresh (as the CLI's bulk loads may) are caught up by the next refresh.
    for f in files[-3:]:
        assert load_file(store, data=f.path.read_bytes(), file_name=f.path.name, kind=f.kind, period=f.period,
                         is_demo=True, measure_ids=measure_ids()).status == "loaded"
    with store.transaction():
        refresh_results(store, ())
    _assert_same_as_full(store)


def test_definitions_changing_recompute_everything(store: Store, demo_files, monkeypatch) -> None:
    """A new version of the measures (another fingerprint) makes the next refresh recompute all quarters."""
    import metrics.results as results

    files = [f for f in demo_files if f.kind == "journeys"][-3:]
    for f in files:
        _load(store, f.path, f.kind, f.period)
    store.execute("UPDATE results SET numerator = -1")   # as if computed by older definitions
    monkeypatch.setattr(results, "_definitions_fingerprint", lambda: "a newer version")
    with store.transaction():
        refresh_results(store, ())
    assert store.scalar("SELECT count(*) FROM results WHERE numerator = -1") == 0
    _assert_same_as_full(store)


def test_a_database_of_the_first_schema_is_migrated_and_its_results_rebuilt(tmp_path: Path, demo_files) -> None:
    """A database written before the refresh kept its copy of the current rows (schema 1) gains the tables
    on opening, and its first refresh rebuilds the copy and every result."""
    from loaders.store import open_store

    path = tmp_path / "old.duckdb"
    files = [f for f in demo_files if f.kind == "journeys"][-3:]
    with open_store(path) as store:
        for f in files[:2]:
            _load(store, f.path, f.kind, f.period)
        for table in ("refreshed_journeys", "refreshed_tops", "refreshed_dip", "refreshed_uploads",
                      "refreshed_areas", "refreshed_definitions"):
            store.execute(f"DROP TABLE {table}")
        store.execute("DELETE FROM schema_version WHERE version > 1")
    with open_store(path) as store:
        assert store.scalar("SELECT count(*) FROM refreshed_uploads") == 0
        _load(store, files[2].path, files[2].kind, files[2].period)
        assert store.scalar("SELECT count(*) FROM refreshed_uploads") == 3
        _assert_same_as_full(store)


def test_computing_partnerships_in_batches_gives_the_same_rows(store: Store, demo_files, monkeypatch) -> None:
    import metrics.results as results

    for f in [f for f in demo_files if f.kind != "indicators"][-6:]:
        _load(store, f.path, f.kind, f.period)
    together = _results(store)
    monkeypatch.setattr(results, "BATCH_JOURNEYS", 1)   # one partnership at a time
    refresh_all(store)
    assert _results(store) == together
