"""The dashboard and the command line share the database: the real app, real browser sessions, real commands.

The dashboard (serve.py) runs on a temporary database of the sample journeys. While two browser sessions
have it open, ``python -m loaders load`` loads more journeys: it succeeds, and both sessions show the new
figure on their next interaction, with no error and no restart. The reverse: an upload in the browser while
another program reads the database waits for it (saying so on the page) and lands once it has finished. A
writer that waits past KPI_LOCK_WAIT fails with a message naming who holds the database. A dashboard killed
with SIGKILL in the middle of an upload starts again with no manual step, serves, and the audit is whole.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from loaders.load import load_file
from loaders.store import open_store, writer_waiting
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.browser.server import free_port
from tests.browser.test_dashboard_in_browser import CHROMIUM, FLAGS, _settle, _table
from tests.conftest import JOURNEY_HEADER, SAMPLES
from tests.loaders.test_concurrency import Holder
from tests.loaders.test_crash_safety import assert_audit_consistent, journeys_csv

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
LOCK_WAIT = 8  # the server's KPI_LOCK_WAIT: long enough for a small load, short enough to see one give up

# Three more clients in treatment in the partnership of the sample journeys (5 in treatment before).
MORE = JOURNEY_HEADER + "\n" + "\n".join([
    "E08000999,NRC01,,f10001,NRC-2101,30,1,A,OPI,HEROIN,4,2024-04-01,2024-04-08,,,14,C",
    "E08000999,NRC01,,f10002,NRC-2102,31,2,A,OPI,HEROIN,4,2024-04-01,2024-04-08,,,14,C",
    "E08000999,WAY02,,f10003,WAY-2103,32,1,A,NOPI,COCAINE,5,2024-05-01,2024-05-08,,,11,N",
]) + "\n"


class Server:
    """``python serve.py`` on a database, as `make run` starts it; killed at the end whatever happened."""

    def __init__(self, folder: Path, db: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KPI_DB": str(db), "KPI_CLIENT_KEY_FILE": str(folder / "client.key"),
               "KPI_LOCK_WAIT": str(LOCK_WAIT)}
        self.log = (folder / f"server-{self.port}.log").open("w")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "serve.py"), "--server.headless", "true",
                                         "--server.port", str(self.port)], cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail("The dashboard did not answer on /_stcore/health within 90 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log.close()


def _database(folder: Path, name: str = "shared.duckdb") -> Path:
    """A database holding the sample journeys, results computed, closed (the dashboard is not running yet)."""
    db = folder / name
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KPI_CLIENT_KEY_FILE", str(folder / "client.key"))
        with open_store(db) as store:
            assert load_file(store, data=(SAMPLES / "journeys.csv").read_bytes(), file_name="journeys.csv",
                             measure_ids=measure_ids(), on_change=refresh_results).ok
    return db


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("shared")
    db = _database(folder)
    server = Server(folder, db)
    yield server, db
    server.stop()


def _session(browser, url: str):  # noqa: ANN001, ANN202 (playwright objects)
    """A new browser session (its own context: its own Streamlit session) on the Overview page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]
    pg.goto(url)
    pg.locator("[data-testid='stMain'] h1").first.wait_for(timeout=90_000)
    _settle(pg)
    return pg


def _in_treatment(pg) -> str:  # noqa: ANN001
    return {row["Measure"]: row["Value"] for row in _table(pg)}["Numbers in treatment"]


def _no_error(pg, where: str) -> None:  # noqa: ANN001
    assert pg.locator("[data-testid='stException']").count() == 0, f"exception shown in {where}"
    assert pg.locator("[data-testid='stAlertContentError']").count() == 0, f"error shown in {where}"
    body = pg.inner_text("body")
    assert "Traceback" not in body and "in use by another program" not in body, where
    assert not pg.errors, f"browser errors in {where}: {pg.errors}"


HEADINGS = {"Overview": "performance scorecard", "Upload": "Upload extracts"}


def _go(pg, title: str) -> None:  # noqa: ANN001
    """An interaction: follow a link in the sidebar to another page, and wait until that page is drawn."""
    pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    pg.locator("[data-testid='stMain'] h1", has_text=HEADINGS[title]).first.wait_for(timeout=90_000)
    _settle(pg)


