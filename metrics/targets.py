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
    # The measure's or indicator's unit and polarity, resolved when the file is read (an indicator's from
    # its [[indicator]] declaration or its uploads).
    unit: str = ""
    polarity: str = ""

    def applies(self, period: Quarter) -> bool:
        return (self.first is None or period >= self.first) and (self.last is None or period <= self.last)

    def describe(self) -> str:
        """The target in words, e.g. 'at least 17%'."""
        unit, polarity = self.unit, self.polarity
        if not unit:
            m = measure(self.measure)
            unit, polarity = m.unit, m.polarity
        fmt = _fmt(unit)
        if self.kind == "level":
            word = "at most" if polarity == "down" else "at least"
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


POLARITIES = ("up", "down", "neutral")


@dataclass(frozen=True)
class IndicatorDeclaration:
    """An ``[[indicator]]`` entry: what an uploaded (or to-be-uploaded) indicator means. Polarity is
    declared, never guessed: without a declaration (here or in the upload's POLARITY column) an
    indicator is neutral, so it is never called better or worse."""

    id: str
    polarity: str = ""
    name: str = ""
    unit: str = ""
    definition: str = ""
    source: str = ""


@dataclass(frozen=True)
class ComparatorGroup:
    """A ``[[group]]`` entry: a named list of areas to compare with (statistical neighbours, a region)."""

    name: str
    areas: tuple[str, ...]


@dataclass(frozen=True)
class KnownIndicator:
    """An indicator loaded in the database: its unit and polarity as uploaded, and the uploads it came from."""

    unit: str = ""
    polarity: str = ""
    uploads: str = ""


@dataclass(frozen=True)
class TargetSet:
    targets: tuple[Target, ...]
    path: str = ""
    indicators: tuple[IndicatorDeclaration, ...] = ()
    groups: tuple[ComparatorGroup, ...] = ()

    def declared(self, indicator: str) -> IndicatorDeclaration | None:
        return next((d for d in self.indicators if d.id == indicator), None)

    def group(self, name: str) -> ComparatorGroup | None:
        return next((g for g in self.groups if g.name == name), None)

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


def save_user_targets(text: str, *, known_indicators: dict[str, KnownIndicator] | None = None) -> TargetSet:
    """Check a targets file (against the indicators loaded, when given) and, if it is sound, put it in force
    for the dashboard and CLI."""
    checked = parse_targets(text, known_indicators=known_indicators)
    path = user_targets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return TargetSet(checked.targets, str(path), checked.indicators, checked.groups)


def load_targets(path: str | os.PathLike[str] | None = None, *, known_areas: set[str] | None = None,
                 known_indicators: dict[str, KnownIndicator] | None = None) -> TargetSet:
    """Read and check a targets file; raise TargetsError listing every problem. ``known_indicators``: the
    indicators loaded in the database (metrics.indicators.known), which targets may name besides the
    registry's measures and the indicators the file declares."""
    file = targets_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetsError(f"The targets file {file} cannot be read: {exc.strerror}.") from exc
    return parse_targets(text, known_areas=known_areas, known_indicators=known_indicators, path=str(file))


def parse_targets(text: str, *, known_areas: set[str] | None = None,
                  known_indicators: dict[str, KnownIndicator] | None = None, path: str = "") -> TargetSet:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"The targets file is not valid TOML: {exc}.") from exc
    default_margin = doc.get("amber_margin", DEFAULT_AMBER_MARGIN)
    problems: list[str] = []
    if not isinstance(default_margin, int | float) or default_margin < 0:
        problems.append("amber_margin must be a number of 0 or more (0.02 is 2%).")
        default_margin = DEFAULT_AMBER_MARGIN
    for key in set(doc) - {"amber_margin", "target", "indicator", "group"}:
        problems.append(f"unknown setting '{key}' (the file holds amber_margin, [[target]], [[indicator]] and "
                        "[[group]]).")
    entries = doc.get("target", [])
    if not isinstance(entries, list):
        raise TargetsError("Targets must be written as [[target]] tables.")
    declarations = _read_indicators(doc.get("indicator", []), problems)
    groups = _read_groups(doc.get("group", []), problems)
    units = _indicator_units(declarations, known_indicators or {})
    targets: list[Target] = []
    for number, entry in enumerate(entries, start=1):
        label = f"Target {number} ({entry.get('measure', 'no measure')})"
        found, errors = _read_target(entry, default_margin, known_areas, units, known_indicators)
        problems.extend(f"{label}: {e}" for e in errors)
        if found is not None:
            targets.append(found)
    if problems:
        raise TargetsError("The targets file has problems:\n- " + "\n- ".join(problems))
    return TargetSet(tuple(targets), path, declarations, groups)


