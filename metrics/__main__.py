"""The metrics command line: list, scorecard, series, exceptions, funnel, compare (see README).

Exit status: 0 success; 1 the request could not be met (e.g. a bad targets file); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import pandas as pd

from loaders import config
from loaders.formulas import write_csv
from loaders.periods import PeriodError, Quarter
from loaders.store import StoreError, open_store
from metrics import compare, indicators, names, reports
from metrics.registry import BREAKDOWNS, MEASURES
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS, TargetsError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m metrics", description="The measures, computed from the loaded extracts.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $KPI_DB or data/dashboard.duckdb)")
    common.add_argument("--format", choices=("text", "csv", "json"), default="text")
    common.add_argument("--targets", help="targets file (default: $KPI_TARGETS or data/targets.toml)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", parents=[common], help="the measures: id, name, unit, polarity")
    card = sub.add_parser("scorecard", parents=[common], help="every measure for one partnership and quarter")
    card.add_argument("--area", required=True)
    card.add_argument("--period", required=True, type=_quarter)
    card.add_argument("--breakdown", choices=BREAKDOWNS)
    ser = sub.add_parser("series", parents=[common], help="one measure over time, with SPC")
    ser.add_argument("--kpi", required=True)
    ser.add_argument("--area", required=True)
    ser.add_argument("--from", dest="start", type=_quarter)
    ser.add_argument("--to", dest="end", type=_quarter)
    ser.add_argument("--breakdown", choices=BREAKDOWNS)
    exc = sub.add_parser("exceptions", parents=[common], help="everything red or amber for a quarter")
    exc.add_argument("--period", required=True, type=_quarter)
    exc.add_argument("--area")
    fun = sub.add_parser("funnel", parents=[common], help="compare partnerships, providers or teams")
    fun.add_argument("--kpi", required=True)
    fun.add_argument("--period", required=True, type=_quarter)
    fun.add_argument("--area")
    fun.add_argument("--breakdown", choices=("provider", "team"), default="provider")
    sub.add_parser("areas", parents=[common], help="every known area: the ONS list, the uploads, the demo")
    com = sub.add_parser("compare", parents=[common], help="every area with a figure, side by side, against England")
    com.add_argument("--kpi", required=True)
    com.add_argument("--period", required=True, help="a quarter (2024-25 Q3) or an indicator's own period (2022/23)")
    com.add_argument("--group", help="a [[group]] of the targets file, or a region of England by its name")
    com.add_argument("--area", help="the area to mark (its line ends with *)")
    return parser


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _records(frame: pd.DataFrame, fields: list[str]) -> list[dict[str, Any]]:
    return [{f: _clean(v) for f, v in zip(fields, row, strict=True)}
            for row in frame.reindex(columns=fields).itertuples(index=False)]


def _show(value: Any, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "proportion":
        return f"{value:.1%}"
    if unit == "rate":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _emit(records: list[dict[str, Any]], fields: list[str], fmt: str, text: list[str]) -> None:
    if fmt == "json":
        print(json.dumps(records, default=str))
    elif fmt == "csv":
        # Names come from uploaded files: every cell a spreadsheet would run as a formula is made inert.
        write_csv(sys.stdout, fields, ([_csv_cell(r.get(f)) for f in fields] for r in records))
    else:
        print("\n".join(text))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _text_rows(records: list[dict[str, Any]], kinds: list[tuple[str, str]] | None = None) -> list[str]:
    """One line per figure. ``kinds``: each row's (unit, polarity) where the frame says (indicators);
    otherwise the registry's."""
    units = {m.id: m.unit for m in MEASURES}
    polarities = {m.id: m.polarity for m in MEASURES}
    lines = []
    for number, r in enumerate(records):
        unit, polarity = units.get(r["kpi"], "count"), polarities.get(r["kpi"], "neutral")
        if kinds is not None and kinds[number][0]:
            unit, polarity = kinds[number]
        # Where lower is better, closing the gap takes fewer cases, not more.
        down = polarity == "down"
        group = f" [{r['breakdown']}: {r['group']}]" if r.get("breakdown") else ""
        target = f"target {_show(r['target'], unit)}" if r.get("target") is not None else "no target"
        mark = " (provisional)" if r.get("provisional") else ""
        needed = ""
        if r.get("needed"):
            if r.get("numerator") is None and unit != "count":
                # A figure published without its counts: what it takes is a change in the value itself.
                size = f"{100 * r['needed']:.1f} percentage points" if unit == "proportion" else f"{r['needed']:.2f}"
                needed = f"; needs to {'fall' if down else 'rise'} by {size}"
            else:
                needed = f"; {r['needed']:.0f} {'fewer' if down else 'more'} case(s) needed"
        lines.append(
            f"{STATUS_SYMBOLS[r['status']]} {STATUS_WORDS[r['status']]:<17} {r['area']} {r['period']} "
            f"{r['name']}{group}: {_show(r['value'], unit)}{mark}; {target}{needed}"
        )
    return lines or ["No figures for that selection."]


