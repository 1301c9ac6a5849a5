"""The real Fingertips and ViewIt downloads, dropped onto the Upload page of the running dashboard unchanged
(issue 12): they load, and the partnership they describe appears by its name with its published figures.

Starts the dashboard on a fresh database in Debian's headless Chromium, as tests/browser/
test_dashboard_in_browser.py does, and saves screenshots under test-artefacts/browser/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.browser.network import Traffic
from tests.browser.server import dashboard
from tests.browser.test_dashboard_in_browser import (
    ARTEFACTS,
    CHROMIUM,
    FLAGS,
    _no_errors,
    _table,
    _visit,
)
from tests.conftest import FIXTURES

pytestmark = pytest.mark.browser
DOWNLOADS = FIXTURES / "downloads"
FILES = ("fingertips_93517_unmet_opiates.csv", "ndtms_viewit_LAs_2012-14_sample.csv", "ndtms_viewit_England.csv")


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("downloads")
    env = {**os.environ, "KPI_DB": str(folder / "fresh.duckdb"), "KPI_CLIENT_KEY_FILE": str(folder / "k.key")}
    with dashboard(env) as port:
        yield f"http://127.0.0.1:{port}"


def test_real_downloads_through_the_upload_page(fresh_app: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.traffic = Traffic(context)  # type: ignore[attr-defined]
        pg.console_errors = []  # type: ignore[attr-defined]
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))  # type: ignore[attr-defined]

        _visit(pg, fresh_app, "upload")
        pg.set_input_files("input[type=file]", [str(DOWNLOADS / name) for name in FILES])
        pg.wait_for_timeout(1500)
        pg.get_by_role("button", name="Check and load").click()
        for number, name in enumerate(FILES, start=1):
            pg.get_by_text(f"Loaded {name} as upload {number}").wait_for(timeout=120_000)
        body = pg.inner_text("[data-testid='stMain']")
        assert "13 figures from a fingertips download" in body
        assert "figures from a viewit download for E09000003" in body
        assert "were not loaded: the dashboard shows the area's figures by sex, by age group and by drug group" in body
        history = _table(pg)
        assert [row["Kind"] for row in history] == ["viewit", "viewit", "fingertips"]
        pg.screenshot(path=str(ARTEFACTS / "30-real-downloads-uploaded.png"), full_page=True)
        _no_errors(pg, "the upload of the real downloads")

        # Barnet, named (the ViewIt export names it; the list gives its code), with its published figures for
        # the year to 31 March 2014: 1,435 in treatment; 255 of 1,405 completing successfully.
        _visit(pg, fresh_app, "overview")
        main = pg.inner_text("[data-testid='stMain']")
        assert "Barnet: performance scorecard" in main
        assert "Rolling 12 months to 31 March 2014 (2013-14 Q4)" in main
        values = {row["Measure"]: row["Value"] for row in _table(pg)}
        assert values["Numbers in treatment"] == "1,435"
        assert values["Successful completions, all"] == "18.1%"
        assert "Barnet (E09000003)" not in pg.inner_text("[data-testid='stSidebar']")
        pg.screenshot(path=str(ARTEFACTS / "31-barnet-overview.png"), full_page=True)
        _no_errors(pg, "Barnet's overview")
        for slug in ("trajectories", "equality", "export"):
            _visit(pg, fresh_app, slug)
            _no_errors(pg, f"Barnet's {slug}")
            pg.screenshot(path=str(ARTEFACTS / f"32-barnet-{slug}.png"), full_page=True)
        browser.close()
