"""The Overview and Trajectories pages, timed in a real browser against the running dashboard.

``streamlit run app.py`` is started on the benchmark's database and Debian's headless Chromium
(through Playwright) clicks the sidebar links as a person does. A render's time runs from the
click (recorded in the page by a capturing event listener) to the first animation frame on which
all of these hold:

- the app has run the script since the click and is no longer running (``stApp``'s
  ``data-test-script-state``) and Streamlit's running indicator (``stStatusWidget``) is gone;
- no element of the main area is stale (left over from the page before);
- the page's title is drawn, and its content: the Overview's scorecard table (``stDataFrame`` with
  its canvas), the Trajectories page's two plotly charts with their traces drawn.

Each partnership is first chosen on the light "About the measures" page, so that the next visit to
each page is its first for that selection (nothing of it is in Streamlit's cache: "first visit");
visiting both pages again gives the "cached" time.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import ROOT, clean_environment

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 180_000
CLICK_LOST_MS = 60_000  # a page not drawn after this long from a click: the click is tried once more
WARM_LOADS = 3

# What "drawn" means for each page: a fragment of its title and the content that must be on screen.
PAGES = {
    "Overview": {
        "title": "performance scorecard",
        "content": "[...main.querySelectorAll('[data-testid=\"stDataFrame\"]')]"
                   ".some(d => { const c = d.querySelector('canvas'); return c && c.width > 0; })",
    },
    "Trajectories": {
        "title": "Trajectories",
        "content": "(() => { const plots = [...main.querySelectorAll('.js-plotly-plot')];"
                   " return plots.length >= 2 && plots.every(p => p.querySelector('.main-svg g.trace')); })()",
    },
    "Providers and teams": {
        "title": "Providers and teams",
        "content": "[...main.querySelectorAll('.js-plotly-plot')].some(p => p.querySelector('.main-svg g.trace'))",
    },
    "About the measures": {"title": "About the measures", "content": "true"},
}

_ARM = """
() => {
    window.__bench = {click: null, running: false, done: null};
    document.addEventListener('click', () => { window.__bench.click = performance.now(); },
                              {capture: true, once: true});
    const app = document.querySelector('[data-testid="stApp"]');
    const seen = () => {
        if (window.__bench.click !== null && app.getAttribute('data-test-script-state') === 'running') {
            window.__bench.running = true;
        }
    };
    if (window.__benchObserver) window.__benchObserver.disconnect();
    window.__benchObserver = new MutationObserver(seen);
    window.__benchObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""

_DRAWN = """
() => {
    const b = window.__bench;
    if (!b || b.click === null || !b.running) return false;
    const app = document.querySelector('[data-testid="stApp"]');
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || main.querySelector('[data-stale="true"]')) return false;
    const h1 = main.querySelector('h1');
    if (!h1 || !h1.innerText.includes(TITLE)) return false;
    if (!(CONTENT)) return false;
    b.done = performance.now();
    return true;
}
"""


@dataclass
class PageTimings:
    """Seconds per render, by page and whether the selection was new to the app's cache."""

    first_load_seconds: float | None = None
    warm_load_seconds: list[float] = field(default_factory=list)  # the same, new sessions on the warm server
    server_start_seconds: float | None = None  # from starting serve.py to the server listening
    first_visit: dict[str, list[float]] = field(default_factory=lambda: {"Overview": [], "Trajectories": []})
    cached: dict[str, list[float]] = field(default_factory=lambda: {"Overview": [], "Trajectories": []})
    app_peak_rss_bytes: int | None = None
    app_rss_at_start_bytes: int | None = None
    partnerships: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def start_app(db: Path, log: Path, *, targets: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = clean_environment(KPI_DB=str(db), KPI_TARGETS=str(targets or ROOT / "data" / "targets.toml"))
    handle = log.open("a", encoding="utf-8")
    logged_before = log.stat().st_size
    # No file watcher: other people edit the source while the benchmark runs, and a "source changed"
    # rerun must not land in a timing.
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "serve.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}; see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                _wait_for_warm_up(server, log, logged_before)
                return server, f"http://127.0.0.1:{port}"
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("the dashboard did not start within 90 s")


def _wait_for_warm_up(server: subprocess.Popen, log: Path, offset: int, timeout: float = 180) -> None:
    """A started server is one that has finished its warm-up (warm_up.py logs when): until then
    it answers, but the first page waits for what the warm-up is still doing."""
    from warm_up import DONE

    deadline = time.time() + timeout
    while time.time() < deadline and server.poll() is None:
        with log.open("rb") as handle:
            handle.seek(offset)
            if DONE.encode() in handle.read():
                return
        time.sleep(0.1)


def _drawn_script(title: str) -> str:
    page = PAGES[title]
    return _DRAWN.replace("TITLE", repr(page["title"])).replace("CONTENT", page["content"])


def stop_app(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def click_and_time(pg, title: str) -> float:  # noqa: ANN001 - a Playwright page
    """Click the sidebar link to ``title`` and return seconds from the click to the page drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    link = pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first
    pg.evaluate(_ARM)
    link.click()
    try:
        pg.wait_for_function(_drawn_script(title), polling="raf", timeout=CLICK_LOST_MS)
    except PlaywrightTimeout:
        # Once in a few clean-clone runs a click was not taken up at all (no script ran); click again,
        # and time from the second click. A page that hangs still fails below. Logged so it is seen.
        print(f"[bench] {title}: no page after {CLICK_LOST_MS / 1000:.0f} s; clicking again", flush=True)
        pg.evaluate(_ARM)
        link.click()
        pg.wait_for_function(_drawn_script(title), polling="raf", timeout=TIMEOUT_MS)
    return pg.evaluate("() => (window.__bench.done - window.__bench.click) / 1000")


def open_and_time(pg, url: str) -> float:  # noqa: ANN001
    """Open the dashboard in ``pg`` (a new session): seconds from page.goto to the scorecard drawn."""
    started = time.perf_counter()
    pg.goto(url)
    pg.wait_for_function(
        "() => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
        " return h && h.innerText.includes('performance scorecard')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stApp\"]').getAttribute('data-test-script-state')"
        " === 'notRunning'; }", polling="raf", timeout=TIMEOUT_MS)
    pg.locator("[data-testid='stMain'] [data-testid='stDataFrame'] canvas").first.wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def choose_partnership_and_time(pg, code: str, title: str = "About the measures") -> float:  # noqa: ANN001
    """Pick a partnership in the sidebar's selectbox (its options read "Name (CODE)") on the page ``title``;
    seconds from the click on the option to the page drawn again."""
    pg.evaluate(_ARM)
    box = pg.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Partnership")
    box.locator("input").first.click()
    pg.keyboard.type(code)
    pg.get_by_role("option").filter(has_text=f"({code})").first.click()
    pg.wait_for_function(_drawn_script(title), polling="raf", timeout=TIMEOUT_MS)
    return pg.evaluate("() => (window.__bench.done - window.__bench.click) / 1000")


def time_pages(db: Path, *, partnerships: list[str], log: Path, screenshots: Path | None = None) -> PageTimings:
    """First load, then for each partnership: first visits to Overview and Trajectories, then cached visits."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium is not installed (make system installs it)")
    timings = PageTimings(partnerships=list(partnerships))
    started = time.perf_counter()
    server, url = start_app(db, log)
    timings.server_start_seconds = time.perf_counter() - started
    try:
        timings.app_rss_at_start_bytes = (_status_kib(server.pid, "VmRSS") or 0) * 1024
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            pg = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            timings.first_load_seconds = open_and_time(pg, url)
            # The same first page in new sessions on the now warm server (issue 15's first_page_ratio), each in
            # a newly started Chromium as the cold one was: the ratio compares servers, not browsers' caches.
            for _ in range(WARM_LOADS):
                fresh = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                page = fresh.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                timings.warm_load_seconds.append(open_and_time(page, url))
                fresh.close()
            for code in partnerships:
                click_and_time(pg, "About the measures")
                choose_partnership_and_time(pg, code)
                for title in ("Overview", "Trajectories"):
                    timings.first_visit[title].append(click_and_time(pg, title))
                    if screenshots is not None:
                        screenshots.mkdir(parents=True, exist_ok=True)
                        pg.screenshot(path=str(screenshots / f"{title.lower()}-{code}.png"))
                for title in ("Overview", "Trajectories"):
                    timings.cached[title].append(click_and_time(pg, title))
            browser.close()
        timings.app_peak_rss_bytes = (_status_kib(server.pid, "VmHWM") or 0) * 1024
    finally:
        stop_app(server)
    return timings


if __name__ == "__main__":  # a quick look by hand: python -m bench.browser DB CODE...
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    found = time_pages(Path(sys.argv[1]), partnerships=sys.argv[2:], log=Path("/tmp/bench-streamlit.log"))
    print(found)
