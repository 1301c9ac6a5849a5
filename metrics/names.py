"""Every area, provider and team by its name.

Areas: the shipped list (``data/codes/areas.csv``: England, the regions, the upper-tier local
authorities, retired codes with their successors) names every area it knows; a name given in an
``indicators`` upload (``AREA_NAME``) names an area of the user's own (the demo partnerships, a
local area) and overrides the list; a name a download gives (Fingertips, ViewIt) is used only for
an area the list does not know; else the code.

Providers and teams: an optional, editable names file (CSV with the columns ``AGNCY``, ``TEAM``
and ``NAME``; ``TEAM`` blank names the provider), shown wherever the code is shown, with the code.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from loaders.areas import area as listed_area
from loaders.areas import area_list
from loaders.config import DATA_DIR, database_path
from loaders.store import Store
from metrics.versioned import per_version

DEFAULT_NAMES = DATA_DIR / "names.csv"
NO_TEAM = "(no team)"

AREA_FIELDS = ["area", "name", "type", "region", "valid_from", "valid_to", "successors", "has_data"]

_UPLOADED_NAMES = """
SELECT i.area_code AS area, arg_max(i.area_name, i.upload_id) AS name, bool_or(u.is_demo) AS demo,
       bool_or(u.kind = 'indicators') AS own
