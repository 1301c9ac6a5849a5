"""Shared fixtures: small real DuckDB databases built from CSV text, never mocks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from loaders.load import LoadResult, load_file
from loaders.store import Store, open_store

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own database, key and targets paths; nothing touches data/."""
    monkeypatch.setenv("KPI_DB", str(tmp_path / "test.duckdb"))
    monkeypatch.setenv("KPI_CLIENT_KEY_FILE", str(tmp_path / "client.key"))
    monkeypatch.delenv("KPI_TARGETS", raising=False)
    monkeypatch.setenv("KPI_LOCK_WAIT", "10")  # a test that finds the database held waits 10 s, not a minute


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(Path(os.environ["KPI_DB"]))
    yield s
    s.close()


def load_text(store: Store, text: str, *, name: str = "upload.csv", kind: str = "auto",
              period: str | None = None, on_change=None) -> LoadResult:
    """Load CSV text through the real loader, as a user's upload goes."""
    from metrics.registry import measure_ids

    return load_file(store, data=text.encode("utf-8"), file_name=name, kind=kind, period=period,
                     measure_ids=measure_ids(), on_change=on_change)


def csv_text(header: str, *rows: str) -> str:
    """A CSV file from a header and rows, each a comma-separated line."""
    return "\n".join((header, *rows)) + "\n"


JOURNEY_HEADER = "DAT,AGNCY,TEAM,CLIENTID,EPISODID,AGE,SEX,ETHNIC,SUBGRP,DRUG1,RFLS,REFLD,TRIAGED,DISD,DISRSN,PRNTSTAT,INJSTAT"
TOP_HEADER = "DAT,AGNCY,CLIENTID,EPISODID,TOPID,TOPDATE,TRSTAGE,OPIUSE,CRAUSE,ALCUSE,INJECT,PHSTAT,PSYHSTAT,QUALLIFE,HOUSING"
DIP_HEADER = ("DAT,SUITE,MONTH,TRIGGER_ARRESTS,TESTS,POS_OPI,POS_COC,POS_BOTH,RA_REQUIRED,RA_ATTENDED,"
              "FUA_REQUIRED,FUA_ATTENDED,REFERRED,ENTERED")
INDICATOR_HEADER = "AREA_CODE,AREA_NAME,INDICATOR,INDICATOR_NAME,PERIOD,NUMERATOR,DENOMINATOR,VALUE,UNIT,LOWER_CI,UPPER_CI"
