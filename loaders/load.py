"""Audited, versioned, all-or-nothing loads of the quarterly extracts, and their withdrawal."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from loaders.extracts import EXTRACTS, table_for
from loaders.formats import read_file
from loaders.periods import PeriodError, Quarter
from loaders.problems import FileRejected, Problem
from loaders.store import Store
from loaders.validation import ValidatedFile, validate

# Called inside the load's transaction with the partnerships the change touched, so that the
# materialised results change together with the rows (see metrics.results.refresh_results).
OnChange = Callable[[Store, tuple[str, ...]], None]


@dataclass(frozen=True)
class LoadResult:
    """What happened to one file: ``loaded``, ``duplicate`` (same bytes already loaded) or ``rejected``."""

    status: str
    file_name: str
    kind: str | None = None
    upload_id: int | None = None
    rows: int = 0
    partnerships: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "duplicate")


@dataclass(frozen=True)
class Upload:
    """One row of the upload audit."""

    upload_id: int
    uploaded_at: datetime
    uploaded_by: str | None
    file_name: str
    sha256: str
    kind: str
    rows: int
    partnerships: tuple[str, ...]
    periods: tuple[str, ...]
    reporting_period: str | None
    period_stated: bool
    encoding: str
    is_demo: bool
    withdrawn_at: datetime | None
    withdrawn_by: str | None = field(default=None)

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class UploadNotFound(LookupError):
    """There is no upload with that number, or it was already withdrawn."""


def known_indicator_ids(store: Store, extra: Iterable[str] = ()) -> frozenset[str]:
    """Indicator ids that need no name: the dashboard's measures and those uploaded with one."""
    named = {r[0] for r in store.rows(
        "SELECT DISTINCT indicator FROM indicators WHERE indicator_name IS NOT NULL")}
    return frozenset(named.union(extra))


def load_file(
    store: Store,
    *,
    data: bytes,
    file_name: str,
    kind: str = "auto",
    period: str | None = None,
    user: str | None = None,
    is_demo: bool = False,
    measure_ids: Iterable[str] = (),
    on_change: OnChange | None = None,
) -> LoadResult:
    """Load one extract whole, in one transaction, or reject it with every problem found.

    The same bytes loaded before (and not withdrawn) are a no-op that says so.
    """
    name = Path(file_name).name
    digest = hashlib.sha256(data).hexdigest()
    previous = store.one(
        "SELECT upload_id, uploaded_at FROM uploads WHERE sha256 = ? AND withdrawn_at IS NULL "
        "ORDER BY upload_id LIMIT 1", [digest])
    if previous:
        return LoadResult(
            status="duplicate", file_name=name, upload_id=previous[0],
            message=f"These exact bytes were already loaded as upload {previous[0]} on "
                    f"{previous[1]:%Y-%m-%d %H:%M}; nothing was changed.",
        )
    try:
        try:
            stated = Quarter.parse(period) if period else None
        except PeriodError as exc:
            raise FileRejected([Problem(None, "", period or "", f"The stated reporting period {exc}.")]) from exc
        parsed = read_file(data, kind=kind)
        codes = {
            name_: [r[0] for r in store.rows(
                "SELECT code FROM code_lists WHERE list = ? ORDER BY try_cast(code AS INTEGER), code", [name_])]
            for name_ in {c.codes for spec in EXTRACTS.values() for c in spec.columns if c.codes}
        }
        checked = validate(
            parsed, codes=codes, client_key=store.client_key().decode("ascii"), period=stated,
            known_indicators=known_indicator_ids(store, measure_ids),
        )
    except FileRejected as rejected:
        count = len(rejected.problems)
        return LoadResult(status="rejected", file_name=name, kind=None, problems=rejected.problems,
                          message=f"{name} was rejected: {count} problem{'' if count == 1 else 's'}; "
                                  "nothing was loaded.")
    spec = checked.spec
    with store.transaction():
        # Checked again inside the transaction: two sessions may upload the same file at once.
        again = store.one("SELECT upload_id FROM uploads WHERE sha256 = ? AND withdrawn_at IS NULL", [digest])
        if again:
            return LoadResult(status="duplicate", file_name=name, upload_id=again[0],
                              message=f"These exact bytes were just loaded as upload {again[0]}; nothing was changed.")
        upload_id = int(store.scalar("SELECT nextval('upload_id_seq')"))
        store.execute(
            "INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            [upload_id, datetime.now(), user, name, digest, checked.kind, checked.rows,
             list(checked.partnerships), list(checked.periods),
             checked.reporting_period.label if checked.reporting_period else None,
             checked.reporting_period.end if checked.reporting_period else None,
             checked.period_stated, parsed.encoding, is_demo],
        )
        store.register("staged", checked.table)
        try:
            if spec.kind == "indicators":
                store.execute(f"INSERT INTO indicators BY NAME SELECT {upload_id} AS upload_id, * FROM staged")
            else:
                store.execute(
                    f"INSERT INTO {spec.kind} SELECT {upload_id}, DATE '{checked.reporting_period.end}', * FROM staged"
                )
        finally:
            store.unregister("staged")
        # The file's cells are stored: let them go before the refresh, which needs the memory (a national
        # journeys file's parsed and checked columns are a few hundred MB).
        large = parsed.table.nbytes >= RELEASE_AFTER_BYTES
        del parsed
        checked = replace(checked, table=checked.table.schema.empty_table())
        if large:  # (a collection costs a tenth of a second or so: worth it only after a large file)
            _release_memory()
        if on_change is not None:
            on_change(store, checked.partnerships)
    return LoadResult(
        status="loaded", file_name=name, kind=checked.kind, upload_id=upload_id, rows=checked.rows,
        partnerships=checked.partnerships, periods=checked.periods, warnings=checked.warnings,
        message=f"Loaded {name} as upload {upload_id}: {_rows_loaded(checked)} for "
                f"{_listed(checked.partnerships, 'areas')} ({_listed(checked.periods, 'periods')}).",
    )


