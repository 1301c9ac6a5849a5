"""England, its regions and upper-tier local authorities: codes, names, and names read back to codes.

The list is shipped as ``data/codes/areas.csv`` (ONS GSS codes and names, each authority's
region, the years of the 1 April its code came into and went out of use, and the successors of a
retired code; sources in ``docs/areas.md``). It names every area the dashboard shows, and turns the
names a download uses (NDTMS ViewIt exports name areas, they do not code them; Fingertips
shortens some names) back into codes.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from loaders.config import CODES_DIR

AREAS_FILE = CODES_DIR / "areas.csv"
ENGLAND = "E92000001"


@dataclass(frozen=True)
class Area:
    """One area of the list. ``valid_to`` is None while the code is in use."""

    code: str
    name: str
    type: str  # country | region | utla
    region_code: str
    region_name: str
    valid_from: int
    valid_to: int | None
    successors: tuple[str, ...]

    def valid_on(self, day: date) -> bool:
        """Whether the code was in use on ``day`` (codes change on 1 April)."""
        # 2009 stands for "since the 9-character codes began": no start to check.
        started = self.valid_from <= 2009 or date(self.valid_from, 4, 1) <= day
        ended = self.valid_to is not None and day >= date(self.valid_to, 4, 1)
        return started and not ended

    @property
    def display_name(self) -> str:
        """The name as the dashboard shows it: 'Somerset (code retired 2023; now E06000066)'."""
        if self.valid_to is None:
            return self.name
        return f"{self.name} (code retired {self.valid_to}; now {' and '.join(self.successors)})"


def _type(code: str) -> str:
    return "country" if code == ENGLAND else "region" if code.startswith("E12") else "utla"


@lru_cache(maxsize=4)
def _read(path: Path) -> tuple[Area, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Area(code=r["area_code"], name=r["area_name"], type=_type(r["area_code"]),
                 region_code=r["region_code"], region_name=r["region_name"], valid_from=int(r["valid_from"]),
                 valid_to=int(r["valid_to"]) if r["valid_to"] else None,
                 successors=tuple(r["successor_codes"].split()))
            for r in csv.DictReader(handle)
        )


def area_list() -> tuple[Area, ...]:
    """Every area of the shipped list, England first, then the regions, then the authorities."""
    return _read(AREAS_FILE)


def area(code: str) -> Area | None:
    """The listed area with this code, or None."""
    return _by_code().get(code)


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Area]:
    return {a.code: a for a in area_list()}


# --- names back to codes -------------------------------------------------------------------------------

_SUFFIXES = re.compile(r"\s*(\(statistical\)|\bregion\b|\bua\b|\bcounty ua\b)\s*$")
_CITY_OF = re.compile(r",\s*(city|county) of\s*$")


def name_key(name: str) -> str:
    """A name reduced to what identifies it: case, punctuation, '&', 'UA', 'region', ', City of' and
    ', County of' do not count ('Kingston upon Hull', 'Kingston upon Hull, City of' and 'KINGSTON
    UPON HULL' are one name; 'North West region' is 'North West'; 'St. Helens' is 'St Helens')."""
    text = " ".join(name.replace("\u00a0", " ").split()).lower()
    text = _CITY_OF.sub("", text)
    for _ in range(2):
        text = _SUFFIXES.sub("", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _keys(a: Area) -> set[str]:
    key = name_key(a.name)
    keys = {key}
    if key.startswith("county "):  # 'County Durham' is also written 'Durham'
        keys.add(key.removeprefix("county "))
    return keys


@lru_cache(maxsize=1)
def _by_name() -> dict[str, tuple[Area, ...]]:
    found: dict[str, list[Area]] = {}
    for a in area_list():
        for key in _keys(a):
            found.setdefault(key, []).append(a)
    return {k: tuple(v) for k, v in found.items()}


def code_for_name(name: str, *, on: date | None = None) -> str | None:
    """The code of the area called ``name`` on the day ``on`` (a period's first day), or None.

    A name that two codes have had (Somerset before and after 2023, Buckinghamshire before and after
    2020) is the code in use on that day; without a day, or when neither was, the current one. A
    name ending 'UA' prefers a unitary authority's code (E06).
    """
    candidates = _by_name().get(name_key(name), ())
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0].code
    if on is not None:
        valid = [a for a in candidates if a.valid_on(on)]
        if len(valid) == 1:
            return valid[0].code
        if valid:
            candidates = tuple(valid)
    if re.search(r"\bua\s*$", name.strip().lower()):
        unitary = [a for a in candidates if a.code.startswith("E06")]
        if unitary:
            candidates = tuple(unitary)
    current = [a for a in candidates if a.valid_to is None]
    return (current or list(candidates))[0].code
