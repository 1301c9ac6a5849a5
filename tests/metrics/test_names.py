"""Every area, provider and team by its name (issue 12): the shipped area list, names given in uploads,
the names file, and `python -m metrics areas`."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from loaders.load import load_file
from loaders.periods import Quarter
from loaders.store import Store
from metrics import __main__ as cli
from metrics import names, reports
from metrics.registry import measure_ids
from metrics.results import refresh_results
from metrics.targets import TargetSet
from tests.conftest import FIXTURES, INDICATOR_HEADER, SAMPLES, csv_text, load_text


def _load(store: Store, path: Path) -> None:
    result = load_file(store, data=path.read_bytes(), file_name=path.name, measure_ids=measure_ids(),
                       on_change=refresh_results)
    assert result.status == "loaded", result.problems


def test_areas_are_named_from_the_list_and_the_uploads(store: Store) -> None:
    """The list names what it knows (a retired code says so); an indicators upload's AREA_NAME names an area
    of one's own and overrides the list; a download's name (ViewIt's 'Barnet', Fingertips' 'Somerset UA')
    never replaces the list's, but names an area the list does not know."""
    rows = ["E99000001,Lakeside (local),iom_cohort,IOM cohort,2024-25 Q1,,,70,count,,",
            "E09000014,Haringey DAAT,iom_cohort,,2024-25 Q1,,,80,count,,"]
    assert load_text(store, csv_text(INDICATOR_HEADER, *rows)).status == "loaded"
    text = ("ReportingPeriod,Area,AreaCode,intreatment_allintx\n2019/20,Somerset UA,E10000027,900\n"
            "2019/20,Nowhere Town,E99000002,10\n")
    assert load_file(store, data=text.encode(), file_name="v.csv", measure_ids=measure_ids()).status == "loaded"
    known = names.area_names(store)
    assert known["E09000003"] == "Barnet"
    assert known["E10000027"] == "Somerset (code retired 2023; now E06000066)"
    assert known["E99000001"] == "Lakeside (local)"
    assert known["E09000014"] == "Haringey DAAT"  # the user's own name wins over the list's 'Haringey'
    assert known["E99000002"] == "Nowhere Town"  # known only to the download


def test_python_m_metrics_areas(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    """Every listed area (163 with the retired codes) with its type and region, then the areas only uploads
    know; has_data for those with figures. Without a database, the list alone."""
    _load(store, FIXTURES / "downloads" / "ndtms_viewit_LAs_2012-14_sample.csv")
    _load(store, SAMPLES / "indicators.csv")
    store.close()
    assert cli.main(["areas", "--db", os.environ["KPI_DB"], "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert list(rows[0]) == ["area", "name", "type", "region", "valid_from", "valid_to", "successors", "has_data"]
    by_code = {r["area"]: r for r in rows}
    assert by_code["E09000003"] == {"area": "E09000003", "name": "Barnet", "type": "utla", "region": "London",
                                    "valid_from": "2009", "valid_to": "", "successors": "", "has_data": "true"}
    assert by_code["E10000027"]["successors"] == "E06000066" and by_code["E10000027"]["valid_to"] == "2023"
    assert by_code["E92000001"]["type"] == "country" and by_code["E92000001"]["has_data"] == "true"
    assert by_code["E12000007"]["type"] == "region"
    assert by_code["E08000999"] == {"area": "E08000999", "name": "Northvale", "type": "local", "region": "",
                                    "valid_from": "", "valid_to": "", "successors": "", "has_data": "true"}
    assert sum(1 for r in rows if r["type"] in ("country", "region", "utla")) == 173
    assert cli.main(["areas", "--db", str(Path(os.environ["KPI_DB"]).with_name("none.duckdb"))]) == 0
    assert "E09000003  utla" in capsys.readouterr().out


NAMES = """# a note
AGNCY,TEAM,NAME
NRC01,,Harbour Road Recovery
NRC01,CJIT,Criminal justice team
WAY02,,Wayside Alcohol Service
"""


def test_the_names_file(tmp_path: Path) -> None:
    named = names.parse_names(NAMES)
    assert named.label("provider", "NRC01") == "Harbour Road Recovery (NRC01)"
    assert named.label("team", "NRC01/CJIT") == "Criminal justice team (NRC01/CJIT)"
    assert named.label("team", "WAY02/EAR") == "Wayside Alcohol Service, EAR (WAY02/EAR)"
    assert named.label("provider", "ZZZ01") == "ZZZ01"
    assert named.label("ethnic_group", "White") == "White"
    with pytest.raises(names.NamesError) as raised:
        names.parse_names("AGNCY,TEAM\nNRC01,\n")
    assert "the column NAME is missing from the header" in str(raised.value)
    with pytest.raises(names.NamesError) as raised:
        names.parse_names("AGNCY,TEAM,NAME\nNRC01,,A\nNRC01,,B\n,,C\n")
    assert "row 3: provider NRC01 is named twice" in str(raised.value)
    assert "row 4: give both AGNCY and NAME" in str(raised.value)


def test_figures_carry_the_names_of_areas_providers_and_teams(store: Store, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "names.csv"
    path.write_text(NAMES, encoding="utf-8")
    monkeypatch.setenv("KPI_NAMES", str(path))
    for name in ("journeys.csv", "indicators.csv"):
        _load(store, SAMPLES / name)
    period = Quarter.parse("2024-25 Q2")
    card = reports.scorecard(store, area="E08000999", period=period, targets=TargetSet(()), breakdown="provider")
    assert set(card["group_name"]) == {"Harbour Road Recovery (NRC01)", "Wayside Alcohol Service (WAY02)"}
    assert set(card["area_name"]) == {"Northvale"}
    teams = reports.funnel(store, kpi="effective_treatment_rate", period=period, targets=TargetSet(()),
                           area="E08000999", breakdown="team")
    assert "Criminal justice team (NRC01/CJIT)" in set(teams["group_name"])