def _read_indicators(entries: object, problems: list[str]) -> tuple[IndicatorDeclaration, ...]:
    if not isinstance(entries, list):
        problems.append("Indicators must be written as [[indicator]] tables.")
        return ()
    found: list[IndicatorDeclaration] = []
    seen: set[str] = set()
    allowed = {"id", "polarity", "name", "unit", "definition", "source"}
    for number, entry in enumerate(entries, start=1):
        label = f"Indicator {number} ({entry.get('id', 'no id')})" if isinstance(entry, dict) else f"Indicator {number}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: write it as an [[indicator]] table.")
            continue
        errors = [f"unknown setting '{k}'." for k in sorted(set(entry) - allowed)]
        ident = entry.get("id")
        if not isinstance(ident, str) or not ident.strip():
            errors.append("an indicator needs its 'id' (as uploaded, e.g. iom_cohort or ft_93517).")
        elif ident in seen:
            errors.append(f"'{ident}' is declared more than once.")
        else:
            seen.add(ident)
            try:
                measure(ident)
                errors.append(f"'{ident}' is one of the dashboard's own measures: its meaning is fixed "
                              "(see `python -m metrics list`).")
            except UnknownMeasure:
                pass
        polarity = entry.get("polarity", "")
        if polarity not in ("", *POLARITIES):
            errors.append(f"polarity must be up, down or neutral, not '{polarity}'.")
        for key in ("name", "unit", "definition", "source"):
            if key in entry and not isinstance(entry[key], str):
                errors.append(f"{key} must be text.")
        problems.extend(f"{label}: {e}" for e in errors)
        if not errors:
            found.append(IndicatorDeclaration(id=ident.strip(), polarity=str(polarity), name=str(entry.get("name", "")),
                                              unit=str(entry.get("unit", "")),
                                              definition=str(entry.get("definition", "")),
                                              source=str(entry.get("source", ""))))
    return tuple(found)


def _read_groups(entries: object, problems: list[str]) -> tuple[ComparatorGroup, ...]:
    if not isinstance(entries, list):
        problems.append("Comparator groups must be written as [[group]] tables.")
        return ()
    found: list[ComparatorGroup] = []
    names: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        label = f"Group {number} ({entry.get('name', 'no name')})" if isinstance(entry, dict) else f"Group {number}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: write it as a [[group]] table.")
            continue
        errors = [f"unknown setting '{k}'." for k in sorted(set(entry) - {"name", "areas"})]
        name, areas = entry.get("name"), entry.get("areas")
        if not isinstance(name, str) or not name.strip():
            errors.append("a group needs its 'name'.")
        elif name.strip() in names:
            errors.append(f"the name '{name}' is used by another group.")
        else:
            names.add(name.strip())
        if not isinstance(areas, list) or not areas:
            errors.append("a group needs 'areas', a list of area codes (e.g. [\"E09000003\", \"E09000014\"]).")
        else:
            bad = [a for a in areas if not isinstance(a, str) or not a.strip().isalnum() or len(a.strip()) > 12]
            if bad:
                errors.append(f"{', '.join(repr(a) for a in bad)} {'is not an area code' if len(bad) == 1 else 'are not area codes'} "
                              "(1 to 12 letters or digits).")
            repeated = sorted({a for a in areas if isinstance(a, str) and areas.count(a) > 1})
            if repeated:
                errors.append(f"{', '.join(repeated)} listed more than once.")
        problems.extend(f"{label}: {e}" for e in errors)
        if not errors:
            found.append(ComparatorGroup(name.strip(), tuple(a.strip() for a in areas)))
    return tuple(found)


def _indicator_units(declarations: tuple[IndicatorDeclaration, ...],
                     known: dict[str, KnownIndicator]) -> dict[str, tuple[str, str]]:
    """(unit, polarity) of every indicator a target may name: declared first, else as uploaded."""
    out = {k: (_unit_kind(v.unit), v.polarity or "neutral") for k, v in known.items()}
    for d in declarations:
        unit, polarity = out.get(d.id, ("", "neutral"))
        out[d.id] = (_unit_kind(d.unit) if d.unit else unit or "value", d.polarity or polarity)
    return out


def _unit_kind(unit: str) -> str:
    """'proportion' (0-1), 'count', or 'value' (a rate, a percentage-point score, anything else)."""
    text = (unit or "").strip().lower()
    if text in ("proportion", "percent", "%", "percentage"):
        return "proportion"
    if text == "count":
        return "count"
    return "value" if text else ""