FROM current_indicators i JOIN uploads u USING (upload_id)
WHERE i.area_name IS NOT NULL AND trim(i.area_name) <> ''
GROUP BY i.area_code, u.kind = 'indicators'
"""


@per_version
def area_names(store: Store) -> dict[str, str]:
    """The name of every area known to the list or to the uploads (see the module's note); read once per
    version of the data (metrics.versioned), so the dict is shared: do not change it."""
    names = {a.code: a.display_name for a in area_list()}
    uploaded = store.df(_UPLOADED_NAMES) if _has_indicators(store) else pd.DataFrame(
        columns=["area", "name", "demo", "own"])
    for row in uploaded.itertuples(index=False):
        if row.own or row.area not in names:
            names[row.area] = " ".join(str(row.name).split())
    return names


def area_name(names: dict[str, str], code: str) -> str:
    return names.get(code, code)


def _has_indicators(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM duckdb_views() WHERE view_name = 'current_indicators'"))


def areas_frame(store: Store) -> pd.DataFrame:
    """Every known area, for ``python -m metrics areas``: the list's areas, then those only the uploads
    name (the demo partnerships, local areas), each with whether any figure is loaded for it."""
    names = area_names(store)
    with_data = {r[0] for r in store.rows(
        "SELECT DISTINCT area FROM results UNION SELECT DISTINCT area_code FROM current_indicators")}
    demo = {r[0] for r in store.rows(
        "SELECT DISTINCT unnest(partnerships) FROM uploads WHERE is_demo AND withdrawn_at IS NULL")}
    rows = []
    for a in area_list():
        rows.append({"area": a.code, "name": names[a.code], "type": a.type, "region": a.region_name,
                     "valid_from": a.valid_from, "valid_to": a.valid_to, "successors": " ".join(a.successors),
                     "has_data": a.code in with_data})
    for code in sorted(set(names) - {a.code for a in area_list()}):
        rows.append({"area": code, "name": names[code], "type": "demo" if code in demo else "local", "region": "",
                     "valid_from": None, "valid_to": None, "successors": "", "has_data": code in with_data})
    return _whole_years(pd.DataFrame(rows, columns=AREA_FIELDS))


def _whole_years(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("valid_from", "valid_to"):  # years, not 2023.0
        frame[column] = pd.Series([None if pd.isna(v) else int(v) for v in frame[column]], dtype=object,
                                  index=frame.index)
    return frame


def list_frame() -> pd.DataFrame:
    """The shipped list alone, as :func:`areas_frame` gives it (no database yet)."""
    return pd.DataFrame([{"area": a.code, "name": a.display_name, "type": a.type, "region": a.region_name,
                          "valid_from": a.valid_from, "valid_to": a.valid_to, "successors": " ".join(a.successors),
                          "has_data": False} for a in area_list()], columns=AREA_FIELDS).pipe(_whole_years)


def area_type(code: str) -> str | None:
    found = listed_area(code)
    return found.type if found else None


# --- providers and teams --------------------------------------------------------------------------------------


class NamesError(ValueError):
    """The names file is wrong; the message lists every problem with its row."""


@dataclass(frozen=True)
class UnitNames:
    """Names of providers (by AGNCY) and teams (by AGNCY and TEAM)."""

    providers: dict[str, str]
    teams: dict[tuple[str, str], str]
    path: str = ""

    def provider(self, code: str) -> str:
        """'Harbour Road Recovery (NRC01)', or the code when it has no name."""
        name = self.providers.get(code)
        return f"{name} ({code})" if name else code

    def team(self, group: str) -> str:
        """A team group ('NRC01/CJIT', 'NRC01/(no team)') by its name: 'Criminal justice team (NRC01/CJIT)';
        a team without a name of its own by its provider's: 'Harbour Road Recovery, EAR (NRC01/EAR)'."""
        agency, _, team = group.partition("/")
        name = self.teams.get((agency, team))
        provider = self.providers.get(agency)
        if name:
            return f"{name} ({group})"
        if provider:
            return f"{provider}, {team} ({group})"
        return group

    def label(self, breakdown: str, group: str) -> str:
        """A group of a provider or team breakdown by its name; any other group as it is."""
        if breakdown == "provider":
            return self.provider(group)
        if breakdown == "team":
            return self.team(group)
        return group


def user_names_path() -> Path:
    """Where a names file uploaded in the dashboard is kept: next to the database."""
    return database_path().with_suffix(".names.csv")


def names_path() -> Path:
    """The names file in force: KPI_NAMES, else one uploaded in the dashboard (next to the database),
    else the shipped data/names.csv."""
    env = os.environ.get("KPI_NAMES")
    if env:
        return Path(env)
    uploaded = user_names_path()
    return uploaded if uploaded.exists() else DEFAULT_NAMES


def parse_names(text: str, *, path: str = "") -> UnitNames:
    """Read a names file; raise NamesError listing every problem (row as a spreadsheet shows it)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    rows = [r for r in reader if any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        return UnitNames({}, {}, path)
    header = [c.strip().upper() for c in rows[0]]
    problems = [f"the column {c} is missing from the header" for c in ("AGNCY", "NAME") if c not in header]
    if problems:
        raise NamesError("The names file has problems:\n- " + "\n- ".join(problems))
    at = {c: header.index(c) for c in ("AGNCY", "TEAM", "NAME") if c in header}
    providers: dict[str, str] = {}
    teams: dict[tuple[str, str], str] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in at.items()}
        agency, team, name = cells["AGNCY"], cells.get("TEAM", ""), " ".join(cells["NAME"].split())
        if not agency or not name:
            problems.append(f"row {number}: give both AGNCY and NAME")
            continue
        key = (agency, team or NO_TEAM) if team else None
        if key is None:
            if agency in providers:
                problems.append(f"row {number}: provider {agency} is named twice")
            providers[agency] = name
        else:
            if key in teams:
                problems.append(f"row {number}: team {agency}/{team} is named twice")
            teams[key] = name
    if problems:
        raise NamesError("The names file has problems:\n- " + "\n- ".join(problems))
    return UnitNames(providers, teams, path)


def load_names(path: str | os.PathLike[str] | None = None) -> UnitNames:
    """The provider and team names in force (no file: no names)."""
    file = Path(path) if path else names_path()
    try:
        mtime = file.stat().st_mtime
    except OSError:
        return UnitNames({}, {}, str(file))
    return _load(str(file), mtime)


def load_names_or_none() -> UnitNames:
    """The names in force for showing figures; a names file with problems names nothing (the Upload
    page, which takes the file, says what is wrong with it)."""
    try:
        return load_names()
    except (NamesError, OSError, UnicodeDecodeError):
        return UnitNames({}, {})


@lru_cache(maxsize=8)
def _load(path: str, _mtime: float) -> UnitNames:
    return parse_names(Path(path).read_text(encoding="utf-8"), path=path)


def save_user_names(text: str) -> UnitNames:
    """Check a names file and, if it is sound, put it in force for the dashboard and CLI."""
    checked = parse_names(text)
    path = user_names_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return UnitNames(checked.providers, checked.teams, str(path))
