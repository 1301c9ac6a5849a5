"""The one module that talks to DuckDB.

It owns the connection, creates the schema (``schema.sql``) on a new database, applies the
numbered migrations in ``migrations/`` to an older one, seeds the code lists from
``data/codes/`` and runs parameterised SQL. Nothing else in the product opens DuckDB.

Who holds which lock when. DuckDB lets one process write a database file, or several read it,
never both: a read-write connection locks the file against every other process, read-only ones
share it. Every writer (a load, withdrawal, demo or restore from the command line, an upload in
the dashboard) first takes its turn on ``<database>.lock`` (an exclusive ``flock``: one writer at
a time, in the order the kernel grants it) and keeps it until it closes; while a writer holds it,
new readers wait at that turnstile, the readers already open finish, and the writer then gets
DuckDB's write lock. Readers (the dashboard, ``python -m metrics``/``charts``, backups) pass the
turnstile and hold only DuckDB's shared lock. Both wait their turn for at most ``KPI_LOCK_WAIT``
seconds, saying what they wait for, then fail naming who holds the database. Locks belong to
open files, so the kernel drops them when a process ends, however it ends: nothing is ever stale.
"""

from __future__ import annotations

import csv
import fcntl
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
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
    """Another program held the database for longer than this one would wait (``KPI_LOCK_WAIT``)."""


# Told, in words, each time an opening starts to wait or what it waits for changes.
OnWait = Callable[[str], None]
POLL_SECONDS = 0.05
_HOLDER_RE = re.compile(r"held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def _say_on_stderr(note: str) -> None:
    print(note, file=sys.stderr, flush=True)


def lock_path(db_path: Path) -> Path:
    """The writers' turnstile beside the database (its content names the writer holding it)."""
    return db_path.with_name(db_path.name + ".lock")


def describe_process(pid: int) -> str:
    """Who a process is, for people: "the dashboard (pid 812)", "python -m loaders load (pid 90)"."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return f"another program (pid {pid})"
    argv = [a for a in argv if a]
    what = Path(argv[0]).name if argv else "another program"
    if any(a.endswith("serve.py") or a.endswith("app.py") or Path(a).name == "streamlit" for a in argv):
        what = "the dashboard"
    elif "-m" in argv[:-1]:
        module = argv[argv.index("-m") + 1]
        rest = argv[argv.index("-m") + 2:]
        command = next((a for a in rest if not a.startswith("-")), "")
        what = f"python -m {module} {command}".strip()
    elif "-c" in argv:
        what = "a Python program"
    return f"{what} (pid {pid})"


class _Turn:
    """This process's hold on a database's write turn: one thread, re-entrant."""

    def __init__(self, thread: int, fd: int | None) -> None:
        self.thread = thread
        self.fd = fd
        self.count = 1


_turns: dict[str, _Turn] = {}
_turns_lock = threading.Lock()


def _open_lock_file(db_path: Path, *, create: bool) -> int | None:
    try:
        return os.open(lock_path(db_path), (os.O_RDWR | os.O_CREAT) if create else os.O_RDONLY, 0o600)
    except FileNotFoundError:
        return None
    except PermissionError:  # a read-only folder: nobody can write there, so there are no writers to queue
        return None


def _try_flock(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _turn_holder(db_path: Path) -> str:
    try:
        note = lock_path(db_path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        note = ""
    return note or "another program"


def writer_waiting(db_path: Path) -> bool:
    """True while a writer (in any process) holds, or is taking, the database's write turn."""
    with _turns_lock:
        if os.path.realpath(db_path) in _turns:
            return True
    fd = _open_lock_file(db_path, create=False)
    if fd is None:
        return False
    try:
        if _try_flock(fd, fcntl.LOCK_SH):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)


class _Waiting:
    """The bounded wait of one opening: says what it waits for, and fails naming who holds the database."""

    def __init__(self, db_path: Path, seconds: float, on_wait: OnWait | None) -> None:
        self.db_path = db_path
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.on_wait = on_wait
        self.told = ""

    def __call__(self, who: str, doing: str) -> None:
        if time.monotonic() >= self.deadline:
            raise DatabaseBusy(
                f"The database {self.db_path} is in use by another program for longer than {self.seconds:g} "
                f"second{'' if self.seconds == 1 else 's'} (KPI_LOCK_WAIT): {who} is {doing} it. Try again when it "
                "has finished, or set KPI_LOCK_WAIT to wait longer."
            )
        note = f"Waiting for the database: {who} is {doing} it"
        if note != self.told:
            self.told = note
            if self.on_wait is not None:
                self.on_wait(f"{note} (waiting up to {self.seconds:g} seconds).")
        time.sleep(POLL_SECONDS)


