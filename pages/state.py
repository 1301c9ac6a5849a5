"""The one Streamlit-aware module: the shared connection, cached reads and the sidebar selection.

Caches live only here. Every cached read is keyed by the data version (the latest upload
or withdrawal), so an upload shows at once; `data_changed()` also clears them. Cached values
are never mutated by the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from charts import plain_text
from charts.theme import sources_in_words
from loaders import config
from loaders.extracts import ENGLAND
from loaders.load import demo_loaded, history_frame, upload_version
from loaders.periods import Quarter
from loaders.store import Store, open_store
from metrics import indicators, reports
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


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return open_store(path)


def store() -> Store:
    return _store(str(config.database_path()))


def data_version() -> str:
    """Changes whenever an upload lands or is withdrawn, or the names file changes (figures carry names)."""
    try:
        named = names_path().stat().st_mtime_ns
    except OSError:
        named = 0
    return f"{upload_version(store())}:{named}"


def data_changed() -> None:
    """Forget every cached read after an upload or a withdrawal."""
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
