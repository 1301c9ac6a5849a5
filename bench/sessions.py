"""Many people at once: N sessions of the running dashboard driven together over Streamlit's own protocol.

One ``streamlit run app.py`` (``serve.py``) serves the benchmark's database. For each N, N sessions
connect at the same moment; each, as a person would, opens the dashboard (the Overview, default
partnership), chooses its own partnership in the sidebar (the Overview again, for it), then opens
Trajectories and Providers and teams, looking at each page for ``THINK_SECONDS`` before the next
click. Every session is a websocket client speaking the browser's protocol (``BackMsg`` with the
widget states and the page's script hash; ``ForwardMsg`` deltas back), so the server does exactly
the work a browser's session causes; a page's time runs from sending the request to receiving its
last element and ``script_finished``. A page counts as an error when the script raised (an
exception element, or an error alert), did not finish within ``PAGE_TIMEOUT``, the connection
dropped, or the page's content (the scorecard table, both trajectory charts, the funnel chart) never
came.

Why not N real browsers: on this 2-core machine N headless Chromiums would take the CPUs from the
server they measure (each page's React and plotly drawing costs about as much CPU as the server's
script), so the figure would measure the browsers. A person's own browser draws on their own
computer. Instead one real Chromium session walks the same pages alone (``calibrate``), and the
protocol client walks them alone too; the difference per page (the drawing) is added to every
protocol page time: ``time to a drawn page = server's time under load + the browser's drawing``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import GIB, Figure, Target

SESSION_COUNTS = (1, 5, 10, 20)
SMOKE_SESSION_COUNTS = (2,)
WALK = ("Open", "Overview", "Trajectories", "Providers and teams")
THINK_SECONDS = 1.0  # a person looks at a page before the next click
PAGE_TIMEOUT = 120.0
STATS = ("p50", "p95", "errors", "memory")

# What each page must have sent for it to count as drawn: (element type, how many at least).
CONTENT = {"Open": ("dataframe", 1), "Overview": ("dataframe", 1), "Trajectories": ("plotly_chart", 2),
           "Providers and teams": ("plotly_chart", 1)}


def figure_id(scale: str, sessions: int, stat: str) -> str:
    return f"sessions_{scale}_{sessions}_{stat}"


def figure_ids(*, smoke: bool) -> tuple[str, ...]:
    if smoke:
        return tuple(figure_id("demo", n, s) for n in SMOKE_SESSION_COUNTS for s in STATS)
    return tuple(figure_id(scale, n, s) for scale in ("demo", "national") for n in SESSION_COUNTS for s in STATS)


@dataclass
class Visit:
    session: int
    page: str
    seconds: float | None
    error: str | None = None


@dataclass
class Level:
    """What N sessions at once saw, and what the server used meanwhile."""

    sessions: int
    visits: list[Visit]
    wall_seconds: float
    peak_rss_bytes: int
    server_cpu_seconds: float
    margin: dict[str, float] = field(default_factory=dict)  # the browser's drawing, added to each page

    def drawn_seconds(self) -> list[float]:
        return [v.seconds + self.margin.get(v.page, 0.0) for v in self.visits if v.error is None and v.seconds]

    def percentile(self, q: float) -> float | None:
        samples = sorted(self.drawn_seconds())
        if not samples:
            return None
        if len(samples) == 1:
            return samples[0]
        return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]

    @property
    def errors(self) -> list[Visit]:
        return [v for v in self.visits if v.error is not None]


@dataclass
class SessionsResult:
    scale: str
    levels: dict[int, Level] = field(default_factory=dict)
    browser: dict[str, float] = field(default_factory=dict)  # the calibration: one Chromium alone
    protocol: dict[str, float] = field(default_factory=dict)  # the protocol client alone, same walk
    app_peak_rss_bytes: int | None = None
    app_rss_at_start_bytes: int | None = None
    partnerships: int = 0

    @property
    def margin(self) -> dict[str, float]:
        return {page: max(0.0, self.browser[page] - self.protocol[page]) for page in self.browser
                if page in self.protocol}


# -- one session over the websocket ---------------------------------------------------------------------


class PageError(RuntimeError):
    pass


class ProtocolSession:
    """One person's session, speaking to the server as the browser's frontend does."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.ws = None
        self.pages: dict[str, str] = {}  # page title -> script hash
        self.page_hash = ""
        self.area_widget: str | None = None
        self.area_options: list[str] = []
        self.widget_states: dict[str, str] = {}

    async def connect(self) -> None:
        import websockets

        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=PAGE_TIMEOUT, ping_interval=None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page: str, *, page_hash: str | None = None) -> float:
        """Ask for a script run and wait for its end; returns its seconds, raises PageError if it failed."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        for widget, value in self.widget_states.items():
            w = state.widget_states.widgets.add()
            w.id = widget
            w.string_value = value
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        counts: dict[str, int] = {}
        problems: list[str] = []
        deadline = started + PAGE_TIMEOUT
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise PageError(f"{page}: not finished after {PAGE_TIMEOUT:.0f} s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=remaining)
            except TimeoutError as exc:
                raise PageError(f"{page}: not finished after {PAGE_TIMEOUT:.0f} s") from exc
            except Exception as exc:  # the connection dropped
                raise PageError(f"{page}: connection lost ({type(exc).__name__}: {exc})") from exc
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                what = element.WhichOneof("type")
                counts[what] = counts.get(what, 0) + 1
                if what == "exception":
                    first_line = (element.exception.message.strip().splitlines() or [""])[0]
                    problems.append(f"exception {element.exception.type}: {first_line[:200]}")
                elif what == "alert" and element.alert.format == element.alert.ERROR:
                    problems.append(f"error shown: {element.alert.body[:200]}")
                elif what == "selectbox" and element.selectbox.label == "Partnership":
                    self.area_widget = element.selectbox.id
                    self.area_options = list(element.selectbox.options)
            elif kind == "script_finished":
                status = msg.script_finished
                if status == msg.FINISHED_EARLY_FOR_RERUN:
                    continue  # a rerun follows (st.switch_page, st.rerun): the page is the next run
                seconds = time.perf_counter() - started
                if status == msg.FINISHED_WITH_COMPILE_ERROR:
                    problems.append("the script did not compile")
                element, least = CONTENT[page]
                if counts.get(element, 0) < least:
                    problems.append(f"{page} drawn without its content ({counts.get(element, 0)} {element})")
                if problems:
                    raise PageError(f"{page}: " + "; ".join(problems))
                return seconds

    def choose_partnership(self, code: str) -> None:
        if self.area_widget is None:
            raise PageError("no Partnership selectbox in the sidebar")
        option = next((o for o in self.area_options if o.endswith(f"({code})")), None)
        if option is None:
            raise PageError(f"partnership {code} is not among the sidebar's choices")
        self.widget_states = {self.area_widget: option}


async def _walk(number: int, url: str, code: str, start: asyncio.Event, think: float) -> list[Visit]:
    """One session: open, choose ``code``, then Overview (again), Trajectories, Providers and teams."""
    session = ProtocolSession(url)
    visits: list[Visit] = []
    await start.wait()
    try:
        try:
            await session.connect()
            visits.append(Visit(number, "Open", await session.run("Open")))
        except PageError as exc:
            return [Visit(number, page, None, str(exc)) for page in WALK]
        except Exception as exc:  # noqa: BLE001 - a refused connection is an error a person sees
            return [Visit(number, page, None, f"could not connect: {exc}") for page in WALK]
        for page in WALK[1:]:
            await asyncio.sleep(think)
            try:
                if page == "Overview":
                    session.choose_partnership(code)
                    seconds = await session.run(page)
                else:
                    seconds = await session.run(page, page_hash=session.pages[page])
                visits.append(Visit(number, page, seconds))
            except (PageError, KeyError) as exc:
                visits.append(Visit(number, page, None, str(exc)))
    finally:
        await session.close()
    return visits


async def _sessions_at_once(url: str, codes: list[str], think: float) -> list[Visit]:
    start = asyncio.Event()
    tasks = [asyncio.create_task(_walk(i, url, code, start, think)) for i, code in enumerate(codes)]
    await asyncio.sleep(0.05)
    start.set()
    return [visit for visits in await asyncio.gather(*tasks) for visit in visits]


# -- the server's memory and CPU ----------------------------------------------------------------------


class _Sampler:
    """Samples the server's resident memory every 50 ms while a level runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _status_bytes(self.pid, "VmRSS") or 0)
            self._stop.wait(0.05)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_bytes(self.pid, "VmRSS") or 0)


