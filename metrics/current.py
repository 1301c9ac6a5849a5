"""The refresh's copy of the current version of each row, and the days from which a change matters.

Recomputing every quarter of every partnership takes most of a minute at national scale (3.5 million
journeys, 40 quarters), yet a quarterly file changes few rows, and a changed row can only alter the
figures of windows that reach its dates. The tables ``refreshed_journeys``, ``refreshed_tops`` and
``refreshed_dip`` (loaders/migrations/0002_refresh_state.sql) hold the current version of each row as
the results were last computed, and ``refreshed_uploads`` the uploads they reflect. :func:`sync` brings
them up to date with the uploads loaded and withdrawn since, and returns, for each partnership, the
earliest day a changed row can reach: every quarter whose window ends on or after that day is
recomputed (metrics/results.py), and no other quarter can differ.

How far back a changed row reaches (W is the 12 months ending E; every other window the measures use
ends on or before E):

* a journey that is new, gone, or changed in anything but its discharge: TRIAGED - 183 days. It can be
  in W only when TRIAGED <= E, and it re-presents (kpis.md) a journey discharged up to 182 days before
  its TRIAGED, which counts in the windows holding that discharge.
* a journey whose only change is its discharge (DISD, DISRSN): the earlier of the old and new DISD,
  less a day. Before either date both versions are open and behave the same in every test of
  metrics/sql/ (in W, effective, open at E, retained, TOPs due); on and after it they may not.
* a TOP: TOPDATE - 29 days (a TOP counts for a due date up to 28 days from it, and as an exit form in
  the W holding TOPDATE).
* a DIP month: that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from loaders.store import Store


@dataclass(frozen=True)
class Kind:
    """One extract whose current rows the refresh keeps."""

    table: str
    key: tuple[str, ...]
    day: str                      # the row's earliest date
    reach: int                    # days before ``day`` the row can change a window ending then
    late: tuple[str, ...] = ()    # columns whose change alone reaches only from the earlier of their dates
    late_day: str | None = None

    @property
    def copy(self) -> str:
        return f"refreshed_{self.table}"


KINDS = (
    Kind("journeys", ("dat", "agncy", "episodid"), day="triaged", reach=183, late=("disd", "disrsn"),
         late_day="disd"),
    Kind("tops", ("dat", "agncy", "topid"), day="topdate", reach=29),
    Kind("dip", ("dat", "suite", "month"), day="month", reach=1),
)

# Columns that identify a version rather than say anything about the row.
_VERSION_COLUMNS = ("upload_id", "period_end", "source_row")

# The full rebuild: each row's best version (newest reporting period, then newest upload), kept with a
# GROUP BY over the ranked uploads, which is several times faster than a window over every version.
# The copies are written in partnership order (a sync appends its rows in that order too), so that each
# of DuckDB's row groups holds few partnerships and a refresh batch, which asks for its partnerships by
# name (metrics/results.py), skips the row groups of the others instead of reading every row.
_REBUILD = """
INSERT INTO {copy}
WITH versions AS (
    SELECT upload_id, row_number() OVER (ORDER BY period_end, upload_id) AS version
    FROM uploads
    WHERE kind = '{table}' AND withdrawn_at IS NULL
),
latest AS (
    SELECT arg_max(t.rowid, v.version) AS row_id
    FROM {table} t
    JOIN versions v USING (upload_id)
    GROUP BY {key}
)
SELECT t.* FROM {table} t SEMI JOIN latest ON latest.row_id = t.rowid
ORDER BY t.dat
"""

_TEMP_TABLES = ("refresh_sync_keys", "refresh_sync_new", "refresh_sync_old")


def rebuild(store: Store) -> None:
    """Fill the copies from scratch with the current version of every row (inside the caller's transaction)."""
    for kind in KINDS:
        store.execute(f"DELETE FROM {kind.copy}")
        store.execute(_REBUILD.format(copy=kind.copy, table=kind.table, key=", ".join(kind.key)))
    store.execute("DELETE FROM refreshed_uploads")
    store.execute(
        "INSERT INTO refreshed_uploads SELECT upload_id FROM uploads "
        "WHERE withdrawn_at IS NULL AND list_contains(?, kind)", [[k.table for k in KINDS]])


def never_synced(store: Store) -> bool:
    """True when the copies were never filled while rows exist (a new or just-migrated database)."""
    return not store.scalar("SELECT count(*) FROM refreshed_uploads") and bool(store.scalar(
        "SELECT count(*) FROM uploads WHERE withdrawn_at IS NULL AND list_contains(?, kind)",
        [[k.table for k in KINDS]]))


def sync(store: Store) -> dict[str, date]:
    """Bring the copies up to date with every upload loaded or withdrawn since the last refresh.

    Returns ``{partnership: day}``: the earliest day a changed row reaches, for each partnership where a
    row's content changed (a new version identical to the old one changes nothing). Runs inside the
    caller's transaction.
    """
    reached: dict[str, date] = {}
    try:
        for kind in KINDS:
            for area, day in _sync_kind(store, kind).items():
                reached[area] = min(day, reached.get(area, day))
    finally:
        for name in _TEMP_TABLES:
            store.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return reached


def _sync_kind(store: Store, kind: Kind) -> dict[str, date]:
    pending = [r[0] for r in store.rows(
        "SELECT upload_id FROM uploads WHERE kind = ? AND withdrawn_at IS NULL "
        "AND upload_id NOT IN (SELECT upload_id FROM refreshed_uploads) ORDER BY upload_id", [kind.table])]
    gone = [r[0] for r in store.rows(
        "SELECT upload_id FROM refreshed_uploads JOIN uploads USING (upload_id) "
        "WHERE kind = ? AND withdrawn_at IS NOT NULL ORDER BY upload_id", [kind.table])]
    if not pending and not gone:
        return {}
    key = ", ".join(kind.key)
    # The rows that may change: those of the new uploads, and those whose current version was withdrawn.
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE refresh_sync_keys AS
        SELECT DISTINCT {key} FROM (
            SELECT {key} FROM {kind.table} WHERE list_contains(?, upload_id)
            UNION ALL
            SELECT {key} FROM {kind.copy} WHERE list_contains(?, upload_id)
        )
        """, [pending, gone])
    store.execute(f"CREATE OR REPLACE TEMP TABLE refresh_sync_old AS "
                  f"SELECT c.* FROM {kind.copy} c SEMI JOIN refresh_sync_keys USING ({key})")
    if gone:
        # A withdrawal: the versions left (the withdrawn rows are deleted) decide again.
        candidates = f"SELECT t.* FROM {kind.table} t SEMI JOIN refresh_sync_keys USING ({key})"
        params: list[object] = []
    else:
        # Only new uploads: each row's current version is the better of the copy's and the new ones.
        candidates = f"SELECT * FROM {kind.table} WHERE list_contains(?, upload_id) UNION ALL " \
                     "SELECT * FROM refresh_sync_old"
        params = [pending]
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE refresh_sync_new AS
        SELECT * FROM ({candidates})
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY period_end DESC, upload_id DESC) = 1
        """, params)
    changes = store.rows(_reach_query(store, kind))
    store.execute(f"DELETE FROM {kind.copy} c USING refresh_sync_keys k WHERE "
                  + " AND ".join(f"c.{k} = k.{k}" for k in kind.key))
    store.execute(f"INSERT INTO {kind.copy} SELECT * FROM refresh_sync_new ORDER BY dat")
    store.execute("DELETE FROM refreshed_uploads WHERE list_contains(?, upload_id)", [gone])
    store.execute("INSERT INTO refreshed_uploads SELECT unnest(?::INTEGER[])", [pending])
    return {area: day for area, day in changes if day is not None}


