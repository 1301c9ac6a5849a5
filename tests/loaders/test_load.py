"""Versioned, audited loads: precedence of versions, re-uploads, withdrawal, privacy, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loaders.load import UploadNotFound, history, withdraw_upload
from loaders.periods import Quarter, parse_indicator_period
from loaders.store import Store, open_store, schema_version_expected
from tests.conftest import JOURNEY_HEADER, SAMPLES, csv_text, load_text

OPEN = "E08000999,NRC01,,c1,EP1,34,1,A,OPI,HEROIN,4,2024-01-02,2024-01-09,,,14,C"
CLOSED = "E08000999,NRC01,,c1,EP1,34,1,A,OPI,HEROIN,4,2024-01-02,2024-01-09,2024-08-20,80,14,C"


def _disd(store: Store) -> object:
    return store.scalar("SELECT disd FROM current_journeys WHERE episodid = 'EP1'")


def test_samples_load_and_audit(store: Store) -> None:
    for name in ("journeys.csv", "tops.csv", "dip.csv", "indicators.csv"):
        result = load_text(store, (SAMPLES / name).read_text(), name=name)
        assert result.status == "loaded", result.problems
    audit = {u.kind: u for u in history(store)}
    assert audit["journeys"].rows == 5
    assert audit["journeys"].partnerships == ("E08000999",)
    assert audit["journeys"].periods == ("2024-25 Q2",)  # latest date 2024-08-21
    assert audit["dip"].periods == ("2024-25 Q1",)
    assert audit["indicators"].partnerships == ("E08000999", "E92000001")
    assert audit["indicators"].periods == ("2017-18", "2024-25", "2024-25 Q1")
    assert len(audit["journeys"].sha256) == 64
    assert store.scalar("SELECT value FROM indicators WHERE indicator = 'effective_treatment_rate'") == pytest.approx(
        245581 / 268390)


def test_same_bytes_again_is_a_noop(store: Store) -> None:
    text = (SAMPLES / "journeys.csv").read_text()
    first = load_text(store, text)
    again = load_text(store, text)
    assert again.status == "duplicate" and again.upload_id == first.upload_id
    assert "already loaded as upload 1" in again.message
    assert store.scalar("SELECT count(*) FROM uploads") == 1
    assert store.scalar("SELECT count(*) FROM journeys") == 5


def test_newer_period_wins_and_backfill_never_overwrites(store: Store) -> None:
    load_text(store, csv_text(JOURNEY_HEADER, CLOSED), period="2024-25 Q2")
    assert str(_disd(store)) == "2024-08-20"
    # Back-filling an older quarter afterwards: the journey was open then, but newer facts stand.
    load_text(store, csv_text(JOURNEY_HEADER, OPEN), period="2023-24 Q4")
    assert str(_disd(store)) == "2024-08-20"
    assert store.scalar("SELECT count(*) FROM journeys") == 2  # both versions are kept


def test_same_period_later_upload_wins(store: Store) -> None:
    load_text(store, csv_text(JOURNEY_HEADER, OPEN), period="2024-25 Q2")
    load_text(store, csv_text(JOURNEY_HEADER, CLOSED), period="2024-25 Q2")
    assert str(_disd(store)) == "2024-08-20"


def test_withdraw_restores_exactly_the_state_before(store: Store) -> None:
    load_text(store, csv_text(JOURNEY_HEADER, OPEN), period="2024-25 Q1")
    before = store.content_checksums()
    newer = load_text(store, csv_text(JOURNEY_HEADER, CLOSED), period="2024-25 Q2")
    assert str(_disd(store)) == "2024-08-20"
    upload = withdraw_upload(store, upload_id=newer.upload_id, user="analyst@example.org")
    assert upload.withdrawn_at is not None and upload.withdrawn_by == "analyst@example.org"
    assert _disd(store) is None
    after = store.content_checksums()
    assert {k: v for k, v in after.items() if k != "uploads"} == {k: v for k, v in before.items() if k != "uploads"}
    with pytest.raises(UploadNotFound):
        withdraw_upload(store, upload_id=newer.upload_id)
    # the same bytes can be loaded again once withdrawn
    again = load_text(store, csv_text(JOURNEY_HEADER, CLOSED), period="2024-25 Q2")
    assert again.status == "loaded"


def test_client_identifiers_are_never_stored(store: Store) -> None:
    load_text(store, (SAMPLES / "journeys.csv").read_text())
    load_text(store, (SAMPLES / "tops.csv").read_text())
    raw_ids = {"a9f3c2", "b71e04", "c0d4aa", "d5520f", "e88b19"}
    stored = {r[0] for r in store.rows("SELECT client_key FROM journeys UNION SELECT client_key FROM tops")}
    assert len(stored) == 5 and not stored & raw_ids
    assert all(len(k) == 64 for k in stored)
    # Closed first: while the store is open the rows may still be in the write-ahead log, not the file.
    path = Path(store.path)
    store.close()
    assert not path.with_name(path.name + ".wal").exists()
    db_bytes = path.read_bytes()
    assert stored.pop().encode() in db_bytes  # the scan can see what is stored in the file
    for raw in raw_ids:
        assert raw.encode() not in db_bytes


def test_schema_version_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "v.duckdb"
    with open_store(path) as s:
        assert s.scalar("SELECT max(version) FROM schema_version") == schema_version_expected()
        assert s.scalar("SELECT count(*) FROM code_lists WHERE list = 'ethnicity'") == 17
    with open_store(path) as s:  # reopening applies nothing twice: schema.sql, then each migration once
        assert s.scalar("SELECT count(*) FROM schema_version") == schema_version_expected()


def test_periods_parse_and_print_one_way() -> None:
    q = Quarter.parse("2024-25 Q3")
    assert (q.start.isoformat(), q.end.isoformat(), q.label) == ("2024-10-01", "2024-12-31", "2024-25 Q3")
    assert Quarter.parse("2024-25 Q4").end.isoformat() == "2025-03-31"
    assert Quarter.containing(q.end).shift(1).label == "2024-25 Q4"
    assert Quarter.parse("2024-25 Q4").shift(1).label == "2025-26 Q1"
    rolling = parse_indicator_period("12m to 2024-10-08")
    assert rolling.start.isoformat() == "2023-10-09"
    assert parse_indicator_period("2024-11").end.isoformat() == "2024-11-30"
    with pytest.raises(ValueError):
        Quarter.parse("2024-26 Q1")


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loaders", *args, "--db", str(db)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)


def test_cli_load_history_withdraw(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    ok = _cli("load", str(SAMPLES / "journeys.csv"), str(SAMPLES / "dip.csv"), "--format", "json", db=db)
    assert ok.returncode == 0, ok.stderr
    loaded = json.loads(ok.stdout)
    assert [r["status"] for r in loaded] == ["loaded", "loaded"]
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(JOURNEY_HEADER, OPEN.replace(",34,", ",12,")))
    errors = tmp_path / "errors.csv"
    rejected = _cli("load", str(bad), "--errors-csv", str(errors), db=db)
    assert rejected.returncode == 1
    assert "row 2, column AGE [12]: AGE must be a whole number from 18 to 110." in rejected.stdout
    assert errors.read_text().splitlines()[1] == "2,AGE,12,AGE must be a whole number from 18 to 110."
    hist = json.loads(_cli("history", "--format", "json", db=db).stdout)
    assert [h["kind"] for h in hist] == ["dip", "journeys"]
    first = loaded[0]["upload_id"]
    assert _cli("withdraw", str(first), db=db).returncode == 0
    assert _cli("withdraw", str(first), db=db).returncode == 1
    assert _cli("load", "--period", "2024 Q9", str(bad), db=db).returncode == 2
    assert _cli("frobnicate", db=db).returncode == 2


def test_a_large_file_hands_its_memory_back_before_the_refresh(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a large file is stored, what parsing freed goes back to the system before on_change (the refresh)
    runs, and the checked rows are no longer held; a small file skips the collection (it costs ~0.1 s)."""
    import loaders.load as load_module

    seen: list[str] = []
    monkeypatch.setattr(load_module, "_release_memory", lambda: seen.append("released"))
    on_change = lambda store_, partnerships: seen.append("refreshed")  # noqa: E731
    assert load_text(store, (SAMPLES / "journeys.csv").read_text(), on_change=on_change).status == "loaded"
    assert seen == ["refreshed"]  # five rows: nothing to hand back
    seen.clear()
    monkeypatch.setattr(load_module, "RELEASE_AFTER_BYTES", 0)
    assert load_text(store, (SAMPLES / "tops.csv").read_text(), on_change=on_change).status == "loaded"
    assert seen == ["released", "refreshed"]


def test_handing_memory_back_runs_anywhere() -> None:
    from loaders.load import _release_memory

    _release_memory()  # glibc's malloc_trim where there is one; nothing to say elsewhere