def _cli(module: str, *argv: str, db: Path, folder: Path, wait: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KPI_DB": str(db), "KPI_CLIENT_KEY_FILE": str(folder / "client.key"),
           "KPI_LOCK_WAIT": str(wait)}
    return subprocess.run([sys.executable, "-m", module, *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)


def test_a_load_from_the_command_line_shows_in_every_open_session(served: tuple[Server, Path], browser,  # noqa: ANN001
                                                                  tmp_path: Path) -> None:
    server, db = served
    sessions = [_session(browser, server.url) for _ in range(2)]
    for number, pg in enumerate(sessions):
        assert _in_treatment(pg) == "5", number
        _no_error(pg, f"session {number}")
    more = tmp_path / "more-journeys.csv"
    more.write_text(MORE, encoding="utf-8")
    done = _cli("loaders", "load", str(more), db=db, folder=db.parent)
    assert done.returncode == 0, done
    assert "Loaded more-journeys.csv as upload 2" in done.stdout
    for number, pg in enumerate(sessions):  # the next interaction shows it: no restart, no reload
        _go(pg, "Upload")
        assert [row["File"] for row in _table(pg)] == ["more-journeys.csv", "journeys.csv"], number
        _go(pg, "Overview")
        assert _in_treatment(pg) == "8", number
        _no_error(pg, f"session {number} after the load")
    for pg in sessions:
        pg.context.close()


def test_an_upload_in_the_browser_waits_for_a_command_line_read(served: tuple[Server, Path], browser,  # noqa: ANN001
                                                                 tmp_path: Path) -> None:
    server, db = served
    pg = _session(browser, server.url)
    _go(pg, "Upload")
    reading = Holder(db, reading=True)  # a command-line read holds the database (a long report, say)
    try:
        # The real command reads alongside it (readers share), while the dashboard is running too.
        scorecard = _cli("metrics", "scorecard", "--area", "E08000999", "--period", "2024-25 Q2", "--format",
                         "csv", db=db, folder=db.parent)
        assert scorecard.returncode == 0 and "in_treatment" in scorecard.stdout, scorecard
        upload = tmp_path / "tops.csv"
        upload.write_bytes((SAMPLES / "tops.csv").read_bytes())
        pg.set_input_files("input[type=file]", str(upload))
        pg.wait_for_timeout(1000)
        pg.get_by_role("button", name="Check and load").click()
        pg.get_by_text(f"Waiting for the database: a Python program (pid {reading.pid}) is reading it").wait_for(
            timeout=30_000)
        reading.let_go()
    finally:
        reading.release()
    pg.get_by_text("Loaded tops.csv as upload").wait_for(timeout=60_000)
    _settle(pg)
    _no_error(pg, "the upload page")
    pg.context.close()


def test_a_writer_that_waits_past_its_bound_names_who_holds_the_database(served: tuple[Server, Path],
                                                                         browser, tmp_path: Path) -> None:  # noqa: ANN001
    server, db = served
    pg = _session(browser, server.url)
    _go(pg, "Upload")
    before = _cli("loaders", "history", "--format", "csv", db=db, folder=db.parent).stdout
    reading = Holder(db, reading=True)  # a command-line read that takes longer than the dashboard will wait
    try:
        upload = tmp_path / "dip.csv"
        upload.write_bytes((SAMPLES / "dip.csv").read_bytes())
        pg.set_input_files("input[type=file]", str(upload))
        pg.wait_for_timeout(1000)
        pg.get_by_role("button", name="Check and load").click()
        pg.get_by_text("was not loaded, and nothing was changed").wait_for(timeout=60_000)
        text = pg.inner_text("[data-testid='stMain']")
        assert (f"is in use by another program for longer than {LOCK_WAIT} seconds (KPI_LOCK_WAIT): a Python "
                f"program (pid {reading.pid}) is reading it") in text, text
        assert pg.locator("[data-testid='stException']").count() == 0
        # A writer on the command line, with its own short bound, says the same of the holder.
        done = _cli("loaders", "load", str(upload), db=db, folder=db.parent, wait=1)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done
        assert (f"for longer than 1 second (KPI_LOCK_WAIT): a Python program (pid {reading.pid}) is reading it"
                in done.stderr), done.stderr
    finally:
        reading.release()
    writing = Holder(db)  # and a page cannot be drawn while a writer holds the database past the bound
    try:
        pg.locator("[data-testid='stSidebarNav'] a", has_text="Overview").first.click()
        pg.get_by_text(f"for longer than {LOCK_WAIT} seconds (KPI_LOCK_WAIT): a Python program (pid {writing.pid}) "
                       "is writing it").wait_for(timeout=60_000)
        assert pg.locator("[data-testid='stException']").count() == 0
    finally:
        writing.release()
    assert _cli("loaders", "history", "--format", "csv", db=db, folder=db.parent).stdout == before
    _go(pg, "Upload")  # once it has let go, the next interaction draws the page
    _go(pg, "Overview")
    assert _in_treatment(pg).isdigit()
    _no_error(pg, "the overview after the writer let go")
    pg.context.close()


def test_a_dashboard_killed_mid_upload_starts_again_and_serves(browser, tmp_path: Path) -> None:  # noqa: ANN001
    db = _database(tmp_path, "killed.duckdb")
    big = tmp_path / "big-journeys.csv"
    big.write_bytes(journeys_csv(40_000, seed=5, prefix="K"))
    server = Server(tmp_path, db)
    try:
        pg = _session(browser, server.url)
        _go(pg, "Upload")
        pg.set_input_files("input[type=file]", str(big))
        pg.wait_for_timeout(1000)
        pg.get_by_role("button", name="Check and load").click()
        deadline = time.monotonic() + 60
        while not writer_waiting(db) and time.monotonic() < deadline:  # the upload has taken the write turn
            time.sleep(0.02)
        assert writer_waiting(db), "the upload never took the write turn"
        assert "the dashboard" in Path(f"{db}.lock").read_text()
        time.sleep(0.5)  # in the middle of checking or loading the file
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
        pg.context.close()
    finally:
        server.stop()
    assert not writer_waiting(db), "a lock outlived the killed dashboard"
    again = Server(tmp_path, db)  # no manual step: the same command, the same database
    try:
        pg = _session(browser, again.url)
        _no_error(pg, "the dashboard started again")
        assert _in_treatment(pg).replace(",", "").isdigit(), "the overview of the restarted dashboard"
        done = _cli("loaders", "history", "--format", "csv", db=db, folder=tmp_path)
        assert done.returncode == 0, done  # the command line shares it with the restarted dashboard
        with open_store(db, read_only=True) as store:
            assert_audit_consistent(store)
            uploads = store.scalar("SELECT count(*) FROM uploads")
            assert uploads in (1, 2)
        _go(pg, "Upload")  # and it takes an upload again
        pg.set_input_files("input[type=file]", str(SAMPLES / "tops.csv"))
        pg.wait_for_timeout(1000)
        pg.get_by_role("button", name="Check and load").click()
        pg.get_by_text(f"Loaded tops.csv as upload {uploads + 1}").wait_for(timeout=60_000)
        _no_error(pg, "the upload after the restart")
        pg.context.close()
    finally:
        again.stop()