def _reach_query(store: Store, kind: Kind) -> str:
    """Per partnership, the earliest day reached by a row whose content changed (old vs new version)."""
    columns = [r[0] for r in store.rows(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND NOT internal "
        "AND database_name = current_database() ORDER BY column_index", [kind.table])]
    content = [c for c in columns if c not in _VERSION_COLUMNS and c not in kind.key]
    early = [c for c in content if c not in kind.late]

    def differ(names: list[str] | tuple[str, ...]) -> str:
        return " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in names) or "false"

    late_case = (
        f"WHEN {differ(kind.late)} THEN least(o.{kind.late_day}, n.{kind.late_day}) - 1" if kind.late else ""
    )
    joined = " AND ".join(f"o.{k} = n.{k}" for k in kind.key)
    return f"""
        SELECT coalesce(n.dat, o.dat) AS area, min(
            CASE
                WHEN o.dat IS NULL THEN CAST(n.{kind.day} AS DATE) - {kind.reach}
                WHEN n.dat IS NULL THEN CAST(o.{kind.day} AS DATE) - {kind.reach}
                WHEN {differ(early)} THEN CAST(least(o.{kind.day}, n.{kind.day}) AS DATE) - {kind.reach}
                {late_case}
            END
        ) AS day
        FROM refresh_sync_old o
        FULL OUTER JOIN refresh_sync_new n ON {joined}
        GROUP BY ALL
    """
