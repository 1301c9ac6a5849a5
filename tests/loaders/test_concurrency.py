"""Concurrency: programs taking turns with the database, and sessions sharing one connection.

DuckDB lets one process write a file, or several read it. A writer on the command line waits its
turn (saying for whom) while another program holds the database, and goes ahead once it is let go;
one that waits past KPI_LOCK_WAIT fails naming who holds it, and changes nothing. Readers in many
processes read at once; a waiting writer stops new readers queuing in front of it. Inside the
dashboard, sessions share one Store (one connection, serialised by its lock): two uploads at the
same time both land, one after the other, and a reader never sees half of one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loaders.load import LoadResult, load_file
from loaders.store import DatabaseBusy, Store, open_store, writer_waiting
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import SAMPLES
from tests.loaders.test_crash_safety import assert_audit_consistent, journeys_csv

ROOT = Path(__file__).resolve().parents[2]

_HOLDER = """
import sys, time
from loaders.store import open_store
store = open_store(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
sys.stdin.readline()
store.close()
print("let go", flush=True)
time.sleep(120)
"""


class Holder:
    """Another process holding the database (for writing unless told) until it is told to let go, or killed."""

    def __init__(self, path: Path, *, reading: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(path), "read" if reading else "write"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "holding"

    def let_go(self) -> None:
        """Close its connection (the process lives on), as a program does when it has finished."""
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "let go"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def held(store: Store) -> Iterator[tuple[Path, dict[str, str], Holder]]:
    """The test database with some data, its checksums, and another process holding it."""
    for name in ("journeys.csv", "dip.csv"):
        assert load_file(store, data=(SAMPLES / name).read_bytes(), file_name=name).status == "loaded"
    before = store.content_checksums()
    store.close()
    holder = Holder(store.path)
    try:
        yield store.path, before, holder
    finally:
        holder.release()


def _cli(*argv: str, wait: str = "60") -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "loaders", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "KPI_LOCK_WAIT": wait})
    return done, time.monotonic() - started


def test_a_writer_waits_past_its_bound_then_fails_naming_who_holds_the_database(
        held: tuple[Path, dict[str, str], Holder], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, before, holder = held
    done, elapsed = _cli("load", str(SAMPLES / "tops.csv"), "--db", str(path), wait="2")
    assert done.returncode == 1, done
    assert 2 <= elapsed < 15, f"took {elapsed:.1f}s: the command must wait its 2 s, then give up"
    # It said it was waiting, and for whom, while it waited; then why it gave up, naming the holder.
    assert done.stderr.startswith(f"Waiting for the database: a Python program (pid {holder.pid}) is writing it "
                                  "(waiting up to 2 seconds).\n"), done.stderr
    assert (f"error: The database {path} is in use by another program for longer than 2 seconds (KPI_LOCK_WAIT): "
            f"a Python program (pid {holder.pid}) is writing it.") in done.stderr, done.stderr
    assert "set KPI_LOCK_WAIT to wait longer" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    # Every other command that writes or reads waits its bound and says the same, in the same way.
    from loaders.__main__ import main

    monkeypatch.setenv("KPI_LOCK_WAIT", "0.5")
    for argv in (["load", str(SAMPLES / "tops.csv")], ["withdraw", "1"], ["history"],
                 ["demo", "--out-dir", str(path.parent / "demo")], ["backup", "--to", str(path.parent / "b")]):
        started = time.monotonic()
        assert main([*argv, "--db", str(path)]) == 1, argv
        assert 0.5 <= time.monotonic() - started < 5, f"{argv[0]} did not wait its bound"
        err = capsys.readouterr().err
        assert f"(KPI_LOCK_WAIT): a Python program (pid {holder.pid}) is writing it." in err, argv
    holder.release()
    with open_store(path) as store:
        assert store.content_checksums() == before, "a refused command changed the database"


def test_a_load_waits_its_turn_and_lands_when_the_holder_lets_go(store: Store) -> None:
    """Another program writes (then reads); a load started meanwhile says it waits, and loads once let in."""
    assert load_file(store, data=(SAMPLES / "journeys.csv").read_bytes(), file_name="journeys.csv").ok
    store.close()
    for reading in (False, True):
        name = "tops.csv" if reading else "dip.csv"
        holder = Holder(store.path, reading=reading)
        try:
            load = subprocess.Popen([sys.executable, "-m", "loaders", "load", str(SAMPLES / name), "--db",
                                     str(store.path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env={**os.environ, "KPI_LOCK_WAIT": "60"})
            said = load.stderr.readline()
            assert said == (f"Waiting for the database: a Python program (pid {holder.pid}) is "
                            f"{'reading' if reading else 'writing'} it (waiting up to 60 seconds).\n"), said
            time.sleep(0.5)
            assert load.poll() is None, "the load did not wait"
            holder.let_go()
            out, err = load.communicate(timeout=120)
        finally:
            holder.release()
        assert load.returncode == 0, (out, err)
        assert f"Loaded {name} as upload" in out, out
        # Nothing else said but waiting: once in a full suite run (1 of 1123 tests, not reproduced alone in
        # 3 runs) the load, let in by the turn, still found DuckDB's own lock held for a moment after the
        # holder's close and said so again ("another program is writing it") before it loaded.
        assert all(line.startswith("Waiting for the database: ") for line in err.splitlines()), err
    with open_store(store.path) as again:
        assert_audit_consistent(again)
        assert again.scalar("SELECT count(*) FROM uploads WHERE withdrawn_at IS NULL") == 3


def test_readers_read_together_and_a_waiting_writer_goes_before_new_readers(store: Store) -> None:
    assert load_file(store, data=(SAMPLES / "journeys.csv").read_bytes(), file_name="journeys.csv").ok
    store.close()
    path = store.path
    reader = Holder(path, reading=True)  # another program reads ...
    try:
        with open_store(path, read_only=True, wait=0) as mine:  # ... and so can this one, at once
            assert mine.scalar("SELECT count(*) FROM uploads") == 1
        assert not writer_waiting(path)
        writer = threading.Thread(target=lambda: open_store(path, wait=30).close())
        writer.start()
        deadline = time.monotonic() + 10
        while not writer_waiting(path) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer_waiting(path), "the writer did not queue"
        # A new reader now waits behind the writer (which waits for the first reader), instead of starving it.
        with pytest.raises(DatabaseBusy, match=r"is in use by another program for longer .*: .* is writing it"):
            open_store(path, read_only=True, wait=0.3)
        assert writer.is_alive(), "the writer did not wait for the reader"
        reader.let_go()
        writer.join(timeout=30)
        assert not writer.is_alive()
    finally:
        reader.release()
    assert not writer_waiting(path)
    with open_store(path, read_only=True, wait=0) as mine:  # nothing stale is left behind
        assert mine.scalar("SELECT count(*) FROM uploads") == 1


def test_a_killed_holder_leaves_no_stale_lock(store: Store) -> None:
    store.close()
    holder = Holder(store.path)
    assert writer_waiting(store.path)
    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait(timeout=30)
    assert not writer_waiting(store.path)
    assert Path(f"{store.path}.lock").exists()  # the file stays; the lock on it went with the process
    started = time.monotonic()
    with open_store(store.path, wait=0):
        pass
    assert time.monotonic() - started < 5


def test_two_uploads_at_once_through_one_shared_store_both_land_and_readers_never_see_half(
        store: Store, tmp_path: Path) -> None:
    files = {"north.csv": journeys_csv(3000, seed=11, prefix="N"), "south.csv": journeys_csv(3000, seed=12, prefix="S")}
    start = threading.Barrier(len(files) + 1)
    results: dict[str, LoadResult] = {}
    errors: list[BaseException] = []
    loading = threading.Event()
    loading.set()
    reads: list[dict[int, int]] = []

    def upload(name: str) -> None:
        try:
            start.wait()
            results[name] = load_file(store, data=files[name], file_name=name, measure_ids=measure_ids(),
                                      on_change=refresh_results)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def read() -> None:
        try:
            start.wait()
            while loading.is_set():
                # One statement: the rows of each upload and what the audit says, as one snapshot.
                seen = store.rows(
                    "SELECT u.upload_id, u.row_count, count(j.upload_id) FROM uploads u "
                    "LEFT JOIN journeys j USING (upload_id) GROUP BY ALL")
                counts = dict(store.rows("SELECT upload_id, count(*) FROM journeys GROUP BY 1"))
                for upload_id, recorded, stored in seen:
                    assert stored == recorded, f"upload {upload_id}: {stored} of {recorded} rows visible"
                assert all(n == 3000 for n in counts.values()), counts
                reads.append(counts)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(name,)) for name in files] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads[:-1]:
        thread.join(timeout=120)
    loading.clear()
    threads[-1].join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    assert {r.status for r in results.values()} == {"loaded"}
    assert sorted(r.upload_id for r in results.values()) == [1, 2]
    assert store.scalar("SELECT count(*) FROM journeys") == 6000
    assert_audit_consistent(store)
    # The reader read while the uploads landed, and saw them land whole, one at a time.
    landed = [len(r) for r in reads]
    assert len(reads) >= 3 and landed == sorted(landed), landed
    # The results are those of the two files loaded one after the other.
    with open_store(tmp_path / "sequential.duckdb") as sequential:
        for name in sorted(files, key=lambda n: results[n].upload_id):
            load_file(sequential, data=files[name], file_name=name, measure_ids=measure_ids(),
                      on_change=refresh_results)
        expected = sequential.content_checksums()
    found = store.content_checksums()
    for table in ("journeys", "results"):  # (the audit and schema tables hold times, which differ)
        assert found[table] == expected[table], table
