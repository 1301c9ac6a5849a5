"""Targets, and how each figure stands against its target: status (RAG), gap, cases needed.

Targets are data in a TOML file the user can edit (``data/targets.toml`` by default); they
are validated when read, with errors that name the target and say what to fix.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from loaders.config import PROJECT_ROOT
from loaders.periods import PeriodError, Quarter
from metrics.registry import UnknownMeasure, measure

DEFAULT_TARGETS = PROJECT_ROOT / "data" / "targets.toml"
KINDS = ("level", "change", "trajectory")
DEFAULT_AMBER_MARGIN = 0.02
_EPS = 1e-9

STATUS_WORDS = {"green": "On target", "amber": "Near target", "red": "Off target", "grey": "No target or data"}
STATUS_SYMBOLS = {"green": "✔", "amber": "▲", "red": "✖", "grey": "–"}
STATUS_ORDER = {"red": 0, "amber": 1, "green": 2, "grey": 3}


class TargetsError(ValueError):
    """The targets file is wrong; the message lists every problem, each naming its target."""


@dataclass(frozen=True)
class Target:
    measure: str
    area: str  # a DAT code or '*'
    kind: str
    provider: str = ""
    team: str = ""
    first: Quarter | None = None
    last: Quarter | None = None
    value: float | None = None
    change: float | None = None
    start_period: Quarter | None = None
    start_value: float | None = None
    end_period: Quarter | None = None
    end_value: float | None = None
    amber_margin: float = DEFAULT_AMBER_MARGIN
    source: str = ""

    def applies(self, period: Quarter) -> bool:
        return (self.first is None or period >= self.first) and (self.last is None or period <= self.last)

    def describe(self) -> str:
        """The target in words, e.g. 'at least 17%'."""
        m = measure(self.measure)
        fmt = _fmt(m.unit)
        if self.kind == "level":
            word = "at most" if m.polarity == "down" else "at least"
            return f"{word} {fmt(self.value)}"
        if self.kind == "change":
            return f"{self.change:+.0%} on the year before"
        return f"{fmt(self.start_value)} in {self.start_period} to {fmt(self.end_value)} in {self.end_period}"

    def level_for(self, period: Quarter, previous: float | None) -> float | None:
        """The target value for ``period`` (``previous``: the value one year earlier)."""
        if not self.applies(period):
            return None
        if self.kind == "level":
            return self.value
        if self.kind == "change":
            if previous is None or (isinstance(previous, float) and math.isnan(previous)):
                return None
            return previous * (1 + (self.change or 0.0))
        assert self.start_period and self.end_period and self.start_value is not None and self.end_value is not None
        if period < self.start_period:
            return None
        if period >= self.end_period:
            return self.end_value
        steps = _quarter_index(self.end_period) - _quarter_index(self.start_period)
        done = _quarter_index(period) - _quarter_index(self.start_period)
        return self.start_value + (self.end_value - self.start_value) * done / steps


def _fmt(unit: str):
    if unit == "proportion":
        return lambda v: f"{v:.0%}" if v is not None and abs(v * 100 - round(v * 100)) < 1e-9 else f"{v:.1%}"
    return lambda v: f"{v:,.2f}".rstrip("0").rstrip(".")


def _quarter_index(q: Quarter) -> int:
    return q.year * 4 + q.number - 1


@dataclass(frozen=True)
class TargetSet:
    targets: tuple[Target, ...]
    path: str = ""

    def for_row(self, *, kpi: str, area: str, breakdown: str, group: str, period: Quarter) -> Target | None:
        """The most specific target for a figure: the provider's or team's own, else the
        partnership's, else the one for every partnership."""
        best: tuple[int, Target] | None = None
        for t in self.targets:
            if t.measure != kpi or not t.applies(period) or t.area not in ("*", area):
                continue
            if t.provider or t.team:
                if breakdown == "provider" and t.provider == group and not t.team:
                    rank = 3
                elif breakdown == "team" and t.team == group:
                    rank = 3
                else:
                    continue
            else:
                rank = 2 if t.area == area else 1
            if best is None or rank > best[0]:
                best = (rank, t)
        return best[1] if best else None

    def measures(self) -> set[str]:
        return {t.measure for t in self.targets}


