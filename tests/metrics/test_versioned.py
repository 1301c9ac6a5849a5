"""Reads kept once per version of the data (metrics/versioned.py): asked again, the same answer without
reading; after an upload, a withdrawal or another file at the same path, read again."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from loaders.load import withdraw_upload
from loaders.store import Store, open_store
from metrics import names
from metrics.versioned import data_key, per_version
from tests.conftest import INDICATOR_HEADER, csv_text, load_text


def _named(name: str) -> str:
    return csv_text(INDICATOR_HEADER, f"E99000001,{name},iom_cohort,IOM cohort,2024-25 Q2,,,140,count,,")


def test_asked_again_the_answer_is_kept_until_the_data_changes(store: Store) -> None:
    reads: list[int] = []

    @per_version
    def uploads(store_: Store) -> int:
        reads.append(1)
        return int(store_.scalar("SELECT count(*) FROM uploads"))

    assert uploads(store) == 0 and uploads(store) == 0
    assert len(reads) == 1  # the second asking did not read
    first = load_text(store, _named("Northvale"), name="a.csv")
    assert uploads(store) == 1 and len(reads) == 2  # an upload: read again
    withdraw_upload(store, upload_id=first.upload_id)
    assert uploads(store) == 1 and len(reads) == 3  # a withdrawal moves the version too


def test_area_names_follow_an_upload(store: Store) -> None:
    load_text(store, _named("Northvale"), name="a.csv")
    assert names.area_names(store)["E99000001"] == "Northvale"
    assert names.area_names(store) is names.area_names(store)  # kept, not read again
    load_text(store, _named("Southvale"), name="b.csv")
    assert names.area_names(store)["E99000001"] == "Southvale"


def test_another_file_at_the_same_path_is_other_data(tmp_path: Path) -> None:
    """A restore replaces the file: the same path and upload version, but another file (its inode, size or
    modification time differ), so nothing kept for the old one is shown."""
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    for path, name in ((first, "Northvale"), (second, "Southvale")):
        with open_store(path) as s:
            load_text(s, _named(name))
    with open_store(first, read_only=True) as s:
        assert names.area_names(s)["E99000001"] == "Northvale"
        before = data_key(s)
    shutil.copy(second, first)
    with open_store(first, read_only=True) as s:
        assert data_key(s) != before
        assert names.area_names(s)["E99000001"] == "Southvale"


def test_a_database_without_a_file_is_never_kept() -> None:
    for path in (None, ":memory:"):  # nothing on disk says when its data changes
        assert data_key(SimpleNamespace(path=path)) is None  # type: ignore[arg-type]
