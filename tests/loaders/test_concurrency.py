"""Concurrency: another program holding the database, and sessions sharing one connection.

A process holding a read-write DuckDB connection locks the file against every other process: the
command line must then fail at once with a message saying what to do, and change nothing. Inside
the dashboard, sessions share one Store (one connection, serialised by its lock): two uploads at
the same time both land, one after the other, and a reader never sees half of one.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loaders.load import LoadResult, load_file
from loaders.store import DatabaseBusy, Store, open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import SAMPLES
from tests.loaders.test_crash_safety import assert_audit_consistent, journeys_csv

ROOT = Path(__file__).resolve().parents[2]

_HOLDER = """
import sys, time
from loaders.store import open_store
store = open_store(sys.argv[1])
print("holding", flush=True)
time.sleep(120)
"""


class Holder:
    """Another process holding the database read-write, as the running dashboard does."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], cwd=ROOT,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "holding"

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


def test_cli_fails_at_once_while_another_program_holds_the_database(
        held: tuple[Path, dict[str, str], Holder], capsys: pytest.CaptureFixture[str]) -> None:
    path, before, holder = held
    with pytest.raises(DatabaseBusy):  # the other process really holds the lock
        open_store(path)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "loaders", "load", str(SAMPLES / "tops.csv"), "--db", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done
    assert elapsed < 15, f"took {elapsed:.1f}s: the command must fail at once, not wait for the lock"
    assert done.stderr.startswith(f"error: The database {path} is in use by another program"), done.stderr
    assert "Upload page" in done.stderr and "stop the other program and try again" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    # Every other command that writes says the same, in the same way.
    from loaders.__main__ import main

    for argv in (["load", str(SAMPLES / "tops.csv")], ["withdraw", "1"], ["history"],
                 ["demo", "--out-dir", str(path.parent / "demo")]):
        started = time.monotonic()
        assert main([*argv, "--db", str(path)]) == 1, argv
        assert time.monotonic() - started < 3, f"{argv[0]} waited for the lock"
        assert "is in use by another program" in capsys.readouterr().err, argv
    holder.release()
    with open_store(path) as store:
        assert store.content_checksums() == before, "a refused command changed the database"


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
