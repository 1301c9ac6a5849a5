"""Backups: a consistent copy with the audit and the client key, and a restore that never loses data."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from loaders.__main__ import main
from loaders.backup import (
    BACKUP_DATABASE,
    BACKUP_KEY,
    MANIFEST,
    BackupError,
    backup_database,
    restore_database,
    verify_backup,
)
from loaders.load import history, load_file, withdraw_upload
from loaders.store import DatabaseBusy, Store, open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import JOURNEY_HEADER, SAMPLES, csv_text
from tests.loaders.test_concurrency import Holder

LATER = "E08000999,NRC01,,zz9,NRC-2001,41,2,A,OPI,HEROIN,4,2024-07-01,2024-07-02,,,14,C"


def _load(store: Store, data: bytes, name: str) -> int:
    result = load_file(store, data=data, file_name=name, measure_ids=measure_ids(), on_change=refresh_results)
    assert result.status == "loaded", result.problems
    return result.upload_id


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A database with every kind loaded, one upload withdrawn, and results computed; built once."""
    folder = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KPI_CLIENT_KEY_FILE", str(folder / "client.key"))
        with open_store(folder / "template.duckdb") as store:
            for kind in ("journeys", "tops", "dip", "indicators"):
                _load(store, (SAMPLES / f"{kind}.csv").read_bytes(), f"{kind}.csv")
            withdrawn = _load(store, csv_text(JOURNEY_HEADER, LATER).encode(), "later.csv")
            withdraw_upload(store, upload_id=withdrawn, on_change=refresh_results)
    return folder / "template.duckdb", folder / "client.key"


@pytest.fixture
def filled(template: tuple[Path, Path]) -> Iterator[Store]:
    """This test's own copy of the template database, with its key, open."""
    shutil.copyfile(template[0], os.environ["KPI_DB"])
    shutil.copyfile(template[1], os.environ["KPI_CLIENT_KEY_FILE"])
    store = open_store(Path(os.environ["KPI_DB"]))
    yield store
    store.close()


def _structure(store: Store) -> tuple:
    """The schema a restore must bring back too: tables, constraints, the views' content, the sequence."""
    return (
        store.rows("SELECT table_name, sql FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1"),
        store.rows("SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints() "
                   "WHERE database_name = current_database() ORDER BY ALL"),
        [(view, store.one(f"SELECT count(*), sum(hash(v)::HUGEINT) FROM {view} v")) for (view,) in store.rows(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database() "
            "ORDER BY 1")],
        store.rows("SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = current_database()"),
    )


def _key() -> bytes:
    return Path(os.environ["KPI_CLIENT_KEY_FILE"]).read_bytes()


def test_restore_brings_back_exactly_the_state_at_backup_time(filled: Store, tmp_path: Path) -> None:
    at_backup, key, audit, structure = filled.content_checksums(), _key(), history(filled), _structure(filled)
    folder = backup_database(filled, to=tmp_path / "backup")
    assert sorted(p.name for p in folder.iterdir()) == sorted((BACKUP_DATABASE, BACKUP_KEY, MANIFEST))
    assert verify_backup(folder)["checksums"] == at_backup
    # Life goes on: more loads, a withdrawal, results recomputed.
    _load(filled, csv_text(JOURNEY_HEADER, LATER.replace("NRC-2001", "NRC-3001")).encode(), "more.csv")
    withdraw_upload(filled, upload_id=1, on_change=refresh_results)
    assert filled.content_checksums() != at_backup
    db_path = filled.path
    filled.close()

    kept = restore_database(backup=folder, db_path=db_path)
    with open_store(db_path) as restored:
        assert restored.content_checksums() == at_backup  # every table, the audit included
        assert history(restored) == audit
        assert _structure(restored) == structure
        assert len(structure[2]) == 4  # the current_* views
        assert _key() == key
        # New uploads carry on from the restored audit, and match the restored clients.
        next_id = _load(restored, csv_text(JOURNEY_HEADER, LATER.replace("NRC-2001", "NRC-4001")
                                           .replace(",zz9,", ",a9f3c2,")).encode(), "next.csv")
        assert next_id == max(u.upload_id for u in audit) + 1
        assert restored.scalar("SELECT count(*) FROM journeys WHERE client_key = (SELECT client_key FROM "
                               "journeys WHERE upload_id = ?)", [next_id]) == 2
    # The database it replaced is kept, with its key, and still opens with the later state.
    assert kept is not None and kept.exists() and kept.with_suffix(".key").read_bytes() == key
    with open_store(kept, read_only=True) as previous:
        assert previous.scalar("SELECT count(*) FROM uploads") == len(audit) + 1