def _read_target(entry: dict, default_margin: float, known_areas: set[str] | None,
                 indicators: dict[str, tuple[str, str]],
                 known: dict[str, KnownIndicator] | None) -> tuple[Target | None, list[str]]:
    errors: list[str] = []
    allowed = {"measure", "area", "provider", "team", "kind", "from", "to", "value", "change", "start_period",
               "start_value", "end_period", "end_value", "amber_margin", "source"}
    for key in set(entry) - allowed:
        errors.append(f"unknown setting '{key}'.")
    measure_id = entry.get("measure")
    unit, polarity = "", ""
    try:
        m = measure(str(measure_id))
        unit, polarity = m.unit, m.polarity
    except UnknownMeasure:
        m = None
        if str(measure_id) in indicators:
            unit, polarity = indicators[str(measure_id)]
            unit = unit or "value"
        else:
            errors.append(_unknown_indicator(str(measure_id), indicators, known))
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
        if unit == "proportion" and key != "change" and not 0 <= value <= 1:
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
        amber_margin=float(margin), source=str(entry.get("source", "")), unit=unit, polarity=polarity,
    ), []


def _unknown_indicator(ident: str, indicators: dict[str, tuple[str, str]],
                       known: dict[str, KnownIndicator] | None) -> str:
    """The error for a target naming neither a measure nor a known indicator: what is known, and from where."""
    text = f"unknown measure or indicator '{ident}': the measures are listed by `python -m metrics list`"
    loaded = sorted((known or {}).items())
    if loaded:
        shown = "; ".join(f"{k} ({v.uploads})" if v.uploads else k for k, v in loaded[:20])
        more = f"; and {len(loaded) - 20} more" if len(loaded) > 20 else ""
        text += f"; the indicators loaded are {shown}{more}"
    elif known is None:
        text += ("; an indicator must be loaded (an indicators, Fingertips or ViewIt upload) or declared in an "
                 "[[indicator]] entry")
    else:
        text += "; no indicators are loaded yet"
    declared = sorted(set(indicators) - set(known or {}))
    if declared:
        text += f"; declared here: {', '.join(declared)}"
    return text + "."


@dataclass(frozen=True)
class Standing:
    """How one figure stands against its target."""

    target: float | None
    status: str
    gap: float | None
    needed: float | None


def standing(*, kpi: str, value: float | None, numerator: float | None, denominator: float | None,
             target: float | None, amber_margin: float = DEFAULT_AMBER_MARGIN, unit: str | None = None,
             polarity: str | None = None) -> Standing:
    """Status, gap (negative is worse) and cases needed for one figure against its target. ``unit`` and
    ``polarity`` default to the registry's for a measure, and must be given for an uploaded indicator."""
    if target is None or (isinstance(target, float) and math.isnan(target)):
        return Standing(None, "grey", None, None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Standing(target, "grey", None, None)
    if unit is None or polarity is None:
        m = measure(kpi)
        unit, polarity = unit or m.unit, polarity or m.polarity
    down = polarity == "down"
    gap = (target - value) if down else (value - target)
    margin = abs(target) * amber_margin
    if gap >= -_EPS:
        status = "green"
    elif gap >= -margin - _EPS:
        status = "amber"
    else:
        status = "red"
    return Standing(target, status, gap, _needed(unit, down, value, numerator, denominator, target))


def _needed(unit: str, down: bool, value: float, numerator: float | None, denominator: float | None,
            target: float) -> float:
    """Cases needed to meet the target: for a proportion, more (or, where down is better,
    fewer) numerator cases at the current denominator; for a count, more cases; for an indicator
    published as a value alone (a rate, a score, a proportion without its counts), the change in
    value it takes."""
    if numerator is None and unit != "count":
        return float(max(0.0, (value - target) if down else (target - value)))
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
    # An uploaded indicator's row carries the quarter its figure counts for (its own period may be a year
    # or a month) and its unit and polarity; a measure's row is a quarter of a registered measure.
    quarters = rows["target_quarter"] if "target_quarter" in rows else rows["period"]
    units = rows["unit"] if "unit" in rows else pd.Series(None, index=rows.index, dtype=object)
    polarities = rows["polarity"] if "polarity" in rows else pd.Series(None, index=rows.index, dtype=object)
    for r, label, unit, polarity in zip(rows.itertuples(index=False), quarters, units, polarities, strict=True):
        period = Quarter.parse(label)
        t = targets.for_row(kpi=r.kpi, area=r.area, breakdown=r.breakdown, group=r.group, period=period)
        level = None
        if t is not None:
            level = t.level_for(period, prev.get((r.kpi, r.area, r.breakdown, r.group, r.period)))
        s = standing(kpi=r.kpi, value=_num(r.value), numerator=_num(r.numerator), denominator=_num(r.denominator),
                     target=level, amber_margin=t.amber_margin if t else DEFAULT_AMBER_MARGIN,
                     unit=_text(unit) or (t.unit if t and t.unit else None),
                     polarity=_text(polarity) or (t.polarity if t and t.polarity else None))
        out.append((s.target, s.status, s.gap, s.needed, t.describe() if t else ""))
    extra = pd.DataFrame(out, columns=["target", "status", "gap", "needed", "target_text"], index=rows.index)
    if rows.empty:
        extra = extra.astype({"target": float, "gap": float, "needed": float, "status": object})
    return pd.concat([rows, extra], axis=1)


def _text(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def _num(v: object) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f
