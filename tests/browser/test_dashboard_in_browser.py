"""The running dashboard driven as a person drives it, in Debian's headless Chromium.

Starts `streamlit run app.py` on a fresh database, uploads a journeys file through the real
file input, sees the scorecard appear, visits every page, fails on any exception text or
browser console error, and saves a screenshot of each page under test-artefacts/browser/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import JOURNEY_HEADER, SAMPLES

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PAGES = [("overview", "Overview"), ("trajectories", "Trajectories"), ("providers", "Providers and teams"),
         ("equality", "Equality"), ("criminal_justice", "Criminal justice"), ("quality", "Data quality and TOPs"),
         ("export", "Export"), ("about", "About the measures"), ("upload", "Upload")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium).")
    folder = tmp_path_factory.mktemp("browser")
    port = _free_port()
    env = {**os.environ, "KPI_DB": str(folder / "fresh.duckdb"), "KPI_CLIENT_KEY_FILE": str(folder / "k.key")}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.3)
    else:
        server.kill()
        pytest.fail("The dashboard did not start within 60 s")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.console_errors = []  # type: ignore[attr-defined]
        pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))  # type: ignore[attr-defined]
        pg.on("response", lambda r: pg.console_errors.append(f"HTTP {r.status} {r.url}")  # type: ignore[attr-defined]
              if r.status >= 400 else None)
        pg.on("requestfailed", lambda r: pg.console_errors.append(f"request failed {r.url}"))  # type: ignore[attr-defined]
        yield pg
        browser.close()


def _settle(pg) -> None:  # noqa: ANN001
    pg.wait_for_load_state("networkidle")
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    pg.wait_for_timeout(800)


def _no_errors(pg, where: str) -> None:  # noqa: ANN001
    assert pg.locator("[data-testid='stException']").count() == 0, f"exception shown on {where}"
    body = pg.inner_text("body")
    assert "Traceback" not in body, f"traceback on {where}"
    errors = [e for e in pg.console_errors if "favicon" not in e]
    assert not errors, f"browser console errors on {where}: {errors}"


def _visit(pg, base: str, slug: str) -> None:  # noqa: ANN001
    """Go to a page as a person does: by its link in the sidebar (the first time, by address)."""
    title = dict(PAGES)[slug]
    if base not in pg.url:
        pg.goto(base)
        pg.locator("[data-testid='stMain'] h1").first.wait_for(timeout=60_000)
    pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    pg.wait_for_timeout(500)
    pg.locator("[data-testid='stMain'] h1").first.wait_for(timeout=60_000)
    _settle(pg)


def test_upload_then_every_page(app_url: str, page) -> None:  # noqa: ANN001
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pg = page
    _visit(pg, app_url, "overview")
    assert "No data yet" in pg.inner_text("body")
    pg.screenshot(path=str(ARTEFACTS / "00-empty.png"), full_page=True)
    _no_errors(pg, "the empty overview")

    _visit(pg, app_url, "upload")
    pg.set_input_files("input[type=file]", str(SAMPLES / "journeys.csv"))
    pg.wait_for_timeout(1500)
    pg.get_by_role("button", name="Check and load").click()
    pg.get_by_text("Loaded journeys.csv as upload 1").wait_for(timeout=60_000)
    pg.screenshot(path=str(ARTEFACTS / "01-uploaded.png"), full_page=True)
    _no_errors(pg, "the upload page")

    bad = ARTEFACTS.parent / "bad-journeys.csv"
    bad.write_text(JOURNEY_HEADER + "\nE08000999,NRC01,,x1,E9,12,1,A,OPI,HEROIN,4,,2024-05-01,,,14,C\n")
    pg.set_input_files("input[type=file]", str(bad))
    pg.wait_for_timeout(1500)
    pg.get_by_role("button", name="Check and load").click()
    pg.get_by_text("was rejected with 1 problem").wait_for(timeout=60_000)
    assert "AGE must be a whole number from 18 to 110." in pg.inner_text("body") or pg.locator(
        "[data-testid='stDataFrame']").count() > 0
    pg.screenshot(path=str(ARTEFACTS / "02-rejected.png"), full_page=True)

    _visit(pg, app_url, "overview")
    body = pg.inner_text("body")
    assert "performance scorecard" in body
    assert "Numbers in treatment" in body or pg.locator("[data-testid='stDataFrame']").count() > 0
    for number, (slug, title) in enumerate(PAGES, start=3):
        _visit(pg, app_url, slug)
        _no_errors(pg, title)
        pg.screenshot(path=str(ARTEFACTS / f"{number:02d}-{slug}.png"), full_page=True)
