"""A partnership whose only data are downloads (NDTMS ViewIt) gets a board pack and a scorecard that say
where each figure came from (issue 12)."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from charts import figures, pack
from loaders.load import load_file
from loaders.periods import Quarter
from loaders.store import Store
from metrics import reports
from metrics.registry import measure_ids
from metrics.results import refresh_results
from metrics.targets import load_targets
from tests.conftest import FIXTURES

DOWNLOADS = FIXTURES / "downloads"
BARNET = "E09000003"
SOURCE = "ndtms_viewit_LAs_2012-14_sample.csv (upload 2)"


def _barnet(store: Store) -> Store:
    for name in ("ndtms_viewit_England.csv", "ndtms_viewit_LAs_2012-14_sample.csv"):
        result = load_file(store, data=(DOWNLOADS / name).read_bytes(), file_name=name, measure_ids=measure_ids(),
                           on_change=refresh_results)
        assert result.status == "loaded", result.problems
    return store


def test_the_scorecard_says_where_each_figure_came_from(store: Store) -> None:
    card = reports.scorecard(_barnet(store), area=BARNET, period=Quarter.parse("2013-14 Q4"), targets=load_targets())
    table = figures.scorecard_table(card)
    sources = dict(zip(table["Measure"], table["Source"], strict=True))
    assert sources["Numbers in treatment"] == f"Published by NDTMS ViewIt: {SOURCE}"
    assert figures.source_text("computed") == "Computed from the extracts"


def test_a_board_pack_from_downloads_alone(store: Store, tmp_path: Path) -> None:
    """Barnet's pack for 2013-14 Q4: its name on every page, its published figures in the scorecard with the
    download named, England's published BME share (24,283 of 289,741) as the comparator."""
    _barnet(store)
    content = pack.pack_content(store, area=BARNET, period="2013-14 Q4", targets=load_targets(),
                                produced=date(2026, 12, 3))
    assert content.area_name == "Barnet"
    assert [line.kpi for line in content.scorecard][:1] == ["bme_share"]  # the one measure with a target
    assert content.published_notes == (
        f"Published by NDTMS ViewIt: {SOURCE}: Black and minority ethnic share, Numbers in treatment, Successful "
        "completions, opiate (PHOF C19a), Successful completions, non-opiate (PHOF C19b), Successful completions, "
        "alcohol (PHOF C19c), Successful completions, all.",)
    bme = next(line for line in content.scorecard if line.kpi == "bme_share")
    assert bme.benchmark == "8.4%"  # 24,283 / 289,741
    assert "NDTMS ViewIt" in content.source
    out = tmp_path / "barnet.pdf"
    out.write_bytes(pack.render_pdf(content))
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Published by NDTMS ViewIt" in text and "Barnet" in text
