"""Fixtures for the page tests: fresh Streamlit caches, and a database of the sample extracts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from loaders.load import load_file
from loaders.store import open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import SAMPLES


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def sample_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The four sample extracts loaded through the real loader."""
    path = tmp_path / "samples.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    with open_store(path) as store:
        for name in ("journeys.csv", "tops.csv", "dip.csv", "indicators.csv"):
            result = load_file(store, data=(SAMPLES / name).read_bytes(), file_name=name,
                               measure_ids=measure_ids(), on_change=refresh_results)
            assert result.status == "loaded", result.problems
    return path
