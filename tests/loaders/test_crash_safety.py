"""Crash safety: a load killed at any moment leaves the whole upload or none of it, and the audit true.

Each trial runs ``python -m loaders load`` (the real command, refreshing the results) on a copy of a
database that already holds one upload, and kills it with SIGKILL at a random moment between its
start and the time an uninterrupted load takes. The moments are spread evenly over that time (one
random moment in each of N equal slices), so a kill lands in every phase: parsing, checking, the
transaction, the results refresh, the commit and the checkpoint when the database closes.

To spend the time on loads rather than on Python starting up, one helper process imports the
product once and forks a fresh child for each trial; the helper kills the child itself (it has not
yet collected the child, so its process id cannot have been reused) and reports how it ended.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from loaders.load import load_file
from loaders.store import Store, open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import JOURNEY_HEADER

TRIALS = 20
ROWS = 4000
ROOT = Path(__file__).resolve().parents[2]

# The helper: imports the product once, then forks one child per request and kills it when told.
_FORKER = r"""
import json, os, signal, sys, time
from loaders.__main__ import main

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        code = 3
        try:
            code = main(request["argv"])
        finally:
            os._exit(code)
    killed = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if request["kill_after"] is not None and time.monotonic() - started >= request["kill_after"]:
            os.kill(pid, signal.SIGKILL)  # our own child, not yet collected: this id is still ours
            killed = True
            done, status = os.waitpid(pid, 0)
            break
        time.sleep(0.0005)
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "killed": killed,
                      "seconds": time.monotonic() - started}), flush=True)
"""


def journeys_csv(rows: int, *, seed: int, prefix: str) -> bytes:
    """A valid journeys extract of ``rows`` journeys for one partnership, the same for the same seed."""
    rng = random.Random(seed)
    lines = [JOURNEY_HEADER]
    for i in range(rows):
        triaged = date(2023, 4, 1) + timedelta(days=rng.randrange(540))
        disd = triaged + timedelta(days=rng.randrange(1, 200)) if rng.random() < 0.5 else None
        if disd and disd > date(2024, 9, 30):
            disd = None
        lines.append(",".join((
            "E08000999", rng.choice(("NRC01", "WAY02", "CGL03")), rng.choice(("", "CJIT")), f"c{rng.randrange(10**9)}",
            f"{prefix}{i:06d}", str(rng.randrange(18, 80)), rng.choice("1239"), rng.choice("ABCHJMNZ"),
            rng.choice(("OPI", "NOPI", "NOPIALC", "ALC")), rng.choice(("HEROIN", "CRACK", "ALCOHOL", "")),
            rng.choice(("3", "4", "5", "8", "13")), (triaged - timedelta(days=rng.randrange(30))).isoformat(),
            triaged.isoformat(), disd.isoformat() if disd else "", rng.choice(("80", "85", "89")) if disd else "",
            rng.choice(("11", "13", "14", "")), rng.choice("PCNZ"),
        )))
    return ("\n".join(lines) + "\n").encode()


class Forker:
    """The helper process: ``run`` loads in a forked child, killed after ``kill_after`` seconds if given."""

    def __init__(self) -> None:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        self.process = subprocess.Popen([sys.executable, "-c", _FORKER], cwd=ROOT, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def run(self, argv: list[str], *, kill_after: float | None = None) -> dict:
        self.process.stdin.write(json.dumps({"argv": argv, "kill_after": kill_after}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def forker() -> Iterator[Forker]:
    helper = Forker()
    yield helper
    helper.close()


def _copy_database(source: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copyfile(source, folder / "kpi.duckdb")
    return folder / "kpi.duckdb"


def _state(store: Store) -> dict[str, str]:
    """The database's content, apart from the time stamps of the audit."""
    sums = store.content_checksums()
    sums["uploads"] = str(store.rows(
        "SELECT upload_id, file_name, sha256, kind, row_count, partnerships, periods, reporting_period, "
        "withdrawn_at IS NULL FROM uploads ORDER BY upload_id"))
    return sums