def user_targets_path() -> Path:
    """Where targets uploaded in the dashboard are kept: next to the database."""
    from loaders.config import database_path

    return database_path().with_suffix(".targets.toml")


def targets_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The targets in force: ``--targets``, else KPI_TARGETS, else targets uploaded in the
    dashboard, else the shipped defaults in data/targets.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("KPI_TARGETS")
    if env:
        return Path(env)
    uploaded = user_targets_path()
    return uploaded if uploaded.exists() else DEFAULT_TARGETS


def save_user_targets(text: str) -> TargetSet:
    """Check a targets file and, if it is sound, put it in force for the dashboard and CLI."""
    checked = parse_targets(text)
    path = user_targets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return TargetSet(checked.targets, str(path))


def load_targets(path: str | os.PathLike[str] | None = None, *, known_areas: set[str] | None = None) -> TargetSet:
    """Read and check a targets file; raise TargetsError listing every problem."""
    file = targets_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetsError(f"The targets file {file} cannot be read: {exc.strerror}.") from exc
    return parse_targets(text, known_areas=known_areas, path=str(file))


def parse_targets(text: str, *, known_areas: set[str] | None = None, path: str = "") -> TargetSet:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"The targets file is not valid TOML: {exc}.") from exc
    default_margin = doc.get("amber_margin", DEFAULT_AMBER_MARGIN)
    problems: list[str] = []
    if not isinstance(default_margin, int | float) or default_margin < 0:
        problems.append("amber_margin must be a number of 0 or more (0.02 is 2%).")
        default_margin = DEFAULT_AMBER_MARGIN
    entries = doc.get("target", [])
    if not isinstance(entries, list):
        raise TargetsError("Targets must be written as [[target]] tables.")
    targets: list[Target] = []
    for number, entry in enumerate(entries, start=1):
        label = f"Target {number} ({entry.get('measure', 'no measure')})"
        found, errors = _read_target(entry, default_margin, known_areas)
        problems.extend(f"{label}: {e}" for e in errors)
        if found is not None:
            targets.append(found)
    if problems:
        raise TargetsError("The targets file has problems:\n- " + "\n- ".join(problems))
    return TargetSet(tuple(targets), path)


def _read_target(entry: dict, default_margin: float, known_areas: set[str] | None) -> tuple[Target | None, list[str]]:
    errors: list[str] = []
    allowed = {"measure", "area", "provider", "team", "kind", "from", "to", "value", "change", "start_period",
               "start_value", "end_period", "end_value", "amber_margin", "source"}
    for key in set(entry) - allowed:
        errors.append(f"unknown setting '{key}'.")
    measure_id = entry.get("measure")
    try:
        m = measure(str(measure_id))
    except UnknownMeasure:
        errors.append(f"unknown measure '{measure_id}' (see `python -m metrics list`).")
        m = None
    area = str(entry.get("area", "*"))
    if known_areas is not None and area != "*" and area not in known_areas:
        errors.append(f"unknown partnership '{area}': no data has been loaded for it.")
    kind = entry.get("kind")
    if kind not in KINDS:
        errors.append(f"kind must be one of {', '.join(KINDS)}, not '{kind}'.")

    def period(key: str) -> Quarter | None:
        if key not in entry:
            return None
        try:
            return Quarter.parse(str(entry[key]))
        except PeriodError as exc:
            errors.append(f"{key}: {exc}.")
            return None

    def number(key: str, required: bool) -> float | None:
        value = entry.get(key)
        if value is None:
            if required:
                errors.append(f"a {kind} target needs '{key}'.")
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(f"{key} must be a number, not '{value}'.")
            return None
        if m is not None and m.unit == "proportion" and key != "change" and not 0 <= value <= 1:
            errors.append(f"{key} {value} is not a proportion: write 17% as 0.17.")
        return float(value)

    first, last = period("from"), period("to")
    if first and last and last < first:
        errors.append(f"'to' ({last}) is before 'from' ({first}).")
    value = number("value", kind == "level")
    change = number("change", kind == "change")
    start_period, end_period = period("start_period"), period("end_period")
    start_value = number("start_value", kind == "trajectory")
    end_value = number("end_value", kind == "trajectory")
    if kind == "trajectory":
        if "start_period" not in entry or "end_period" not in entry:
            errors.append("a trajectory target needs 'start_period' and 'end_period'.")
        elif start_period and end_period and end_period <= start_period:
            errors.append(f"the trajectory ends ({end_period}) before it starts ({start_period}).")
    margin = entry.get("amber_margin", default_margin)
    if not isinstance(margin, int | float) or margin < 0:
        errors.append("amber_margin must be a number of 0 or more.")
        margin = default_margin
    if errors:
        return None, errors
    return Target(
        measure=str(measure_id), area=area, kind=str(kind), provider=str(entry.get("provider", "")),
        team=str(entry.get("team", "")), first=first, last=last, value=value, change=change,
        start_period=start_period, start_value=start_value, end_period=end_period, end_value=end_value,
        amber_margin=float(margin), source=str(entry.get("source", "")),
    ), []