# After a file whose cells take this much memory as read, what parsing freed is handed back (below).
RELEASE_AFTER_BYTES = 32 * 1024 * 1024


def _release_memory() -> None:
    """Hand the memory the file's parsing freed back to the system before the refresh takes its own:
    pyarrow's pool and the C library keep freed memory for reuse, which DuckDB, with an allocator of its
    own, cannot use (about 160 MB after a national journeys file; the refresh then peaks that much lower)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc only (Linux); elsewhere nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _rows_loaded(checked: ValidatedFile) -> str:
    if checked.kind == checked.spec.kind:
        return f"{checked.rows:,} {checked.kind} rows"
    return f"{checked.rows:,} figures from a {checked.kind} download"


def _listed(items: tuple[str, ...], noun: str, *, most: int = 12) -> str:
    """A list for a sentence, cut after ``most`` items ('E06000001, ... and 140 more areas')."""
    if len(items) <= most:
        return ", ".join(items)
    return f"{', '.join(items[:most])} and {len(items) - most:,} more {noun}"


def withdraw_upload(
    store: Store, *, upload_id: int, user: str | None = None, on_change: OnChange | None = None
) -> Upload:
    """Take an upload back: its rows go, the versions it replaced become current again.

    The audit row stays, marked withdrawn, so the history shows what happened.
    """
    found = history(store, upload_id=upload_id)
    if not found or not found[0].active:
        raise UploadNotFound(f"There is no active upload {upload_id} to withdraw (see the upload history).")
    upload = found[0]
    with store.transaction():
        store.execute(f"DELETE FROM {table_for(upload.kind)} WHERE upload_id = ?", [upload_id])
        store.execute("UPDATE uploads SET withdrawn_at = ?, withdrawn_by = ? WHERE upload_id = ?",
                      [datetime.now(), user, upload_id])
        if on_change is not None:
            on_change(store, upload.partnerships)
    return history(store, upload_id=upload_id)[0]


def history(store: Store, *, upload_id: int | None = None) -> list[Upload]:
    """Every upload, newest first (withdrawn ones included and marked)."""
    sql = (
        "SELECT upload_id, uploaded_at, uploaded_by, file_name, sha256, kind, row_count, partnerships, "
        "periods, reporting_period, period_stated, encoding, is_demo, withdrawn_at, withdrawn_by FROM uploads"
    )
    params: list[object] = []
    if upload_id is not None:
        sql += " WHERE upload_id = ?"
        params.append(upload_id)
    rows = store.rows(sql + " ORDER BY upload_id DESC", params)
    return [
        Upload(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(r[7]), tuple(r[8]), r[9], r[10], r[11], r[12],
               r[13], r[14])
        for r in rows
    ]


def history_frame(store: Store) -> pd.DataFrame:
    """The upload history as a table for people (no identifiers: none are in the audit)."""
    uploads = history(store)
    return pd.DataFrame(
        [
            {
                "upload": u.upload_id, "when": u.uploaded_at, "by": u.uploaded_by or "", "file": u.file_name,
                "kind": u.kind, "rows": u.rows, "partnerships": ", ".join(u.partnerships),
                "periods": ", ".join(u.periods), "status": "withdrawn" if u.withdrawn_at else "active",
                "demo": u.is_demo, "sha256": u.sha256,
            }
            for u in uploads
        ],
        columns=["upload", "when", "by", "file", "kind", "rows", "partnerships", "periods", "status", "demo",
                 "sha256"],
    )


def demo_loaded(store: Store) -> bool:
    """True while any active upload is synthetic demo data."""
    return bool(store.scalar("SELECT count(*) FROM uploads WHERE is_demo AND withdrawn_at IS NULL"))


def upload_version(store: Store) -> str:
    """A token that changes whenever an upload lands or is withdrawn (for readers' caches)."""
    row = store.one("SELECT count(*), max(upload_id), count(withdrawn_at) FROM uploads")
    return ":".join(str(v) for v in (row or ()))