def test_backup_from_a_path_and_restore_onto_a_new_machine(filled: Store, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at_backup = filled.content_checksums()
    filled.close()
    folder = backup_database(filled.path, to=tmp_path / "backups" / "2024-q3")
    new_db = tmp_path / "elsewhere" / "dashboard.duckdb"
    monkeypatch.delenv("KPI_CLIENT_KEY_FILE")  # the new machine keeps its key beside the database
    assert restore_database(backup=folder, db_path=new_db) is None
    assert new_db.with_suffix(".key").read_bytes() == (folder / BACKUP_KEY).read_bytes()
    with open_store(new_db) as restored:
        assert restored.content_checksums() == at_backup


def test_restore_replaces_a_damaged_database(filled: Store, tmp_path: Path) -> None:
    """The day a restore is needed, the database may not open at all; the damaged file is kept aside."""
    at_backup = filled.content_checksums()
    folder = backup_database(filled, to=tmp_path / "backup")
    filled.close()
    filled.path.write_bytes(b"not a database" * 1000)
    kept = restore_database(backup=folder, db_path=filled.path)
    with open_store(filled.path) as restored:
        assert restored.content_checksums() == at_backup
    assert kept is not None and kept.read_bytes() == b"not a database" * 1000


def _damage(folder: Path, how: str) -> None:
    if how == "no manifest":
        (folder / MANIFEST).unlink()
    elif how == "no key":
        (folder / BACKUP_KEY).unlink()
    elif how == "no database":
        (folder / BACKUP_DATABASE).unlink()
    elif how == "truncated":
        data = (folder / BACKUP_DATABASE).read_bytes()
        (folder / BACKUP_DATABASE).write_bytes(data[: len(data) // 2])
    elif how == "flipped byte":
        data = bytearray((folder / BACKUP_DATABASE).read_bytes())
        data[len(data) // 3] ^= 0xFF
        (folder / BACKUP_DATABASE).write_bytes(bytes(data))
    elif how == "manifest damaged":
        (folder / MANIFEST).write_text('{"format": 1, "files": ', encoding="utf-8")
    elif how == "another database":
        # A valid database, with a manifest claiming it: only the content check can tell.
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        with open_store(folder / BACKUP_DATABASE) as other:
            other.execute("DELETE FROM dip")
        from loaders.backup import _file_facts

        manifest["files"][BACKUP_DATABASE] = _file_facts(folder / BACKUP_DATABASE)
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    else:
        raise AssertionError(how)


DAMAGE = ("no manifest", "no key", "no database", "truncated", "flipped byte", "manifest damaged", "another database")


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_or_incomplete_backup_is_refused_and_the_database_untouched(
        filled: Store, tmp_path: Path, how: str) -> None:
    folder = backup_database(filled, to=tmp_path / "backup")
    _load(filled, csv_text(JOURNEY_HEADER, LATER.replace("NRC-2001", "NRC-3001")).encode(), "more.csv")
    live, key = filled.content_checksums(), _key()
    db_path = filled.path
    filled.close()
    _damage(folder, how)
    files_before = sorted(p.name for p in db_path.parent.iterdir())
    with pytest.raises(BackupError, match=r"^The backup in .* cannot be used: .* Nothing was changed; use another"):
        restore_database(backup=folder, db_path=db_path)
    assert sorted(p.name for p in db_path.parent.iterdir()) == files_before, "restore left files behind"
    assert _key() == key
    with open_store(db_path) as store:
        assert store.content_checksums() == live


def test_reasons_for_refusing_say_what_is_wrong(filled: Store, tmp_path: Path) -> None:
    expected = {
        "no manifest": "it is incomplete (manifest.json is missing, so the backup never finished).",
        "no key": "it is incomplete (client.key is missing).",
        "truncated": "dashboard.duckdb is not the file the backup wrote (damaged, truncated or replaced).",
        "another database": "its database does not hold what the manifest records.",
    }
    for how, reason in expected.items():
        folder = backup_database(filled, to=tmp_path / how.replace(" ", "-"))
        _damage(folder, how)
        with pytest.raises(BackupError) as refused:
            verify_backup(folder)
        assert f"cannot be used: {reason} Nothing was changed" in str(refused.value)


def test_an_interrupted_backup_never_looks_complete(filled: Store, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copyfile", fail)  # the key copy fails, after the database copy
    with pytest.raises(OSError, match="disk full"):
        backup_database(filled, to=tmp_path / "backup")
    assert not [p for p in tmp_path.iterdir() if "backup" in p.name], "a partial backup was left behind"
    assert filled.scalar("SELECT count(*) FROM duckdb_databases() WHERE database_name LIKE 'kpi_backup%'") == 0


def test_backup_refuses_to_overwrite_and_needs_the_key(filled: Store, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(BackupError, match="already exists and is not an empty folder"):
        backup_database(filled, to=tmp_path / "taken")
    filled.close()
    Path(os.environ["KPI_CLIENT_KEY_FILE"]).rename(tmp_path / "moved.key")
    with pytest.raises(BackupError, match="client key file .* is missing"):
        backup_database(filled.path, to=tmp_path / "nokey")
    assert not [p for p in tmp_path.iterdir() if "nokey" in p.name], "a partial backup was left behind"


def test_restore_refuses_while_another_program_holds_the_database(filled: Store, tmp_path: Path) -> None:
    folder = backup_database(filled, to=tmp_path / "backup")
    _load(filled, csv_text(JOURNEY_HEADER, LATER.replace("NRC-2001", "NRC-3001")).encode(), "more.csv")
    live = filled.content_checksums()
    filled.close()
    holder = Holder(filled.path)
    try:
        with pytest.raises(DatabaseBusy, match="is in use by another program .* Stop it and run the restore again"):
            restore_database(backup=folder, db_path=filled.path)
    finally:
        holder.release()
    with open_store(filled.path) as store:
        assert store.content_checksums() == live


def test_cli_backup_and_restore(filled: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    at_backup = filled.content_checksums()
    db = str(filled.path)
    filled.close()
    target = tmp_path / "cli-backup"
    assert main(["backup", "--to", str(target), "--db", db]) == 0
    assert f"to {target}." in capsys.readouterr().out
    assert main(["backup", "--to", str(target), "--db", db]) == 2  # will not overwrite a backup
    assert "already exists" in capsys.readouterr().err
    with open_store(db) as store:
        withdraw_upload(store, upload_id=2)
    assert main(["restore", str(target), "--db", db, "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["database"] == db and row["backup"] == str(target) and row["uploads"] == 5
    assert Path(row["previous_database"]).exists()
    with open_store(db) as store:
        assert store.content_checksums() == at_backup
    assert main(["restore", str(tmp_path / "missing"), "--db", db]) == 2
    (target / MANIFEST).unlink()
    assert main(["restore", str(target), "--db", db]) == 1
    assert "it is incomplete" in capsys.readouterr().err
    with open_store(db) as store:
        assert store.content_checksums() == at_backup