def _kinds(frame: pd.DataFrame) -> list[tuple[str, str]] | None:
    """Each row's (unit, polarity) where the frame carries them (indicator rows), '' elsewhere."""
    if "unit" not in frame.columns or "polarity" not in frame.columns:
        return None
    unit = frame["unit"].map(lambda u: u if isinstance(u, str) else "")
    unit = unit.map(lambda u: "proportion" if u in ("proportion", "percent") else u if u in ("", "count") else "rate")
    polarity = frame["polarity"].map(lambda p: p if isinstance(p, str) else "neutral")
    return list(zip(unit, polarity, strict=True))


def _areas(args: argparse.Namespace) -> int:
    """Every known area. Without a database yet, the shipped list alone (no area has data)."""
    try:
        with open_store(args.db, read_only=True) as store:
            frame = names.areas_frame(store)
    except StoreError:
        if config.database_path(args.db).exists():
            raise
        frame = names.list_frame()
    records = _records(frame, names.AREA_FIELDS)
    text = [f"{r['area']:<10} {r['type']:<8} {'data' if r['has_data'] else '    '}  {r['name']}"
            + (f" ({r['region']})" if r["region"] else "") for r in records]
    _emit(records, names.AREA_FIELDS, args.format, text)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        fields = ["id", "name", "unit", "polarity", "family", "source", "definition"]
        records = [{f: getattr(m, f) for f in fields} for m in MEASURES]
        _emit(records, fields, args.format,
              [f"{m.id:<26} {m.unit:<10} {m.polarity:<8} {m.name}" for m in MEASURES])
        return 0
    if args.command == "areas":
        return _areas(args)
    try:
        with open_store(args.db, read_only=True) as store:
            # Read-only opening applies no schema: another DuckDB file would fail below with a traceback.
            if not store.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'results'"):
                raise StoreError(f"The database {store.path} holds no dashboard figures: it is not the "
                                 "dashboard's database. Check --db (or KPI_DB).")
            targets = indicators.load_targets_for(store, args.targets)
            if args.command == "scorecard":
                frame = reports.scorecard(store, area=args.area, period=args.period, targets=targets,
                                          breakdown=args.breakdown)
                fields = reports.FIELDS
            elif args.command == "series":
                frame = reports.series(store, kpi=args.kpi, area=args.area, targets=targets, start=args.start,
                                       end=args.end, breakdown=args.breakdown)
                fields = reports.FIELDS + reports.SPC_FIELDS
            elif args.command == "exceptions":
                frame = reports.exceptions(store, period=args.period, targets=targets, area=args.area)
                fields = reports.FIELDS
            elif args.command == "compare":
                frame = compare.compare(store, kpi=args.kpi, period=args.period, targets=targets, group=args.group,
                                        area=args.area)
                fields = compare.COMPARE_FIELDS
            else:
                frame = reports.funnel(store, kpi=args.kpi, period=args.period, targets=targets, area=args.area,
                                       breakdown=args.breakdown)
                fields = reports.FIELDS + reports.FUNNEL_FIELDS
    except (TargetsError, StoreError, reports.NoSuchIndicator, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    records = _records(frame, fields)
    text = (compare.text_lines(frame, kpi=args.kpi, period=args.period) if args.command == "compare"
            else _text_rows(records, _kinds(frame)))
    _emit(records, fields, args.format, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
