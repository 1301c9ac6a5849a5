"""The charts command line: the board pack, one chart, one table (see README, "Command line").

    python -m charts pack  --area DAT --period "2024-25 Q3" --out FILE.pdf|FILE.pptx
    python -m charts chart --kpi ID --area DAT --period "2024-25 Q3" --out FILE.png|FILE.svg|FILE.pdf
    python -m charts table --kpi ID --area DAT --period "2024-25 Q3" --breakdown B --out FILE.csv|FILE.xlsx

The format follows the suffix of ``--out``. Exit status: 0 the file was written; 1 the request
could not be met (an unknown partnership, quarter or measure, a bad targets file, no Chromium
to draw charts with), every reason printed; 2 wrong usage (e.g. an ``--out`` suffix that is
not one of the command's formats).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from charts import pack, tables
from charts.export import ExportUnavailable, figure_bytes
from loaders.extracts import ENGLAND
from loaders.periods import PeriodError, Quarter
from loaders.store import Store, StoreError, open_store
from metrics import indicators, reports
from metrics.registry import BREAKDOWN_LABELS, BREAKDOWNS, UnknownMeasure, measure
from metrics.targets import TargetsError, TargetSet

FORMATS = {"pack": ("pdf", "pptx"), "chart": ("png", "svg", "pdf"), "table": ("csv", "xlsx")}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = _Parser(prog="python -m charts", description="The board pack, charts and tables as files.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $KPI_DB or data/dashboard.duckdb)")
    common.add_argument("--targets", help="targets file (default: $KPI_TARGETS or data/targets.toml)")
    common.add_argument("--area", required=True, help="the partnership's DAT code")
    common.add_argument("--period", required=True, help='the quarter, e.g. "2024-25 Q3"')
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands = {
        "pack": sub.add_parser("pack", parents=[common], help="the quarterly board pack (PDF or PowerPoint)"),
        "chart": sub.add_parser("chart", parents=[common], help="a measure's trajectory chart up to the quarter"),
        "table": sub.add_parser("table", parents=[common], help="a measure by breakdown, small numbers suppressed"),
    }
    for name in ("chart", "table"):
        commands[name].add_argument("--kpi", required=True, help="a measure id (python -m metrics list)")
    commands["table"].add_argument("--breakdown", required=True, choices=BREAKDOWNS)
    for name in ("pack", "chart"):
        commands[name].add_argument("--comparator", default=ENGLAND,
                                    help=f"the area to compare with (default: England, {ENGLAND})")
    for name, command in commands.items():
        command.add_argument("--out", required=True, type=Path,
                             help=f"the file to write: {' or '.join('.' + f for f in FORMATS[name])}")
    return parser, commands


def _chart(store: Store, args: argparse.Namespace, quarter: Quarter, targets: TargetSet, fmt: str) -> bytes:
    try:
        m = measure(args.kpi)
    except UnknownMeasure:
        m = None  # perhaps an uploaded indicator: reports.series says if it is not
    if m is not None:
        area_name = pack.check_selection(store, area=args.area, period=quarter)
    else:
        area_name = pack.area_names(store).get(args.area, args.area)
    data = reports.series(store, kpi=args.kpi, area=args.area, targets=targets, end=quarter,
                          comparator=args.comparator)
    if data.empty or data["value"].isna().all():
        raise pack.PackError(f"There are no figures for '{args.kpi}' in {area_name} up to {quarter}.")
    source, demo = pack.data_source(store)
    fig = pack.trajectory_chart(data, measure=m or args.kpi, period=quarter, area_name=area_name, source=source,
                                demo=demo, comparator_name=pack.area_names(store).get(args.comparator,
                                                                                      args.comparator))
    return figure_bytes(fig, fmt=fmt)  # type: ignore[arg-type]


def _table(store: Store, args: argparse.Namespace, quarter: Quarter, targets: TargetSet, fmt: str) -> bytes:
    m = measure(args.kpi)
    area_name = pack.check_selection(store, area=args.area, period=quarter)
    frame = pack.breakdown_frame(store, kpi=m.id, area=args.area, period=quarter, breakdown=args.breakdown,
                                 targets=targets)
    table = tables.figures_table(frame, measure=m)
    if fmt == "csv":
        return tables.to_csv_bytes(table)
    title = (f"{m.name} by {BREAKDOWN_LABELS[args.breakdown].lower()}: {area_name}, {quarter} "
             f"(rolling 12 months to {quarter.end:%d %B %Y})")
    return tables.to_xlsx_bytes(table, title=title)


def _pack(store: Store, args: argparse.Namespace, quarter: Quarter, targets: TargetSet, fmt: str) -> bytes:
    build = pack.board_pack_pdf if fmt == "pdf" else pack.board_pack_pptx
    return build(store, area=args.area, period=quarter, targets=targets, comparator=args.comparator)


def _write(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a half-written pack must not replace a good one."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser, commands = _parser()
    args = parser.parse_args(argv)
    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in FORMATS[args.command]:
        commands[args.command].error(
            f"--out must end in {' or '.join('.' + f for f in FORMATS[args.command])} for {args.command}, "
            f"not '{args.out.name}'")
    try:
        quarter = Quarter.parse(args.period)
    except PeriodError as exc:
        print(f"error: {exc}.", file=sys.stderr)
        return 1
    make = {"pack": _pack, "chart": _chart, "table": _table}[args.command]
    try:
        with open_store(args.db, read_only=True) as store:
            targets = indicators.load_targets_for(store, args.targets)
            data = make(store, args, quarter, targets, fmt)
        _write(args.out, data)
    except (pack.PackError, TargetsError, StoreError, reports.NoSuchIndicator, UnknownMeasure, ExportUnavailable,
            tables.ClientIdentifierError, tables.UnsuppressedCounts) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {args.out} could not be written: {exc.strerror or exc}.", file=sys.stderr)
        return 1
    print(f"Wrote {args.out} ({len(data):,} bytes).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
