"""The loaders command line: load, history, withdraw, demo, backup, restore (see README "Command line").

Exit status: 0 success; 1 input rejected (every reason printed); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from loaders import config
from loaders.backup import backup_database, read_manifest, restore_database
from loaders.extracts import KINDS
from loaders.formulas import write_csv
from loaders.load import LoadResult, UploadNotFound, history, load_file, withdraw_upload
from loaders.periods import PeriodError, Quarter
from loaders.problems import problems_csv
from loaders.store import StoreError, open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on misuse already; keep its text short
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m loaders", description="Load, list and withdraw quarterly extracts.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $KPI_DB or data/dashboard.duckdb)")
    common.add_argument("--format", choices=("text", "csv", "json"), default="text")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    load = sub.add_parser("load", parents=[common], help="load one or more extract files")
    load.add_argument("files", nargs="+", metavar="FILE")
    load.add_argument("--kind", choices=("auto", *KINDS), default="auto",
                      help="what the files are (default: told from each file's header)")
    load.add_argument("--period", help='the reporting quarter, e.g. "2024-25 Q3" (default: from the dates)')
    load.add_argument("--errors-csv", metavar="PATH", help="write every problem found to this CSV file")
    sub.add_parser("history", parents=[common], help="list every upload, newest first")
    withdraw = sub.add_parser("withdraw", parents=[common], help="take an upload back")
    withdraw.add_argument("upload_id", type=int, metavar="UPLOAD_ID")
    demo = sub.add_parser("demo", parents=[common], help="write the synthetic demo extracts and load them")
    demo.add_argument("--scale", choices=("demo", "national"), default="demo")
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--out-dir", help="where to write the CSV files (default: a temporary folder)")
    backup = sub.add_parser("backup", parents=[common],
                            help="copy the database, its upload audit and client key into a new folder")
    backup.add_argument("--to", required=True, metavar="PATH", help="the new folder to write the backup to")
    restore = sub.add_parser("restore", parents=[common],
                             help="put the database back to a backup (the current one is kept beside it)")
    restore.add_argument("backup", metavar="PATH", help="a folder written by the backup command")
    return parser


def _emit(rows: list[dict[str, Any]], fmt: str, text_lines: list[str]) -> None:
    if fmt == "json":
        print(json.dumps(rows, default=str, indent=1))
    elif fmt == "csv":
        if rows:
            fields = list(rows[0])
            write_csv(sys.stdout, fields, ([_flat(row[f]) for f in fields] for row in rows))
    else:
        print("\n".join(text_lines))


def _flat(value: Any) -> Any:
    """One CSV cell for a value: a list joined by ';', a problem as 'row=2, column=AGE, ...'."""
    if isinstance(value, list | tuple):
        return ";".join(str(_flat(v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={'' if v is None else v}" for k, v in value.items())
    return value


def _result_row(result: LoadResult) -> dict[str, Any]:
    row = asdict(result)
    row["problems"] = [asdict(p) for p in result.problems]
    return row


def _load(args: argparse.Namespace) -> int:
    if args.period:
        try:
            Quarter.parse(args.period)
        except PeriodError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    too_big = [f for f in args.files if Path(f).stat().st_size > config.max_upload_bytes()]
    if too_big:
        limit = config.max_upload_bytes() / 1048576
        print(f"{', '.join(too_big)}: larger than the limit of {limit:.0f} MB; nothing was loaded. Split the "
              "file by partnership or quarter, or raise KPI_MAX_UPLOAD_MB.")
        return 1
    results: list[LoadResult] = []
    busy: StoreError | None = None
    for name in args.files:
        # The write is taken for one file at a time (each its own transaction), so the dashboard's pages
        # and other commands get their turn between files; waiting for it is said on standard error.
        try:
            with open_store(args.db) as store:
                results.append(load_file(
                    store, data=Path(name).read_bytes(), file_name=name, kind=args.kind, period=args.period,
                    user=config.current_user(), measure_ids=measure_ids(), on_change=refresh_results,
                ))
        except StoreError as exc:  # the database was not to be had: say what landed before, then why
            busy = exc
            break
    if busy is not None and not results:
        raise busy
    lines: list[str] = []
    for r in results:
        lines.append(r.message)
        lines.extend(f"  warning: {w}" for w in r.warnings)
        for p in r.problems:
            where = f"row {p.row}" if p.row is not None else "file"
            col = f", column {p.column}" if p.column else ""
            value = f" [{p.value}]" if p.value else ""
            lines.append(f"  {where}{col}{value}: {p.reason}")
    if args.errors_csv:
        problems = [p for r in results for p in r.problems]
        Path(args.errors_csv).write_text(problems_csv(problems), encoding="utf-8")
    _emit([_result_row(r) for r in results], args.format, lines)
    if busy is not None:
        print(f"error: {busy} Not loaded: {', '.join(args.files[len(results):])}.", file=sys.stderr)
        return 1
    return 0 if all(r.ok for r in results) else 1


def _history(args: argparse.Namespace) -> int:
    with open_store(args.db, read_only=True) as store:
        uploads = history(store)
    rows = [asdict(u) for u in uploads]
    lines = [
        f"{u.upload_id:>5}  {u.uploaded_at:%Y-%m-%d %H:%M}  {u.kind:<10} {u.rows:>8,} rows  "
        f"{','.join(u.partnerships):<24} {','.join(u.periods):<14} {u.file_name}"
        f"{'  (demo)' if u.is_demo else ''}{'  WITHDRAWN ' + f'{u.withdrawn_at:%Y-%m-%d %H:%M}' if u.withdrawn_at else ''}"
        for u in uploads
    ] or ["No uploads yet."]
    _emit(rows, args.format, lines)
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        try:
            upload = withdraw_upload(store, upload_id=args.upload_id, user=config.current_user(),
                                     on_change=refresh_results)
        except UploadNotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    _emit([asdict(upload)], args.format,
          [f"Withdrew upload {upload.upload_id} ({upload.file_name}); the state before it is restored."])
    return 0


def _demo(args: argparse.Namespace) -> int:
    from loaders.demo import load_demo

    out_dir = Path(args.out_dir) if args.out_dir else Path(tempfile.mkdtemp(prefix="kpi-demo-"))
    with open_store(args.db) as store:
        results = load_demo(store, out_dir=out_dir, scale=args.scale, seed=args.seed,
                            measure_ids=measure_ids(), on_change=refresh_results)
    lines = [r.message for r in results] + [f"Demo extracts written to {out_dir}."]
    _emit([_result_row(r) for r in results], args.format, lines)
    return 0 if all(r.ok for r in results) else 1


def _backup(args: argparse.Namespace) -> int:
    target = Path(args.to)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(f"error: {target} already exists and is not an empty folder; choose a new folder", file=sys.stderr)
        return 2
    db_path = config.database_path(args.db)
    folder = backup_database(db_path, to=target)
    manifest = read_manifest(folder)
    row = {"database": str(db_path), "backup": str(folder), "created_at": manifest["created_at"],
           "uploads": manifest["uploads"], "schema_version": manifest["schema_version"]}
    _emit([row], args.format, [f"Backed up {db_path} ({manifest['uploads']} uploads, with the audit and the "
                               f"client key) to {folder}."])
    return 0


def _restore(args: argparse.Namespace) -> int:
    folder = Path(args.backup)
    if not folder.exists():
        print(f"error: no such backup: {folder}", file=sys.stderr)
        return 2
    db_path = config.database_path(args.db)
    kept = restore_database(backup=folder, db_path=db_path)
    manifest = read_manifest(folder)
    row = {"database": str(db_path), "backup": str(folder), "created_at": manifest["created_at"],
           "uploads": manifest["uploads"], "previous_database": str(kept) if kept else ""}
    lines = [f"Restored {db_path} from the backup of {manifest['created_at']} ({manifest['uploads']} uploads)."]
    if kept:
        lines.append(f"The database it replaced is kept as {kept}.")
    _emit([row], args.format, lines)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"load": _load, "history": _history, "withdraw": _withdraw, "demo": _demo, "backup": _backup,
               "restore": _restore}[args.command]
    try:
        return handler(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