def _status_bytes(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


# -- the calibration: one real browser, alone ------------------------------------------------------------


def _browser_walk(url: str, code: str) -> dict[str, float]:
    """Chromium (Playwright) walks the same pages alone: seconds to each page drawn."""
    from playwright.sync_api import sync_playwright

    from bench import browser

    found: dict[str, float] = {}
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.FLAGS, headless=True)
        try:
            page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            found["Open"] = browser.open_and_time(page, url)
            found["Overview"] = browser.choose_partnership_and_time(page, code, "Overview")
            for title in WALK[2:]:
                found[title] = browser.click_and_time(page, title)
        finally:
            chromium.close()
    return found


async def _default_partnership(url: str) -> str:
    """Open one session (the server's imports and first reads happen here) and return the sidebar's default."""
    session = ProtocolSession(url)
    await session.connect()
    try:
        await session.run("Open")
    finally:
        await session.close()
    return session.area_options[0] if session.area_options else ""


def _protocol_walk(url: str, code: str) -> dict[str, float]:
    """The protocol client walks the pages alone; a page that failed has no time (the levels count it)."""
    visits = asyncio.run(_sessions_at_once(url, [code], think=0.2))
    return {v.page: v.seconds for v in visits if v.error is None and v.seconds is not None}


# -- the whole measurement ------------------------------------------------------------------------------