def assert_audit_consistent(store: Store) -> None:
    """Every active upload has exactly its recorded rows; no rows belong to anything else."""
    uploads = {u: (kind, rows, active) for u, kind, rows, active in store.rows(
        "SELECT upload_id, kind, row_count, withdrawn_at IS NULL FROM uploads")}
    for table in ("journeys", "tops", "dip", "indicators"):
        stored = dict(store.rows(f"SELECT upload_id, count(*) FROM {table} GROUP BY 1"))
        for upload_id, count in stored.items():
            assert upload_id in uploads, f"{count} orphan {table} rows of upload {upload_id} with no audit row"
            kind, rows, active = uploads[upload_id]
            assert kind == table and active and count == rows, (upload_id, table, count, uploads[upload_id])
        for upload_id, (kind, rows, active) in uploads.items():
            if kind == table and active:
                assert stored.get(upload_id, 0) == rows, f"upload {upload_id} records {rows} rows"


def test_a_load_killed_at_any_moment_leaves_all_or_nothing(tmp_path: Path, forker: Forker) -> None:
    first, second = journeys_csv(ROWS, seed=1, prefix="A"), journeys_csv(ROWS, seed=2, prefix="B")
    (tmp_path / "second.csv").write_bytes(second)
    base = tmp_path / "base.duckdb"
    with open_store(base) as store:
        assert load_file(store, data=first, file_name="first.csv", measure_ids=measure_ids(),
                         on_change=refresh_results).status == "loaded"
        before = _state(store)
    assert not base.with_name(base.name + ".wal").exists()

    def argv(db: Path) -> list[str]:
        return ["load", str(tmp_path / "second.csv"), "--db", str(db)]

    # The uninterrupted load: how long it takes, and the state it ends in.
    reference = _copy_database(base, tmp_path / "reference")
    clean = forker.run(argv(reference))
    assert clean["exit"] == 0 and not clean["killed"], clean
    with open_store(reference) as store:
        after = _state(store)
        assert_audit_consistent(store)
    assert after != before and after["journeys"].startswith(f"{2 * ROWS}:")

    rng = random.Random(20240401)
    outcomes = {"none": 0, "all": 0, "killed": 0}
    for trial in range(TRIALS):
        db = _copy_database(base, tmp_path / f"trial{trial}")
        moment = clean["seconds"] * (trial + rng.random()) / TRIALS
        ended = forker.run(argv(db), kill_after=moment)
        assert ended["killed"] or ended["exit"] == 0, ended
        outcomes["killed"] += ended["killed"]
        with open_store(db) as store:  # it opens (replaying its log if the kill left one) ...
            assert_audit_consistent(store)
            state = _state(store)
            # ... and holds all of the second upload or none of it: the state before, or the one after.
            assert state in (before, after), f"trial {trial}: killed after {moment:.3f}s left a half-way state"
            landed = state == after
            outcomes["all" if landed else "none"] += 1
            # A normal load works afterwards (without the results refresh, to keep the test quick), and
            # the rows end as those of the uninterrupted load.
            again = load_file(store, data=second, file_name="second.csv", measure_ids=measure_ids())
            assert again.status == ("duplicate" if landed else "loaded"), again
            assert store.content_checksums()["journeys"] == after["journeys"]
            assert_audit_consistent(store)
        shutil.rmtree(db.parent)
    # The kills really cut loads short, and some came before the commit. (Whether some also land
    # between the commit and the end depends on this machine's timing, so it is not asserted.)
    assert outcomes["killed"] >= TRIALS // 2 and outcomes["none"] > 0, outcomes


def test_the_forked_child_really_is_killed(tmp_path: Path, forker: Forker) -> None:
    """The helper's SIGKILL arrives (a load cut off at once leaves no trace)."""
    path = tmp_path / "big.csv"
    path.write_bytes(journeys_csv(ROWS, seed=3, prefix="C"))
    db = tmp_path / "kill.duckdb"
    open_store(db).close()
    ended = forker.run(["load", str(path), "--db", str(db)], kill_after=0.0)
    assert ended["killed"] and ended["exit"] == -signal.SIGKILL, ended
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM uploads") == 0
        assert store.scalar("SELECT count(*) FROM journeys") == 0