def _take_turn(db_path: Path, wait: _Waiting) -> None:
    """Wait for, and take, the write turn (re-entrant in the thread holding it)."""
    key, me = os.path.realpath(db_path), threading.get_ident()
    while True:
        with _turns_lock:
            turn = _turns.get(key)
            if turn is not None and turn.thread == me:
                turn.count += 1
                return
            if turn is None:
                fd = _open_lock_file(db_path, create=True)
                if fd is None or _try_flock(fd, fcntl.LOCK_EX):
                    if fd is not None:
                        os.ftruncate(fd, 0)
                        os.pwrite(fd, f"{describe_process(os.getpid())}\n".encode(), 0)
                    _turns[key] = _Turn(me, fd)
                    return
                os.close(fd)
                who = _turn_holder(db_path)
            else:
                who = f"another session of {describe_process(os.getpid())}"
        wait(who, "writing")


def _give_turn(db_path: Path) -> None:
    key = os.path.realpath(db_path)
    with _turns_lock:
        turn = _turns.get(key)
        if turn is None:
            return
        turn.count -= 1  # (whichever thread closes the store: a turn is never left behind)
        if turn.count:
            return
        del _turns[key]
        if turn.fd is not None:
            os.ftruncate(turn.fd, 0)
            fcntl.flock(turn.fd, fcntl.LOCK_UN)
            os.close(turn.fd)


@contextmanager
def write_turn(db_path: Path, *, wait: float | None = None, on_wait: OnWait | None = _say_on_stderr) -> Iterator[None]:
    """Hold the database's write turn (for work beside the database file, such as a restore's swap)."""
    _take_turn(Path(db_path), _Waiting(Path(db_path), config.lock_wait() if wait is None else wait, on_wait))
    try:
        yield
    finally:
        _give_turn(Path(db_path))


def _pass_turnstile(db_path: Path, wait: _Waiting) -> int | None:
    """A reader waits while a writer holds the turn; returns the lock file, held shared until connected."""
    key, me = os.path.realpath(db_path), threading.get_ident()
    while True:
        with _turns_lock:
            turn = _turns.get(key)
            mine = turn is not None and turn.thread == me
        if mine:
            return None
        if turn is None:
            fd = _open_lock_file(db_path, create=False)  # no file: no writer yet (a backup's copy stays clean)
            if fd is None or _try_flock(fd, fcntl.LOCK_SH):
                return fd
            os.close(fd)
            who = _turn_holder(db_path)
        else:
            who = f"another session of {describe_process(os.getpid())}"
        wait(who, "writing")


def _connect(db_path: Path, *, read_only: bool, wait: _Waiting) -> duckdb.DuckDBPyConnection:
    """DuckDB's own lock: retried while another process (or this one, opened the other way) holds it."""
    while True:
        try:
            return duckdb.connect(str(db_path), read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise StoreError(f"The database {db_path} could not be opened: {exc}") from exc
            found = _HOLDER_RE.search(text)
            who = describe_process(int(found["pid"])) if found else "another program"
            # DuckDB adds that a read-only opening would work when the holder only reads.
            wait(who, "reading" if "read-only mode" in text else "writing")
        except duckdb.ConnectionException as exc:
            if "different configuration" not in str(exc):
                raise StoreError(f"The database {db_path} could not be opened: {exc}") from exc
            wait(f"another session of {describe_process(os.getpid())}", "writing" if read_only else "reading")


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

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool,
                 holds_turn: bool = False) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._holds_turn = holds_turn
        self._key: bytes | None = None
        # The dashboard shares one connection between sessions (threads); DuckDB connections
        # are not safe for concurrent use, so every statement and transaction takes this lock.
        self._lock = threading.RLock()

    # -- life cycle -------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (a writer checkpoints first), then give up the write turn."""
        try:
            self._con.close()
        finally:
            if self._holds_turn:
                self._holds_turn = False
                _give_turn(self.path)

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


def open_store(path: str | Path | None = None, *, read_only: bool = False, wait: float | None = None,
               on_wait: OnWait | None = _say_on_stderr) -> Store:
    """Open (and, when new, create) the database at ``path`` (default: see config).

    A writer waits for its turn and a reader for the writer, each at most ``wait`` seconds (default
    ``KPI_LOCK_WAIT``), telling ``on_wait`` (default: standard error) what it waits for; past that
    it raises DatabaseBusy naming who holds the database.
    """
    db_path = config.database_path(path)
    if read_only and not db_path.exists():
        raise StoreError(f"There is no database at {db_path} yet. Load some files or run the demo first.")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    waiting = _Waiting(db_path, config.lock_wait() if wait is None else wait, on_wait)
    if read_only:
        fd = _pass_turnstile(db_path, waiting)
        try:
            con = _connect(db_path, read_only=True, wait=waiting)
        finally:
            if fd is not None:
                os.close(fd)  # (closing drops the shared hold: the next writer may queue from here)
    else:
        _take_turn(db_path, waiting)
        try:
            con = _connect(db_path, read_only=False, wait=waiting)
        except BaseException:
            _give_turn(db_path)
            raise
    store = Store(con, db_path, read_only=read_only, holds_turn=not read_only)
    try:
        limit = config.memory_limit()
        if limit:
            # Beyond it, DuckDB spills to <database>.tmp (its default temp folder for a database file).
            con.execute(f"SET memory_limit = '{limit}'")
        if not read_only:
            _ensure_schema(store)
    except BaseException:
        store.close()
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