def time_sessions(db: Path, *, scale: str, partnerships: list[str], counts: tuple[int, ...], log: Path,
                  think: float = THINK_SECONDS, targets: Path | None = None) -> SessionsResult:
    """Start the dashboard on ``db`` and run every level of ``counts`` sessions at once against it."""
    from bench.browser import start_app, stop_app
    from loaders.extracts import ENGLAND

    partnerships = [a for a in partnerships if a != ENGLAND] or partnerships  # England is no partnership
    result = SessionsResult(scale, partnerships=len(partnerships))
    server, url = start_app(db, log, targets=targets)
    try:
        result.app_rss_at_start_bytes = _status_bytes(server.pid, "VmRSS")
        # The first session on a new server pays for its imports (issue 15's cold page, measured in
        # bench.browser); here every level meets a running server.
        default = asyncio.run(_default_partnership(url))
        # Calibration on a partnership other than the default (choosing it must change the page), which
        # both walks find cached: the same work on the server.
        code = next((c for c in partnerships if not default.endswith(f"({c})")), partnerships[0])
        _protocol_walk(url, code)
        # The least of two walks each: drawing and serving the same pages, with the least of other work.
        browser_walks = [_browser_walk(url, code) for _ in range(2)]
        protocol_walks = [_protocol_walk(url, code) for _ in range(2)]
        result.browser = {p: min(w[p] for w in browser_walks if p in w) for p in WALK
                          if any(p in w for w in browser_walks)}
        result.protocol = {p: min(w[p] for w in protocol_walks if p in w) for p in WALK
                           if any(p in w for w in protocol_walks)}
        # Partnerships not visited yet where there are enough (national: 150): nothing of theirs cached.
        fresh = [c for c in partnerships if c != code and not default.endswith(f"({c})")] or partnerships
        offset = 0
        for n in counts:
            codes = [fresh[(offset + i) % len(fresh)] for i in range(n)]
            offset += n
            cpu_before, started = _cpu_seconds(server.pid), time.perf_counter()
            with _Sampler(server.pid) as sampler:
                visits = asyncio.run(_sessions_at_once(url, codes, think))
            wall = time.perf_counter() - started
            result.levels[n] = Level(n, visits, wall, sampler.peak, _cpu_seconds(server.pid) - cpu_before,
                                     margin=result.margin)
            if server.poll() is not None:
                raise RuntimeError(f"the dashboard exited ({server.returncode}) with {n} sessions; see {log}")
        result.app_peak_rss_bytes = _status_bytes(server.pid, "VmHWM")
    finally:
        stop_app(server)
    return result


