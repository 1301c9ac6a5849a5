"""Backups of the dashboard's database, and putting one back.

A backup is a folder holding a consistent copy of the whole database (extracts, upload audit,
code lists and results, taken in one transaction), the client key file, and ``manifest.json``
with a checksum of every table and of each file. Without the key, restored clients would never
match the same people in new uploads, so a backup without it is incomplete.

The folder is written under a temporary name and renamed when complete, so a backup that was
interrupted never looks finished. A restore checks the backup opens and matches its manifest
before anything is replaced, keeps the database it replaces next to it, and swaps the files in
one rename each: the user is never left without a database.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from loaders import config
from loaders.store import DatabaseBusy, Store, StoreError, open_store, schema_version_expected, write_turn

BACKUP_DATABASE = "dashboard.duckdb"
BACKUP_KEY = "client.key"
MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(StoreError):
    """A backup cannot be made or used; the message says why and what to do."""


def backup_database(store_or_path: Store | str | os.PathLike[str], *, to: Path) -> Path:
    """Copy the database, its upload audit and its client key into the new folder ``to``.

    Give the open store (the dashboard's shared one) or the database's path; the copy is one
    consistent snapshot either way. Returns the backup folder.
    """
    target = Path(to)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not an empty folder; choose a new folder for the backup.")
    if isinstance(store_or_path, Store):
        return _backup(store_or_path, target)
    path = config.database_path(store_or_path)
    if not path.is_file():
        raise BackupError(f"There is no database at {path} to back up.")
    try:
        store = open_store(path, read_only=True)
    except DatabaseBusy as exc:
        raise DatabaseBusy(f"{exc} Nothing was backed up.") from exc
    with store:
        return _backup(store, target)


def _backup(store: Store, target: Path) -> Path:
    key_path = config.client_key_path(store.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{secrets.token_hex(4)}")
    partial.mkdir(mode=0o700)
    try:
        copy = partial / BACKUP_DATABASE
        alias = f"kpi_backup_{secrets.token_hex(4)}"
        source = _quote(str(store.scalar("SELECT current_database()")))
        store.execute(f"ATTACH ? AS {alias} (READ_WRITE)", [str(copy)])
        try:
            # One transaction: the checksums the copy is verified against and the copy itself see the
            # same snapshot, and no load can land half-way through. (The checksums come first, while
            # the attached copy is still empty and so adds no tables to them.)
            with store.transaction():
                checksums = store.content_checksums()
                store.execute(f"COPY FROM DATABASE {source} TO {alias}")
        finally:
            store.execute(f"DETACH {alias}")
        if key_path.is_file():
            shutil.copyfile(key_path, partial / BACKUP_KEY)
            (partial / BACKUP_KEY).chmod(0o600)
        elif _holds_clients(checksums):
            raise BackupError(
                f"The client key file {key_path} is missing, so the clients in this database could not be "
                "matched after a restore. Set KPI_CLIENT_KEY_FILE to where the key is and back up again."
            )
        with open_store(copy, read_only=True) as check:
            copied = check.content_checksums()
            schema = int(check.scalar("SELECT max(version) FROM schema_version"))
            uploads = int(check.scalar("SELECT count(*) FROM uploads"))
        if copied != checksums:
            raise BackupError(f"The copy in {partial} does not match the database; the backup was not made.")
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now().isoformat(timespec="seconds"),
            "source": str(store.path),
            "schema_version": schema,
            "uploads": uploads,
            "checksums": checksums,
            "files": {name: _file_facts(partial / name) for name in (BACKUP_DATABASE, BACKUP_KEY)
                      if (partial / name).exists()},
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        for name in (*manifest["files"], MANIFEST):
            _fsync(partial / name)
        partial.rename(target)  # the folder appears complete, or not at all
        _fsync(target.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def _holds_clients(checksums: dict[str, str]) -> bool:
    """Whether the tables keyed by client (checksums are "rows:hash") hold any rows."""
    return any(checksums.get(table, "0:0").split(":", 1)[0] != "0" for table in ("journeys", "tops"))


def verify_backup(backup: Path) -> dict[str, Any]:
    """The backup's manifest, once the backup is complete and opens with exactly the recorded content.

    Raises BackupError saying what is wrong otherwise.
    """
    folder = _folder(backup)

    def refuse(why: str) -> BackupError:
        return BackupError(f"The backup in {folder} cannot be used: {why} Nothing was changed; use another backup.")

    try:
        manifest = read_manifest(folder)
        files, checksums = manifest["files"], manifest["checksums"]
        schema = int(manifest["schema_version"])
        if not isinstance(files, dict) or not isinstance(checksums, dict) or not set(files) <= {
                BACKUP_DATABASE, BACKUP_KEY}:
            raise TypeError(MANIFEST)
    except FileNotFoundError:
        raise refuse(f"it is incomplete ({MANIFEST} is missing, so the backup never finished).") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise refuse(f"its {MANIFEST} is damaged.") from None
    if manifest.get("format") != FORMAT:
        raise refuse(f"it was written in an unknown format ({manifest.get('format')!r}).")
    if BACKUP_DATABASE not in files:
        raise refuse(f"its manifest lists no {BACKUP_DATABASE}.")
    if BACKUP_KEY not in files and _holds_clients(checksums):
        raise refuse("it holds clients but no client key file.")
    for name, facts in files.items():
        path = folder / name
        if not path.is_file():
            raise refuse(f"it is incomplete ({name} is missing).")
        if _file_facts(path) != facts:
            raise refuse(f"{name} is not the file the backup wrote (damaged, truncated or replaced).")
    if schema > schema_version_expected():
        raise refuse("it was made by a newer version of the dashboard; update the dashboard first.")
    try:
        with open_store(folder / BACKUP_DATABASE, read_only=True) as check:
            found = check.content_checksums()
    except StoreError as exc:
        raise refuse(f"its database does not open ({exc}).") from exc
    except Exception as exc:  # DuckDB's own errors for a damaged file
        raise refuse(f"its database does not open ({type(exc).__name__}: {exc}).") from exc
    if found != checksums:
        raise refuse("its database does not hold what the manifest records.")
    return manifest


def read_manifest(backup: Path) -> dict[str, Any]:
    """What a backup's manifest says (when, how many uploads, ...), without checking the backup."""
    return json.loads((_folder(backup) / MANIFEST).read_text(encoding="utf-8"))


def _folder(backup: Path) -> Path:
    """The backup folder, also when given a file inside it."""
    folder = Path(backup)
    if folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        raise BackupError(f"There is no backup at {backup}.")
    return folder


def restore_database(*, backup: Path, db_path: Path) -> Path | None:
    """Put the database back to ``backup`` holding the write turn, so no writer comes between the check and
    the swap (see :func:`_restore_database`)."""
    try:
        with write_turn(Path(db_path)):
            return _restore_database(backup=backup, db_path=Path(db_path))
    except DatabaseBusy as exc:
        raise DatabaseBusy(f"{exc} Stop it and run the restore again; nothing was changed.") from exc


def _restore_database(*, backup: Path, db_path: Path) -> Path | None:
    """Put the database (with its audit and client key) back to the state in ``backup``.

    The backup is verified first; the database it replaces is kept beside it as
    ``<name>.before-restore-<time>.duckdb`` (with its key), and that path is returned (None when
    there was no database). Refuses, changing nothing, when the backup is incomplete or damaged
    or when another program has the database open.
    """
    manifest = verify_backup(backup)
    folder = _folder(backup)
    db_path = Path(db_path)
    key_path = config.client_key_path(db_path)
    if db_path.exists():
        try:
            open_store(db_path).close()  # proves no other program holds it, and checkpoints its log
        except DatabaseBusy:
            raise
        except Exception:  # a damaged database is what a restore is for: it is kept aside below
            pass
    db_path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    new_db = db_path.with_name(f".{db_path.name}.restore-{token}")
    new_key = key_path.with_name(f".{key_path.name}.restore-{token}")
    kept: Path | None = None
    try:
        shutil.copyfile(folder / BACKUP_DATABASE, new_db)
        if BACKUP_KEY in manifest["files"]:
            shutil.copyfile(folder / BACKUP_KEY, new_key)
            new_key.chmod(0o600)
        for path, name in ((new_db, BACKUP_DATABASE), (new_key, BACKUP_KEY)):
            if name in manifest["files"]:
                if _file_facts(path) != manifest["files"][name]:
                    raise BackupError(f"Copying {name} from the backup went wrong; nothing was changed.")
                _fsync(path)
        if db_path.exists():
            kept = db_path.with_name(f"{db_path.stem}.before-restore-{datetime.now():%Y%m%d-%H%M%S}-{token}"
                                     f"{db_path.suffix}")
            _keep(db_path, kept)
            wal = db_path.with_name(db_path.name + ".wal")
            if wal.exists():  # a log belongs to the file it was written for, never to the restored one
                os.replace(wal, kept.with_name(kept.name + ".wal"))
            if key_path.is_file():
                shutil.copyfile(key_path, kept.with_suffix(".key"))
                kept.with_suffix(".key").chmod(0o600)
        os.replace(new_db, db_path)
        if new_key.exists():
            os.replace(new_key, key_path)
        _fsync(db_path.parent)
    finally:
        new_db.unlink(missing_ok=True)
        new_key.unlink(missing_ok=True)
    return kept


def _keep(path: Path, kept: Path) -> None:
    """A second name for the current database file (a hard link: instant, no extra space)."""
    try:
        os.link(path, kept)
    except OSError:
        shutil.copy2(path, kept)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _file_facts(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
