"""The dashboard's shared read-only connection (pages/state.py `_Reader`) takes turns with writers.

It stays open between reads, lets the database go as soon as a writer in another process waits and no
statement is running (never in the middle of one), and when opened again it is a new generation, on
which a run checks the data version again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from loaders.load import load_file, upload_version
from loaders.store import Store
from pages import state
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]


def _load_from_the_command_line(db: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "loaders", "load", str(SAMPLES / name), "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "KPI_LOCK_WAIT": "60"})


def test_the_reader_lets_a_writer_in_between_statements_and_sees_its_load(store: Store) -> None:
    assert load_file(store, data=(SAMPLES / "journeys.csv").read_bytes(), file_name="journeys.csv").ok
    store.close()
    reader = state._Reader(store.path)
    try:
        with reader.statement() as (held, first):
            before = upload_version(held)
            load = _load_from_the_command_line(store.path, "tops.csv")
            said = load.stderr.readline()  # the load waits for the statement running ...
            assert said.startswith("Waiting for the database: ") and "is reading it" in said, said
            time.sleep(0.5)
            assert load.poll() is None, "a writer got in during a statement"
            assert upload_version(held) == before
        out, err = load.communicate(timeout=120)  # ... and gets in once it has finished
        assert load.returncode == 0 and "Loaded tops.csv as upload 2" in out, (out, err)
        with reader.statement() as (held, second):
            assert second != first, "the reader was not opened again after the load"
            assert upload_version(held) != before
    finally:
        reader.close()


def test_a_run_checks_the_version_again_on_a_new_generation(store: Store) -> None:
    assert load_file(store, data=(SAMPLES / "journeys.csv").read_bytes(), file_name="journeys.csv").ok
    store.close()
    reader = state._Reader(store.path)
    try:
        state._seen.pin = None
        with reader.statement() as (held, generation):
            version = state._check_version(held, generation)
            assert state._seen.pin == (generation, version)
        assert _load_from_the_command_line(store.path, "dip.csv").wait(timeout=120) == 0
        with reader.statement() as (held, generation):
            # Outside a script run nothing is drawn again; the pin follows the database.
            assert state._check_version(held, generation) != version
            assert state._seen.pin == (generation, upload_version(held))
    finally:
        state._seen.pin = None
        reader.close()
