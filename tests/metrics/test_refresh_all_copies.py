"""refresh_all takes the current rows from the copies every refresh keeps (issue 15), not by ranking every version.

So the copies must equal the current version of every row (the ``current_*`` views, which rank the stored
versions) after any mix of loads, back-fills and withdrawals, and ranking again must change no result.
"""

from __future__ import annotations

from loaders.load import withdraw_upload
from loaders.store import Store
from metrics.results import refresh_all, refresh_results
from tests.conftest import JOURNEY_HEADER, TOP_HEADER, csv_text, load_text

DAT = "E08000001"


def _journey(episode: str, triaged: str, disd: str = "", reason: str = "", *, sex: str = "1") -> str:
    return ",".join((DAT, "P1", "", f"C{episode}", episode, "30", sex, "A", "OPI", "HEROIN", "4", triaged, triaged,
                     disd, reason, "14", "N"))


def _load(store: Store, header: str, *rows: str, period: str) -> int:
    result = load_text(store, csv_text(header, *rows), period=period, on_change=refresh_results)
    assert result.status == "loaded", (result.message, result.problems)
    return int(result.upload_id)


def _copies_are_current(store: Store) -> None:
    for kind in ("journeys", "tops", "dip"):
        copy = store.rows(f"SELECT * EXCLUDE (period_end, source_row) FROM refreshed_{kind} ORDER BY ALL")
        assert copy == store.rows(f"SELECT * FROM current_{kind} ORDER BY ALL"), kind


def _results(store: Store) -> list[tuple]:
    return store.rows("SELECT * FROM results ORDER BY ALL")


def test_refresh_all_from_the_copies_equals_ranking_every_version(store: Store) -> None:
    _load(store, JOURNEY_HEADER, _journey("1", "2024-01-10"), _journey("2", "2024-02-01"), period="2023-24 Q4")
    _load(store, JOURNEY_HEADER, _journey("1", "2024-01-10", "2024-05-20", "80"), _journey("3", "2024-05-01"),
          period="2024-25 Q1")
    _load(store, TOP_HEADER, f"{DAT},P1,C1,1,T1,2024-01-12,S" + ",,,,,,,,", period="2023-24 Q4")
    # A back-filled correction of the first quarter (outranked by the later quarter for episode 1) ...
    backfill = _load(store, JOURNEY_HEADER, _journey("1", "2024-01-10", sex="2"),
                     _journey("2", "2024-02-01", "2024-03-01", "81", sex="2"), period="2023-24 Q4")
    _copies_are_current(store)
    # ... then withdrawn: the versions it replaced are current again.
    withdraw_upload(store, upload_id=backfill, on_change=refresh_results)
    _copies_are_current(store)
    incremental = _results(store)
    assert incremental

    refresh_all(store)
    _copies_are_current(store)
    assert _results(store) == incremental
    refresh_all(store, rank_versions=True)
    _copies_are_current(store)
    assert _results(store) == incremental
