"""Every page of the running dashboard checked with axe-core against WCAG 2.2 AA, on the demo data.

The demo exercises every page (every chart drawn, every status shown), which the small sample
extracts of test_dashboard_in_browser.py do not. The dashboard runs with the shipped
.streamlit/config.toml (its theme sets the text colour that captions are drawn from). axe's
findings for each page are saved in test-artefacts/browser/axe-results.json, and a screenshot
of each page beside them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.accessibility import (
    AXE_SCRIPT,
    STREAMLITS_OWN,
    KnownViolation,
    findings,
    run_axe,
    sort_out,
)
from tests.browser.network import Traffic
from tests.browser.server import dashboard
from tests.browser.test_dashboard_in_browser import (
    ARTEFACTS,
    CHROMIUM,
    FLAGS,
    PAGES,
    ROOT,
    _no_errors,
    _visit,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT.relative_to(ROOT)} is missing: `make test` installs it (npm ci).")
    folder = tmp_path_factory.mktemp("accessibility")
    env = {**os.environ, "KPI_DB": str(folder / "demo.duckdb"), "KPI_CLIENT_KEY_FILE": str(folder / "k.key")}
    subprocess.run([sys.executable, "-m", "loaders", "demo", "--out-dir", str(folder / "extracts")], cwd=ROOT,
                   env=env, check=True, stdout=subprocess.DEVNULL, timeout=300)
    with dashboard(env) as port:
        yield f"http://127.0.0.1:{port}"


def _charts(pg) -> list[dict[str, Any]]:  # noqa: ANN001
    """Each plotly chart on the page: its title as drawn, and whether a table of figures or a table's
    download follows it before the next chart (the figures in words, for whoever cannot see the chart)."""
    return pg.evaluate("""() => {
        const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
        const tables = [...document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stDownloadButton"]')]
            .filter(el => el.dataset.testid === 'stDataFrame' || /as CSV/.test(el.innerText));
        const before = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
        return charts.map((chart, i) => ({
            title: ((chart.querySelector('.gtitle') || {}).textContent || '').trim(),
            table_follows: tables.some(t => before(chart, t) && (i + 1 === charts.length || before(t, charts[i + 1]))),
        }));
    }""")


def test_every_page_meets_wcag_2_2_aa(demo_app: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"axe_version": None, "tags": None, "pages": {}}
    problems: list[str] = []
    seen: set[KnownViolation] = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        traffic = Traffic(context)
        pg = context.new_page()
        pg.traffic = traffic  # type: ignore[attr-defined]
        pg.console_errors = []  # type: ignore[attr-defined]
        pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))  # type: ignore[attr-defined]
        for slug, title in PAGES:
            _visit(pg, demo_app, slug)
            _no_errors(pg, title)
            axe = run_axe(pg)
            charts = _charts(pg)
            results["axe_version"] = axe["testEngine"]["version"]
            results["tags"] = axe["toolOptions"]["runOnly"]["values"]
            results["pages"][title] = {
                "url": pg.url, "violations": axe["violations"],
                "needs_review": [{"id": r["id"], "impact": r["impact"], "help": r["help"], "elements": len(r["nodes"])}
                                 for r in axe["incomplete"]],
                "rules_passed": sorted(r["id"] for r in axe["passes"]),
                "charts": charts,
            }
            pg.screenshot(path=str(ARTEFACTS / f"axe-{slug}.png"), full_page=True)
            ours, known = sort_out(findings(axe["violations"]))
            seen |= known
            problems += [f"{title}: {finding}" for finding in ours]
            problems += [f"{title}: a chart has no title" for chart in charts if not chart["title"]]
        browser.close()
    (ARTEFACTS / "axe-results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    assert not problems, "serious or critical accessibility failures:\n" + "\n".join(problems)
    stale = [k for k in STREAMLITS_OWN if k not in seen]
    assert not stale, f"listed as Streamlit's own but no longer found, so take them off the list: {stale}"
