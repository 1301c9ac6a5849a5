"""The one Streamlit-aware module: the shared connection, cached reads and the sidebar selection.

Caches live only here. Every cached read is keyed by the data version (the latest upload
or withdrawal), so an upload shows at once; `data_changed()` also clears them. Cached values
are never mutated by the pages.

The dashboard reads through one read-only connection shared by every session (`_Reader`), and
writes only for the seconds an upload or a withdrawal takes (`writing()`). Whenever a writer waits,
here or on the command line (see loaders/store.py), the reader lets the database go as soon as the
statements running have finished, and opens it again afterwards. The data version is read from
the database on every script run; a run that finds the database changed under it (the reader was
opened again and the version moved) starts again, so a page never mixes two versions.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from charts import plain_text
from charts.theme import sources_in_words
from loaders import config
from loaders.extracts import ENGLAND
from loaders.load import demo_loaded, history_frame, upload_version
from loaders.periods import Quarter
from loaders.store import DatabaseBusy, Store, StoreError, open_store, writer_waiting
from metrics import compare, indicators, reports
from metrics.names import names_path
from metrics.registry import Measure
from metrics.targets import TargetsError, TargetSet, targets_path


@dataclass(frozen=True)
class Selection:
    """What the user is looking at: a partnership, a quarter and a comparator."""

    area: str
    area_name: str
    period: Quarter
    comparator: str
    comparator_name: str


class _Reader:
    """The dashboard's read-only connection, shared by every session and let go whenever a writer waits.

    Kept open between script runs (a page costs no reconnect); while it is open no other program can
    write, so what it reads cannot change under it. ``generation`` counts its openings: a statement
    run on a newer generation than a run's version was read on checks the version again.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = 0
        self._store: Store | None = None
        self._users = 0
        self._made: tuple[int, int] | None = None  # the file last created or migrated here (device, inode)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        threading.Thread(target=self._watch, name="kpi-database-reader", daemon=True).start()

    @contextmanager
    def statement(self, on_wait: Callable[[str], None] | None = None) -> Iterator[tuple[Store, int]]:
        """The open connection and its generation, for one statement or one short read."""
        with self._cond:
            while self._store is not None and writer_waiting(self.path):
                if not self._users:
                    self._let_go()
                    break
                self._cond.wait(0.05)  # the statements running finish; no new one starts meanwhile
            if self._store is None:
                self._open(on_wait)
            self._users += 1
            held, generation = self._store, self.generation
        try:
            yield held, generation
        finally:
            with self._cond:
                self._users -= 1
                if not self._users and writer_waiting(self.path):
                    self._let_go()
                self._cond.notify_all()

    def _open(self, on_wait: Callable[[str], None] | None) -> None:
        try:
            made = os.stat(self.path)
            made_key: tuple[int, int] | None = (made.st_dev, made.st_ino)
        except OSError:
            made_key = None
        if made_key is None or made_key != self._made:
            # A new database, or another file put in its place (a restore): create it or bring its schema
            # up to date once, as a writer, before reading it.
            with open_store(self.path, on_wait=on_wait) as writer:
                pass
            made = os.stat(writer.path)
            self._made = (made.st_dev, made.st_ino)
        self._store = open_store(self.path, read_only=True, on_wait=on_wait)
        self.generation = next(_generations)

    def _let_go(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _watch(self) -> None:
        """Let the database go for a writer that waits while no session is reading."""
        while not self._stop.wait(0.1):
            with self._cond:
                if self._store is not None and not self._users and writer_waiting(self.path):
                    self._let_go()

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._let_go()


_generations = itertools.count(1)  # unique in the process, whichever database a reader opens


@st.cache_resource(show_spinner=False, on_release=lambda reader: reader.close())
def _reader(path: str) -> _Reader:
    return _Reader(Path(path))


# The version this thread's script run has shown so far, and the reader generation it was read on.
_seen = threading.local()


def _check_version(held: Store, generation: int) -> str:
    """The data version; when the reader was opened again since this run read it and it moved, run again."""
    pinned: tuple[int, str] | None = getattr(_seen, "pin", None)
    if pinned is not None and pinned[0] == generation:
        return pinned[1]
    version = upload_version(held)
    _seen.pin = (generation, version)
    if pinned is not None and pinned[1] != version and get_script_run_ctx(suppress_warning=True) is not None:
        st.rerun()  # this run has drawn figures of the version before: draw the page again, all of it new
    return version


class _Reading(Store):
    """What :func:`store` hands the pages: each statement on the shared read-only connection, at this run's
    version. (A statement waits while a writer writes, silently; the run's first read says so on the page.)"""

    def __init__(self, reader: _Reader) -> None:  # (no connection of its own)
        self._reader = reader
        self.path = reader.path
        self.read_only = True
        self._holds_turn = False
        self._key = None
        self._lock = threading.RLock()

    @contextmanager
    def _held(self) -> Iterator[Store]:
        with self._reader.statement() as (held, generation):
            _check_version(held, generation)
            yield held

    def df(self, sql: str, params: Any = None) -> pd.DataFrame:
        with self._held() as held:
            return held.df(sql, params)

    def rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self._held() as held:
            return held.rows(sql, params)

    def arrow(self, sql: str, params: Any = None) -> Any:
        with self._held() as held:
            return held.arrow(sql, params)

    def register(self, name: str, table: Any) -> None:
        with self._held() as held:
            held.register(name, table)

    def unregister(self, name: str) -> None:
        with self._held() as held:
            held.unregister(name)

    def client_key(self) -> bytes:
        with self._held() as held:
            return held.client_key()

    def transaction(self) -> Any:
        raise StoreError("The dashboard's reader cannot write; use state.writing().")

    def close(self) -> None:
        pass


def store() -> Store:
    """The database for reading, at the version this script run shows."""
    return _Reading(_reader(str(config.database_path())))


@contextmanager
def _notices() -> Iterator[Callable[[str], None]]:
    """Say on the page what a wait is for, for as long as it lasts."""
    box: Any = None

    def show(note: str) -> None:
        nonlocal box
        if get_script_run_ctx(suppress_warning=True) is None:
            return
        if box is None:
            box = st.empty()
        box.info(plain_text.for_markdown(note), icon=":material/hourglass_top:")

    try:
        yield show
    finally:
        if box is not None:
            box.empty()


@contextmanager
def writing() -> Iterator[Store]:
    """The database for writing, for the seconds one upload or withdrawal takes: the shared reader lets
    it go, other sessions and programs wait their turn (at most KPI_LOCK_WAIT seconds)."""
    with _notices() as show, open_store(config.database_path(), on_wait=show) as writer:
        yield writer


def data_version() -> str:
    """Changes whenever an upload lands or is withdrawn, or the names file changes (figures carry names).

    Read from the database on every script run, so a load from the command line shows on the next
    interaction in every session."""
    try:
        named = names_path().stat().st_mtime_ns
    except OSError:
        named = 0
    try:
        with _notices() as show, _reader(str(config.database_path())).statement(on_wait=show) as (held, generation):
            version = _check_version(held, generation)
    except DatabaseBusy as exc:  # another program held it for longer than KPI_LOCK_WAIT: say who, try on next visit
        st.error(plain_text.for_markdown(exc), icon=":material/hourglass_disabled:")
        st.stop()
    return f"{version}:{named}"


def data_changed() -> None:
    """Forget every cached read after an upload or a withdrawal."""
    _seen.pin = None
    st.cache_data.clear()


@st.cache_data(show_spinner=False)
def _targets(path: str, _mtime: float, _version: str) -> TargetSet:
    return indicators.load_targets_for(store(), path)


def targets() -> TargetSet:
    """The targets in force: the user's chosen file, else KPI_TARGETS, else data/targets.toml; checked
    against the indicators loaded (so it is read again when the data change)."""
    path = str(targets_path())
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        mtime = 0.0
    try:
        return _targets(path, mtime, data_version())
    except TargetsError as exc:
        st.error(plain_text.for_markdown(exc, lines=True))  # it quotes the targets file
        return TargetSet(())


@st.cache_data(show_spinner=False)
def areas(version: str) -> pd.DataFrame:
    return reports.areas(store())


@st.cache_data(show_spinner=False)
def comparators(version: str) -> pd.DataFrame:
    return reports.comparators(store())


@st.cache_data(show_spinner=False)
def quarters(version: str, area: str) -> list[str]:
    return [q.label for q in reports.quarters(store(), area=area)]


@st.cache_data(show_spinner=False)
def is_demo(version: str) -> bool:
    return demo_loaded(store())


@st.cache_data(show_spinner=False)
def uploads(version: str) -> pd.DataFrame:
    return history_frame(store())


def sidebar() -> Selection | None:
    """The shared selection, drawn in the sidebar; None when there is no data yet."""
    version = data_version()
    if is_demo(version):
        st.sidebar.warning("**Demo data.** The figures shown are synthetic, not real clients.", icon=":material/warning:")
    choices = areas(version)
    if choices.empty:
        st.sidebar.info("No data yet: upload extracts on the Upload page.")
        return None
    names = dict(zip(choices["area"], choices["name"], strict=True))
    # Options are plain text in a selectbox (never markdown); a name from a file is cleaned of controls.
    area = st.sidebar.selectbox("Partnership", list(names),
                                format_func=lambda a: f"{plain_text.clean(names[a])} ({a})", key="area")
    labels = quarters(version, area)
    if not labels:
        return None
    period = st.sidebar.selectbox("Quarter (rolling 12 months to its end)", labels[::-1], key="period")
    comp = comparators(version)
    comp = comp[comp["area"] != area]
    comp_names = dict(zip(comp["area"], comp["name"], strict=True)) or {ENGLAND: "England"}
    comparator = st.sidebar.selectbox("Compare with", list(comp_names),
                                      format_func=lambda a: plain_text.clean(comp_names[a]), key="comparator")
    st.sidebar.caption(f"Targets: {plain_text.for_markdown(targets_path().name)}")
    return Selection(area, names[area], Quarter.parse(period), comparator, comp_names[comparator])


def source_line(version: str) -> str:
    """Where the figures come from, for every chart's source line."""
    if is_demo(version):
        return "Source: synthetic demo data, not real figures"
    up = uploads(version)
    active = up[up["status"] == "active"] if not up.empty else up
    if active.empty:
        return "Source: no uploads"
    latest = pd.to_datetime(active["when"]).max()
    count = f"{len(active)} upload" if len(active) == 1 else f"{len(active)} uploads"
    return f"Source: {sources_in_words(sorted(set(active['kind'])))}, {count}, latest {latest:%d %b %Y}"


@st.cache_data(show_spinner=False)
def scorecard(version: str, area: str, period: str, comparator: str, breakdown: str | None,
              targets: TargetSet) -> pd.DataFrame:
    return reports.scorecard(store(), area=area, period=Quarter.parse(period), targets=targets,
                             breakdown=breakdown, comparator=comparator)


@st.cache_data(show_spinner=False)
def series(version: str, kpi: str, area: str, comparator: str, breakdown: str | None,
           targets: TargetSet) -> pd.DataFrame:
    return reports.series(store(), kpi=kpi, area=area, targets=targets, breakdown=breakdown,
                          comparator=comparator)


@st.cache_data(show_spinner=False)
def funnel(version: str, kpi: str, period: str, area: str | None, breakdown: str, targets: TargetSet) -> pd.DataFrame:
    return reports.funnel(store(), kpi=kpi, period=Quarter.parse(period), targets=targets, area=area,
                          breakdown=breakdown)


@st.cache_data(show_spinner=False)
def previous_values(version: str, area: str, period: str) -> pd.DataFrame:
    return reports.previous_values(store(), area=area, period=Quarter.parse(period))


@st.cache_data(show_spinner=False)
def has_computed(version: str, area: str) -> bool:
    return reports.has_computed(store(), area=area)


def no_extracts_note(area_name: str, what: str) -> str:
    """Said where a page needs a partnership's own extracts and it has none (only published figures)."""
    return (f"{what} come from the partnership's own extracts, and none has been uploaded for "
            f"{plain_text.for_markdown(area_name)}: its figures are published ones (a Fingertips download, a ViewIt "
            "export), for the partnership as a whole. Upload its journeys extract on the Upload page to see them.")


@st.cache_data(show_spinner=False)
def exceptions(version: str, period: str, area: str | None, targets: TargetSet) -> pd.DataFrame:
    return reports.exceptions(store(), period=Quarter.parse(period), targets=targets, area=area)


def selection_or_stop() -> Selection:
    """The sidebar selection; with no data yet, an empty state that points to the Upload page."""
    selection = st.session_state.get("selection")
    if selection is None:
        st.title("No data yet")
        st.info("There is nothing to show until extracts are loaded. Upload your quarterly NDTMS extracts on "
                "the Upload page (or run `make run` on a new machine to load the synthetic demo data).")
        st.page_link("pages/upload.py", label="Go to the Upload page", icon=":material/upload_file:")
        st.stop()
    return selection


@st.cache_data(show_spinner=False)
def indicator_choices(version: str, area: str, targets: TargetSet) -> list[tuple[str, str]]:
    return reports.indicator_choices(store(), area=area, targets=targets)


@st.cache_data(show_spinner=False)
def measure_of(version: str, kpi: str, targets: TargetSet) -> Measure:
    return reports.measure_of(store(), kpi=kpi, targets=targets)


@st.cache_data(show_spinner=False)
def trends(version: str, area: str, period: str) -> dict[str, list[float | None]]:
    """Each measure's small trend line: its last 8 quarters."""
    return reports.recent_values(store(), area=area, period=Quarter.parse(period))


@st.cache_data(show_spinner=False)
def measure_frame(version: str, area: str, period: str, breakdown: str, kpi: str, targets: TargetSet) -> pd.DataFrame:
    return reports.measure_frame(store(), area=area, period=Quarter.parse(period), targets=targets,
                                 breakdown=breakdown, kpi=kpi)


@st.cache_data(show_spinner=False)
def monthly(version: str, area: str, kpi: str) -> pd.DataFrame:
    return reports.monthly(store(), area=area, kpi=kpi)


@st.cache_data(show_spinner=False)
def missing_fields(version: str, area: str, period: str) -> pd.DataFrame:
    return reports.missing_fields(store(), area=area, period=Quarter.parse(period))


@st.cache_data(show_spinner=False)
def compare_choices(version: str, targets: TargetSet) -> list[tuple[str, str]]:
    """(id, name) of each measure and indicator that two or more areas have figures of."""
    return compare.choices(store(), targets=targets)


@st.cache_data(show_spinner=False)
def compare_periods(version: str, kpi: str) -> list[str]:
    return compare.periods(store(), kpi=kpi)


@st.cache_data(show_spinner=False)
def compare_groups(version: str, targets: TargetSet) -> list[str]:
    """The comparator groups' names: the targets file's, then the regions."""
    return [g.name for g in compare.groups(store(), targets=targets)]


@st.cache_data(show_spinner=False)
def compare_areas(version: str, kpi: str, period: str, group: str | None, area: str | None,
                  targets: TargetSet) -> pd.DataFrame:
    return compare.compare(store(), kpi=kpi, period=period, targets=targets, group=group, area=area)


@st.cache_data(show_spinner=False)
def compare_funnel(version: str, kpi: str, period: str, group: str | None, area: str | None,
                   targets: TargetSet) -> pd.DataFrame:
    return compare.compare_funnel(store(), kpi=kpi, period=period, targets=targets, group=group, area=area)


def sign_in_configured() -> bool:
    """True when an identity provider is set up ([auth] in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than returning empty
        return False


def signed_in_email() -> str | None:
    if not sign_in_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    return getattr(st.user, "email", None)


def may_change_data() -> bool:
    """May the person using the app upload, withdraw or change targets?"""
    try:
        extra = tuple(st.secrets.get("access", {}).get("uploaders", ())) if sign_in_configured() else ()
    except Exception:
        extra = ()
    return config.may_change_data(email=signed_in_email(), sign_in_configured=sign_in_configured(),
                                  allowed=config.uploaders(extra))


def sign_in_page() -> None:
    """The only page shown until a person signs in, when sign-in is configured."""
    st.title("Drug and alcohol treatment performance")
    st.write("This dashboard holds sensitive figures. Sign in with your organisation's account to continue.")
    st.button("Sign in", type="primary", on_click=st.login)


def access_notice() -> None:
    """Say in the sidebar who is signed in, or that the dashboard is open to anyone on this machine."""
    if sign_in_configured():
        email = signed_in_email()
        role = "can upload and withdraw" if may_change_data() else "can browse and export"
        st.sidebar.caption(f"Signed in as {plain_text.for_markdown(email)} ({role}).")
        st.sidebar.button("Sign out", on_click=st.logout)
    else:
        st.sidebar.caption(":material/lock_open: Open access: sign-in is not configured, so anyone who can reach "
                           "this machine can browse and upload. See the README's Security section.")
