"""The one module that talks to DuckDB.

It owns the connection, creates the schema (``schema.sql``) on a new database, applies the
numbered migrations in ``migrations/`` to an older one, seeds the code lists from
``data/codes/`` and runs parameterised SQL. Nothing else in the product opens DuckDB.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from loaders import config

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

EXTRACT_TABLES = ("journeys", "tops", "dip", "indicators")


class StoreError(RuntimeError):
    """A problem with the database a user can act on; the message says what to do."""


class DatabaseBusy(StoreError):
    """Another program holds the database for writing."""


def _migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_RE.match(path.name)
        if match:
            found.append((int(match[1]), path))
    return found


def schema_version_expected() -> int:
    """The schema version this code works with: 1 for schema.sql plus one per migration."""
    migrations = _migrations()
    return migrations[-1][0] if migrations else 1


class Store:
    """A DuckDB database holding the extracts, the audit and the results.

    Use :func:`open_store`; close it (or use it as a context manager) when done, since a
    process holding a read-write connection locks the file against every other process.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._key: bytes | None = None
        # The dashboard shares one connection between sessions (threads); DuckDB connections
        # are not safe for concurrent use, so every statement and transaction takes this lock.
        self._lock = threading.RLock()

    # -- life cycle -------------------------------------------------------------------
    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries ------------------------------------------------------------------------
    def df(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a query and return its rows as a pandas DataFrame."""
        with self._lock:
            return self._con.execute(sql, params or []).df()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        row = self.one(sql, params)
        return row[0] if row else None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        self.rows(sql, params)

    def arrow(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        with self._lock:
            return self._con.sql(sql, params=params or None).to_arrow_table()

    def register(self, name: str, table: Any) -> None:
        """Make an Arrow table or DataFrame queryable by ``name`` on this connection."""
        with self._lock:
            self._con.register(name, table)

    def unregister(self, name: str) -> None:
        with self._lock:
            self._con.unregister(name)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing: every statement inside lands together, or none does."""
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield self
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            else:
                self._con.execute("COMMIT")

    # -- privacy --------------------------------------------------------------------------
    def client_key(self) -> bytes:
        """The secret key for hashing client identifiers, kept outside the database."""
        with self._lock:
            if self._key is None:
                path = config.client_key_path(self.path)
                if not path.exists():
                    if self.read_only:
                        raise StoreError(f"The client key file {path} is missing.")
                    _create_key_file(path)
                key = path.read_text(encoding="ascii").strip()
                if len(key) < 32:
                    raise StoreError(f"The client key file {path} is damaged (too short); restore it from a backup.")
                self._key = key.encode("ascii")
            return self._key

    # -- integrity --------------------------------------------------------------------------
    def content_checksums(self) -> dict[str, str]:
        """A checksum of every table's content, independent of row order.

        Used to prove that a rejected file changed nothing.
        """
        tables = [r[0] for r in self.rows("SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1")]
        sums: dict[str, str] = {}
        for table in tables:
            digest = self.one(
                f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "{table}" t'
            )
            sums[table] = f"{digest[0]}:{digest[1]}" if digest else "0:0"
        return sums


def _create_key_file(path: Path) -> None:
    """Write a new random key readable only by its owner; never replace an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created the key first: then theirs is used
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def open_store(path: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Open (and, when new, create) the database at ``path`` (default: see config)."""
    db_path = config.database_path(path)
    if read_only and not db_path.exists():
        raise StoreError(f"There is no database at {db_path} yet. Load some files or run the demo first.")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusy(
                f"The database {db_path} is in use by another program (for example the running "
                "dashboard or another load). Load the file from the dashboard's Upload page, or stop "
                "the other program and try again."
            ) from exc
        raise StoreError(f"The database {db_path} could not be opened: {exc}") from exc
    store = Store(con, db_path, read_only=read_only)
    limit = config.memory_limit()
    if limit:
        # Beyond it, DuckDB spills to <database>.tmp (its default temp folder for a database file).
        con.execute(f"SET memory_limit = '{limit}'")
    if not read_only:
        try:
            _ensure_schema(store)
        except BaseException:
            con.close()
            raise
    return store


def _ensure_schema(store: Store) -> None:
    exists = store.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'"
    )
    if not exists:
        with store.transaction():
            for statement in _statements(SCHEMA_FILE.read_text(encoding="utf-8")):
                store.execute(statement)
            store.execute("INSERT INTO schema_version VALUES (1, ?)", [datetime.now()])
            _seed_code_lists(store)
    current = store.scalar("SELECT max(version) FROM schema_version") or 1
    for number, path in _migrations():
        if number > current:
            with store.transaction():
                for statement in _statements(path.read_text(encoding="utf-8")):
                    store.execute(statement)
                store.execute("INSERT INTO schema_version VALUES (?, ?)", [number, datetime.now()])
    if current > schema_version_expected():
        raise StoreError(
            f"The database {store.path} was written by a newer version of the dashboard "
            f"(schema {current}); update the dashboard before using it."
        )


def _statements(sql: str) -> list[str]:
    """Split a .sql file into statements (no semicolons inside our own literals)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def _seed_code_lists(store: Store) -> None:
    for path in sorted(config.CODES_DIR.glob("*.csv")):
        if path.name == "areas.csv":  # the area list is read from its file (loaders/areas.py)
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                store.execute(
                    "INSERT INTO code_lists VALUES (?, ?, ?, ?)",
                    [path.stem, row["code"], row["label"], row["category"]],
                )



def scratch_store() -> Store:
    """An in-memory database for checking a file before anything touches the real one."""
    return Store(duckdb.connect(":memory:"), Path(":memory:"), read_only=False)
