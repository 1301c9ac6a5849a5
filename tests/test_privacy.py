"""Raw client identifiers never reach the database, a page, an export or a log."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from charts import tables
from loaders.demo import load_demo
from loaders.periods import Quarter
from loaders.store import open_store
from metrics import reports
from metrics.registry import measure_ids
from metrics.results import refresh_results
from metrics.targets import load_targets

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, set[str], str]]:
    folder = tmp_path_factory.mktemp("privacy")
    db = folder / "demo.duckdb"
    monkey = pytest.MonkeyPatch()
    monkey.setenv("KPI_CLIENT_KEY_FILE", str(folder / "demo.key"))
    with open_store(db) as store:
        results = load_demo(store, out_dir=folder / "files", measure_ids=measure_ids(), on_change=refresh_results)
    assert all(r.status == "loaded" for r in results)
    ids: set[str] = set()
    for path in (folder / "files").glob("*.csv"):
        with path.open(encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if "CLIENTID" in (reader.fieldnames or []):
                ids.update(row["CLIENTID"] for row in reader)
    assert len(ids) > 1000
    log = "\n".join(r.message for r in results)
    yield db, ids, log
    monkey.undo()


def _leaks(text: str, ids: set[str]) -> set[str]:
    return {token for token in re.findall(r"[A-Za-z0-9]+", text) if token in ids}


def test_no_table_holds_a_raw_identifier(demo: tuple[Path, set[str], str]) -> None:
    db, ids, _ = demo
    with open_store(db, read_only=True) as store:
        for (table,) in store.rows("SELECT table_name FROM duckdb_tables()"):
            columns = [r[0] for r in store.rows(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND data_type = 'VARCHAR'", [table])]
            for column in columns:
                hit = store.scalar(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}" IN (SELECT unnest(?))', [sorted(ids)])
                assert hit == 0, f"raw client identifiers in {table}.{column}"
    raw = db.read_bytes()
    sample = sorted(ids)[:300]
    assert not [i for i in sample if i.encode() in raw]


def test_no_page_shows_one(demo: tuple[Path, set[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids, _ = demo
    monkeypatch.setenv("KPI_DB", str(db))
    st.cache_data.clear()
    st.cache_resource.clear()
    for page in ("overview", "trajectories", "providers", "equality", "criminal_justice", "quality", "upload"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py")
            at.run()
        assert not at.exception
        shown = [str(e.value) for e in (*at.markdown, *at.title, *at.caption, *at.metric, *at.info)]
        shown += [frame.value.to_csv() for frame in at.dataframe]
        assert not _leaks("\n".join(shown), ids), page
    st.cache_resource.clear()


def test_no_export_or_log_holds_one(demo: tuple[Path, set[str], str]) -> None:
    db, ids, log = demo
    assert not _leaks(log, ids)
    targets = load_targets()
    with open_store(db, read_only=True) as store:
        period = Quarter.parse("2026-27 Q2")
        card = reports.scorecard(store, area="E99000101", period=period, targets=targets, breakdown="provider")
        exported = tables.to_csv_bytes(tables.figures_table(card)).decode("utf-8-sig")
        assert not _leaks(exported, ids)
    history = subprocess.run([sys.executable, "-m", "loaders", "history", "--db", str(db), "--format", "json"],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert history.returncode == 0 and not _leaks(history.stdout + history.stderr, ids)


def test_small_counts_are_suppressed_in_exports(demo: tuple[Path, set[str], str]) -> None:
    db, _, _ = demo
    with open_store(db, read_only=True) as store:
        frame = reports.measure_frame(store, area="E99000103", period=Quarter.parse("2026-27 Q2"),
                                      targets=load_targets(), breakdown="ethnic_group", kpi="completions_opiate")
    table = tables.figures_table(frame)
    for column in ("Numerator", "Denominator"):
        for value in table[column]:
            assert value == tables.SUPPRESSED or not (isinstance(value, int | float) and 1 <= value <= 4)
