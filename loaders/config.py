"""Settings read from the environment, with the defaults a new user needs.

Every setting is listed in SETTINGS so that the README can document each one (a test checks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
CODES_DIR = DATA_DIR / "codes"


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("KPI_DB", "data/dashboard.duckdb", "the DuckDB database file"),
    Setting("KPI_MAX_UPLOAD_MB", "200", "the largest file accepted for upload, in megabytes"),
    Setting(
        "KPI_CLIENT_KEY_FILE",
        "the database path with the suffix .key",
        "the secret key used to replace client identifiers by a keyed hash; created on first use",
    ),
    Setting(
        "KPI_MEMORY_LIMIT",
        "448MB",
        "the memory DuckDB may use for queries (e.g. 448MB, 1GB; 'default' for DuckDB's own, 80% of RAM); "
        "beyond it, large refreshes spill to a folder next to the database. The default keeps an upload of a "
        "national quarterly journeys file, with its refresh, under 1 GiB (bench/results.md, memory_load)",
    ),
    Setting(
        "KPI_LOCK_WAIT",
        "60",
        "how many seconds a load, withdrawal, restore or backup, an upload, or a page of the dashboard waits for "
        "another program holding the database before giving up with a message naming it",
    ),
    Setting("KPI_TARGETS", "data/targets.toml", "the targets file the dashboard measures against"),
    Setting("KPI_NAMES", "data/names.csv", "the file naming providers and teams (AGNCY, TEAM, NAME), shown with their codes"),
    Setting("KPI_USER", "the operating-system user", "who the command line records as the uploader"),
    Setting(
        "KPI_UPLOADERS",
        "none",
        "with sign-in configured, the e-mail addresses (comma-separated) allowed to upload, withdraw and "
        "change targets; also read from [access] uploaders in .streamlit/secrets.toml",
    ),
)


def database_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database file: ``--db`` when given, else ``KPI_DB``, else ``data/dashboard.duckdb``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("KPI_DB")
    return Path(env) if env else DATA_DIR / "dashboard.duckdb"


def max_upload_bytes() -> int:
    """The upload size limit in bytes (``KPI_MAX_UPLOAD_MB``, default 200 MB)."""
    try:
        megabytes = float(os.environ.get("KPI_MAX_UPLOAD_MB", "200"))
    except ValueError:
        megabytes = 200.0
    return int(megabytes * 1024 * 1024)


# The default: an upload of a national quarterly journeys file peaks at about 0.9 GiB with it (DuckDB's
# share plus Python's), within the 1 GiB of issue 15; 1GB made it 1.4 GiB for a refresh a few per cent
# faster (measured with bench/, see bench/results.md).
MEMORY_LIMIT = "448MB"


def memory_limit() -> str | None:
    """DuckDB's memory_limit (``KPI_MEMORY_LIMIT``, default 448MB); None leaves DuckDB's default."""
    value = os.environ.get("KPI_MEMORY_LIMIT", MEMORY_LIMIT).strip()
    if value.lower() in ("", "default"):
        return None
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE):
        raise ValueError(f"KPI_MEMORY_LIMIT={value!r} is not a size such as 1GB or 512MB.")
    return value


def lock_wait() -> float:
    """Seconds to wait for the database when another program holds it (``KPI_LOCK_WAIT``, default 60)."""
    try:
        return max(0.0, float(os.environ.get("KPI_LOCK_WAIT", "60")))
    except ValueError:
        return 60.0


def client_key_path(db_path: Path) -> Path:
    env = os.environ.get("KPI_CLIENT_KEY_FILE")
    return Path(env) if env else db_path.with_suffix(".key")


def current_user() -> str | None:
    """Who the command line records as the uploader."""
    return os.environ.get("KPI_USER") or os.environ.get("USER") or None


def uploaders(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The e-mail addresses allowed to change data when sign-in is configured (lower case)."""
    listed = [e for e in os.environ.get("KPI_UPLOADERS", "").split(",") if e.strip()]
    return frozenset(e.strip().lower() for e in (*listed, *extra) if e.strip())


def may_change_data(*, email: str | None, sign_in_configured: bool, allowed: frozenset[str]) -> bool:
    """Who may upload, withdraw and change targets.

    Without sign-in the dashboard runs open on this machine (with a notice saying so), so anyone
    who can reach it may; with sign-in, only the signed-in users on the uploaders list may.
    """
    if not sign_in_configured:
        return True
    return bool(email) and email.strip().lower() in allowed
