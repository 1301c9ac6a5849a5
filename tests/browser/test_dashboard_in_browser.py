"""The running dashboard driven as a person drives it, in Debian's headless Chromium.

Starts the dashboard (`serve.py`, i.e. `streamlit run app.py`) on a fresh database, uploads a journeys file through the real
file input, sees the scorecard appear, visits every page, fails on any exception text,
browser console error or request to another host, and saves a screenshot of each page under
test-artefacts/browser/. The app runs with the shipped .streamlit/config.toml, as `make run` runs it.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.accessibility import findings, run_axe, sort_out
from tests.browser.network import Traffic
from tests.browser.server import dashboard
from tests.conftest import JOURNEY_HEADER, SAMPLES

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PAGES = [("overview", "Overview"), ("trajectories", "Trajectories"), ("providers", "Providers and teams"),
         ("compare", "Compare areas"),
         ("equality", "Equality"), ("criminal_justice", "Criminal justice"), ("quality", "Data quality and TOPs"),
         ("export", "Export"), ("about", "About the measures"), ("upload", "Upload")]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium).")
    folder = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "KPI_DB": str(folder / "fresh.duckdb"), "KPI_CLIENT_KEY_FILE": str(folder / "k.key")}
    # No --server.address and no --browser.gatherUsageStats: the shipped settings must keep it private.
    with dashboard(env) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        traffic = Traffic(context)
        pg = context.new_page()
        pg.traffic = traffic  # type: ignore[attr-defined]
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
    assert not pg.traffic.outside(), f"the browser asked another host on {where}: {pg.traffic.outside()}"
    assert pg.locator("[data-testid='stException']").count() == 0, f"exception shown on {where}"
    body = pg.inner_text("body")
    assert "Traceback" not in body, f"traceback on {where}"
    errors = [e for e in pg.console_errors if "favicon" not in e]
    assert not errors, f"browser console errors on {where}: {errors}"


def _accessible(pg, where: str) -> None:  # noqa: ANN001
    """No serious or critical WCAG 2.2 AA failure of the product's making on the page as it is (axe-core)."""
    ours, _ = sort_out(findings(run_axe(pg)["violations"]))
    assert not ours, f"accessibility failures on {where}:\n" + "\n".join(str(f) for f in ours)


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


def _table(pg, nth: int = 0) -> list[dict[str, str]]:  # noqa: ANN001
    """The rows of the nth table on the page, as a screen reader reads them. The grid paints its cells
    on a canvas; inside the canvas it keeps the same cells as an accessible table, and that is read here."""
    grid = pg.locator("[data-testid='stDataFrame']").nth(nth)
    grid.locator("tbody tr").first.wait_for(state="attached", timeout=30_000)
    columns = grid.locator("thead th").all_text_contents()
    return [dict(zip(columns, row.locator("td").all_text_contents(), strict=True))
            for row in grid.locator("tbody tr").all()]


def test_upload_then_every_page(app_url: str, page) -> None:  # noqa: ANN001
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pg = page
    _visit(pg, app_url, "overview")
    assert "No data yet" in pg.inner_text("body")
    pg.screenshot(path=str(ARTEFACTS / "00-empty.png"), full_page=True)
    _no_errors(pg, "the empty overview")
    _accessible(pg, "the empty overview")  # every page with data: test_accessibility.py

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
    assert _table(pg) == [{"Row": "2", "Column": "AGE", "Value": "12",
                           "Problem": "AGE must be a whole number from 18 to 110."}]
    with pg.expect_download() as download:
        pg.get_by_role("button", name="Download the problems (CSV)").click()
    assert "AGE must be a whole number from 18 to 110." in Path(download.value.path()).read_text(encoding="utf-8")
    pg.screenshot(path=str(ARTEFACTS / "02-rejected.png"), full_page=True)
    _no_errors(pg, "the rejected upload")
    _accessible(pg, "the rejected upload")

    # The sample journeys, as tests/pages/test_pages.py::test_overview_shows_the_fixture_figures reckons them.
    _visit(pg, app_url, "overview")
    assert "Rolling 12 months to 30 September 2024 (2024-25 Q2)" in pg.inner_text("[data-testid='stMain']")
    values = {row["Measure"]: row["Value"] for row in _table(pg)}
    assert (values["Numbers in treatment"], values["Numbers in effective treatment"],
            values["Effective treatment rate"]) == ("5", "3", "60.0%")
    for number, (slug, title) in enumerate(PAGES, start=3):
        _visit(pg, app_url, slug)
        _no_errors(pg, title)
        pg.screenshot(path=str(ARTEFACTS / f"{number:02d}-{slug}.png"), full_page=True)
    # The recorder heard the app's own traffic, its WebSocket included, so its silence above means something.
    assert {urlsplit(url).scheme for url in pg.traffic.urls} >= {"http", "ws"}


def _outward_addresses() -> list[tuple[socket.AddressFamily, str]]:
    """This machine's addresses towards its network, one per family: connecting a UDP socket sends
    nothing, it only picks the route (and so the address) a packet would take."""
    found = []
    for family, somewhere in ((socket.AF_INET, "198.51.100.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((somewhere, 9))
                found.append((family, s.getsockname()[0]))
        except OSError:  # no route for this family
            continue
    return found


def _answers(family: socket.AddressFamily, address: str, port: int) -> bool:
    with socket.socket(family) as s:
        s.settimeout(3)
        return s.connect_ex((address, port)) == 0


def test_the_running_dashboard_answers_on_the_loopback_only(app_url: str) -> None:
    port = urlsplit(app_url).port
    assert port is not None and _answers(socket.AF_INET, "127.0.0.1", port)
    addresses = _outward_addresses()
    if not addresses:
        pytest.skip("This machine has no address besides the loopback: nothing else to try the dashboard on")
    for family, address in addresses:
        # Proof that the address can be reached at all: a socket listening on every interface answers there.
        with socket.socket(family) as control:
            control.bind(("", 0))
            control.listen()
            if not _answers(family, address, control.getsockname()[1]):
                pytest.skip(f"This machine cannot reach its own address {address}, so the check would prove nothing")
        assert not _answers(family, address, port), f"the dashboard answers on {address}, port {port}"