def demo_database(path: Path, *, log: Path, reuse: bool) -> Path:
    """The demo database (``python -m loaders demo``), built beside the national one for the full run."""
    from bench.measure import ROOT, clean_environment

    if reuse and path.exists():
        return path
    for stale in (path, path.with_suffix(".key"), path.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    extracts = path.parent / "demo-extracts"
    with log.open("a", encoding="utf-8") as handle:
        subprocess.run([sys.executable, "-m", "loaders", "demo", "--db", str(path), "--scale", "demo",
                        "--out-dir", str(extracts)], cwd=ROOT, env=clean_environment(), stdout=handle,
                       stderr=subprocess.STDOUT, check=True, timeout=1800)
    shutil.rmtree(extracts, ignore_errors=True)
    return path


def describe(result: SessionsResult) -> str:
    """The section of results.md: every level's figures, the calibration and the errors."""
    lines = [
        f"{result.scale.capitalize()} database ({result.partnerships} partnerships). Each session: open, choose "
        f"its partnership, Trajectories, Providers and teams, {THINK_SECONDS:.0f} s between clicks. The "
        "browser's drawing added to each page (one Chromium alone minus the protocol client alone, the "
        "same cached pages, the least of two walks each): " + ", ".join(f"{page} {result.browser.get(page, 0):.2f} - "
                                            f"{result.protocol.get(page, 0):.2f} = {m:.2f} s"
                                            for page, m in result.margin.items()) + ".",
        "",
        "| sessions | pages | p50 (s) | p95 (s) | max (s) | errors | wall (s) | server CPU (s) | CPUs busy | "
        "peak memory (GiB) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, level in result.levels.items():
        drawn = level.drawn_seconds()
        lines.append(
            f"| {n} | {len(level.visits)} | {level.percentile(50) or 0:.2f} | {level.percentile(95) or 0:.2f} | "
            f"{max(drawn, default=0):.2f} | {len(level.errors)} | {level.wall_seconds:.1f} | "
            f"{level.server_cpu_seconds:.1f} | {level.server_cpu_seconds / level.wall_seconds:.2f} | "
            f"{level.peak_rss_bytes / GIB:.2f} |")
    by_page = []
    for n, level in result.levels.items():
        for page in WALK:
            samples = [v.seconds for v in level.visits if v.page == page and v.seconds is not None]
            if samples:
                by_page.append(f"{n} sessions, {page}: median {statistics.median(samples):.2f} s, "
                               f"max {max(samples):.2f} s (server only)")
    lines += ["", "Per page: " + "; ".join(by_page) + "."]
    errors = [v for level in result.levels.values() for v in level.errors]
    if errors:
        kinds: dict[str, int] = {}
        for v in errors:
            kinds[" ".join(v.error.split())[:300]] = kinds.get(" ".join(v.error.split())[:300], 0) + 1
        lines += ["", "Errors, by message: " + "; ".join(f"{count} x {text}" for text, count in kinds.items())]
    return "\n".join(lines)


def figures(scale: str, result: SessionsResult | None, counts: tuple[int, ...], note: str) -> list[Figure]:
    """The rows of results.md for one database: p50, p95, errors and the server's peak memory per N."""
    rows: list[Figure] = []
    for n in counts:
        level = result.levels.get(n) if result else None
        pages = len(level.visits) if level else 0
        drawn = level.drawn_seconds() if level else []
        what = (f"{n} session{'s' if n > 1 else ''} at once on the {scale} database, each opening the dashboard, "
                "choosing its own partnership, then Trajectories and Providers and teams (bench/sessions.py)")
        rows.append(Figure(
            figure_id(scale, n, "p50"), f"{n} sessions at once ({scale}): median time to a drawn page",
            level.percentile(50) if level else None, "s", len(drawn),
            f"{what}: the server's time for each page under that load plus the browser's drawing of it "
            "(calibrated against one real Chromium, see below).", samples=tuple(drawn), note=note))
        rows.append(Figure(
            figure_id(scale, n, "p95"), f"{n} sessions at once ({scale}): 95th percentile time to a drawn page",
            level.percentile(95) if level else None, "s", len(drawn), f"{what}: as above, the 95th percentile.",
            Target("<", 3.0, "< 3 s"), note=note))
        rows.append(Figure(
            figure_id(scale, n, "errors"), f"{n} sessions at once ({scale}): pages not drawn or with an error",
            float(len(level.errors)) if level else None, "errors", pages,
            f"{what}: pages whose script raised or showed an error, did not finish within {PAGE_TIMEOUT:.0f} s, "
            "lost the connection or lacked their table or charts, of the pages asked for.",
            Target("==", 0, "0"), note=note))
        rows.append(Figure(
            figure_id(scale, n, "memory"), f"{n} sessions at once ({scale}): the server's peak memory",
            level.peak_rss_bytes / GIB if level else None, "GiB", 1 if level else 0,
            f"{what}: the largest resident memory of the streamlit process (/proc/PID/status VmRSS sampled "
            "every 50 ms) while they ran.", Target("<", 2.0, "< 2 GiB"), note=note))
    return rows
