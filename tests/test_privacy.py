"""Raw client identifiers never reach the database, a page, an export or a log."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
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


def _ethnic_groups(db: Path, *, area: str, kpi: str) -> pd.DataFrame:
    with open_store(db, read_only=True) as store:
        return reports.measure_frame(store, area=area, period=Quarter.parse("2026-27 Q2"), targets=load_targets(),
                                     breakdown="ethnic_group", kpi=kpi)


def test_small_counts_are_suppressed_in_exports(demo: tuple[Path, set[str], str]) -> None:
    """Every count of 1 to 4 is hidden, never exactly one group of a breakdown is hidden, and nothing else
    shown is small (demo: E99000103's opiate completions by ethnic group have three small numerators)."""
    frame = _ethnic_groups(demo[0], area="E99000103", kpi="completions_opiate")
    table = tables.figures_table(frame)
    groups = frame["breakdown"] == "ethnic_group"
    small_seen = 0
    for source, column in (("numerator", "Numerator"), ("denominator", "Denominator")):
        raw = frame[source].astype(float)
        small = groups & raw.between(1, 4)
        small_seen += int(small.sum())
        hidden = table[column] == tables.SUPPRESSED
        assert hidden[small].all()  # primary: every count of 1 to 4 is hidden
        assert not [v for v in table.loc[~hidden, column] if 1 <= float(v) <= 4]
        assert hidden[groups].sum() != 1
    assert small_seen >= 2, "the demo has no small counts here: the test would prove nothing"


def test_a_lone_small_group_takes_a_complementary_cell_with_it(demo: tuple[Path, set[str], str]) -> None:
    """Demo E99000101, alcohol completions by ethnic group: one numerator (3) is small and the rest are 6 or
    more, so the 3 could be worked out from the partnership's total; the next smallest group is hidden too."""
    frame = _ethnic_groups(demo[0], area="E99000101", kpi="completions_alcohol")
    groups = frame["breakdown"] == "ethnic_group"
    raw = frame["numerator"].astype(float)
    small = groups & raw.between(1, 4)
    assert small.sum() == 1, "the demo changed: find another breakdown with exactly one small group"
    hidden = tables.figures_table(frame)["Numerator"] == tables.SUPPRESSED
    assert hidden[small].all()
    complementary = hidden & groups & ~small
    assert complementary.sum() == 1
    others = raw[groups & ~small & (raw > 0)]
    assert raw[complementary].iloc[0] == others.min()  # the next smallest non-zero group