@dataclass(frozen=True)
class Standing:
    """How one figure stands against its target."""

    target: float | None
    status: str
    gap: float | None
    needed: float | None


def standing(*, kpi: str, value: float | None, numerator: float | None, denominator: float | None,
             target: float | None, amber_margin: float = DEFAULT_AMBER_MARGIN) -> Standing:
    """Status, gap (negative is worse) and cases needed for one figure against its target."""
    if target is None or (isinstance(target, float) and math.isnan(target)):
        return Standing(None, "grey", None, None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Standing(target, "grey", None, None)
    m = measure(kpi)
    down = m.polarity == "down"
    gap = (target - value) if down else (value - target)
    margin = abs(target) * amber_margin
    if gap >= -_EPS:
        status = "green"
    elif gap >= -margin - _EPS:
        status = "amber"
    else:
        status = "red"
    return Standing(target, status, gap, _needed(m.unit, down, value, numerator, denominator, target))


def _needed(unit: str, down: bool, value: float, numerator: float | None, denominator: float | None,
            target: float) -> float:
    """Cases needed to meet the target: for a proportion, more (or, where down is better,
    fewer) numerator cases at the current denominator; for a count, more cases."""
    if unit in ("proportion", "rate") and numerator is not None and denominator:
        if down:
            return float(max(0, math.ceil(numerator - target * denominator - _EPS)))
        return float(max(0, math.ceil(target * denominator - numerator - _EPS)))
    if down:
        return float(max(0, math.ceil(value - target - _EPS)))
    return float(max(0, math.ceil(target - value - _EPS)))


def apply_targets(rows: pd.DataFrame, *, targets: TargetSet, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add target, status, gap and needed to result rows.

    ``previous`` holds the same rows one year earlier (columns kpi, area, breakdown, group,
    period, value, where period is the later quarter they are the year-before value of), for
    change targets.
    """
    prev: dict[tuple[str, str, str, str, str], float] = {}
    if previous is not None and not previous.empty:
        for r in previous.itertuples(index=False):
            prev[(r.kpi, r.area, r.breakdown, r.group, r.period)] = r.value
    out = []
    for r in rows.itertuples(index=False):
        period = Quarter.parse(r.period)
        t = targets.for_row(kpi=r.kpi, area=r.area, breakdown=r.breakdown, group=r.group, period=period)
        level = None
        if t is not None:
            level = t.level_for(period, prev.get((r.kpi, r.area, r.breakdown, r.group, r.period)))
        s = standing(kpi=r.kpi, value=_num(r.value), numerator=_num(r.numerator), denominator=_num(r.denominator),
                     target=level, amber_margin=t.amber_margin if t else DEFAULT_AMBER_MARGIN)
        out.append((s.target, s.status, s.gap, s.needed, t.describe() if t else ""))
    extra = pd.DataFrame(out, columns=["target", "status", "gap", "needed", "target_text"], index=rows.index)
    if rows.empty:
        extra = extra.astype({"target": float, "gap": float, "needed": float, "status": object})
    return pd.concat([rows, extra], axis=1)


def _num(v: object) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f
