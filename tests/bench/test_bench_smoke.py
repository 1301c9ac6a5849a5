"""The benchmark harness runs end to end on the demo data (`python -m bench --smoke`) and reports every figure.

No timing is asserted: CI machines vary. What must hold is that every step ran (the real browser
included), every figure has its row with a value, and the committed bench/results.md is left alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import figure_ids

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "bench" / "results.md"


def _stamp(path: Path) -> tuple[int, int] | None:
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


@pytest.mark.timeout(600)  # the sessions step starts its own server and walks the pages in Chromium too
def test_smoke_run_reports_every_figure(tmp_path: Path) -> None:
    before = _stamp(COMMITTED)
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=540)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in text.splitlines() if line.startswith("| `")}
    assert set(rows) == set(figure_ids(smoke=True))
    # Two sessions at once on the demo data: every page of both drawn, none with an error.
    for stat in ("p50", "p95", "errors", "memory"):
        assert f"sessions_demo_2_{stat}" in rows
    assert rows["sessions_demo_2_errors"].split("|")[2].strip() == "0 errors", rows["sessions_demo_2_errors"]
    assert "first_page_ratio" in rows
    for figure_id, row in rows.items():
        assert "not measured" not in row, row
        value = row.split("|")[2].strip()
        assert value[0].isdigit(), f"{figure_id} has no value: {row}"
    agreement = rows["pandas_agreement"].split("|")[2].strip()
    assert agreement == "0 mismatches", "the pandas reference disagrees with the product on the demo data"
    for heading in ("## Machine", "| CPUs (nproc) |", "| CPU model |", "| DuckDB |", "Where refresh_all's time goes",
                    "## Sessions at once: demo database"):
        assert heading in text
    assert not (tmp_path / "data").exists(), "the smoke run leaves its data behind"
    assert _stamp(COMMITTED) == before, "the smoke run touched bench/results.md"
