"""The synthetic demo extracts: shapes of docs/extracts.md, valid values, and visible stories."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders.demo import DEMO_PARTNERSHIPS, DemoFile, write_demo_extracts

CODES = Path(__file__).resolve().parents[2] / "data" / "codes"

# The extract columns, in order, as docs/extracts.md lists them.
COLUMNS = {
    "journeys": ["DAT", "AGNCY", "TEAM", "CLIENTID", "EPISODID", "AGE", "SEX", "ETHNIC", "SUBGRP", "DRUG1",
                 "RFLS", "REFLD", "TRIAGED", "DISD", "DISRSN", "PRNTSTAT", "INJSTAT"],
    "tops": ["DAT", "AGNCY", "CLIENTID", "EPISODID", "TOPID", "TOPDATE", "TRSTAGE", "OPIUSE", "CRAUSE",
             "ALCUSE", "INJECT", "PHSTAT", "PSYHSTAT", "QUALLIFE", "HOUSING"],
    "dip": ["DAT", "SUITE", "MONTH", "TRIGGER_ARRESTS", "TESTS", "POS_OPI", "POS_COC", "POS_BOTH",
            "RA_REQUIRED", "RA_ATTENDED", "FUA_REQUIRED", "FUA_ATTENDED", "REFERRED", "ENTERED"],
    "indicators": ["AREA_CODE", "AREA_NAME", "INDICATOR", "INDICATOR_NAME", "PERIOD", "NUMERATOR",
                   "DENOMINATOR", "VALUE", "UNIT", "LOWER_CI", "UPPER_CI"],
}
REQUIRED = {
    "journeys": ["DAT", "AGNCY", "CLIENTID", "EPISODID", "AGE", "SEX", "ETHNIC", "SUBGRP", "RFLS", "TRIAGED"],
    "tops": ["DAT", "AGNCY", "CLIENTID", "EPISODID", "TOPID", "TOPDATE", "TRSTAGE"],
    "dip": ["DAT", "SUITE", "MONTH", "TRIGGER_ARRESTS", "TESTS", "POS_OPI", "POS_COC", "POS_BOTH",
            "RA_REQUIRED", "RA_ATTENDED", "REFERRED", "ENTERED"],
}
NORTHVALE, SOUTHMERE, EASTBROOK = (p.code for p in DEMO_PARTNERSHIPS)
QUARTERS = [f"{y}-{(y + 1) % 100:02d} Q{q}" for y in range(2021, 2027) for q in (1, 2, 3, 4)][2:22]
SUCCESSFUL = {"80", "81", "82"}
TRANSFER = {"83", "84"}
IDENT = re.compile(r"^[A-Za-z0-9]{1,12}$")


def codes(name: str) -> set[str]:
    with (CODES / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"] for row in csv.DictReader(handle)}


def read(path: Path) -> pd.DataFrame:
    """A file as the user's spreadsheet shows it: every cell text, blank cells ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def dates(values: pd.Series) -> pd.Series:
    """Parse ISO or UK dates strictly; anything else (or blank) is NaT."""
    iso = pd.to_datetime(values.where(values.str.match(r"^\d{4}-\d{2}-\d{2}$")), format="%Y-%m-%d")
    uk = pd.to_datetime(values.where(values.str.match(r"^\d{2}/\d{2}/\d{4}$")), format="%d/%m/%Y")
    return iso.fillna(uk)


def quarter_bounds(label: str) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(quarter start, quarter end, start of the 12 months ending at the quarter end)."""
    year, number = int(label[:4]), int(label[-1])
    start = pd.Timestamp(year=year, month=4, day=1) + pd.DateOffset(months=3 * (number - 1))
    end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    return start, end, end + pd.Timedelta(days=1) - pd.DateOffset(months=12)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[DemoFile]:
    return write_demo_extracts(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def journeys(demo: list[DemoFile]) -> dict[str, pd.DataFrame]:
    out = {}
    for f in demo:
        if f.kind == "journeys":
            df = read(f.path)
            for column in ("REFLD", "TRIAGED", "DISD"):
                df[column + "_DATE"] = dates(df[column])
            out[f.period] = df
    return out


@pytest.fixture(scope="module")
def latest(journeys: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each journey's newest version, as the loader's precedence keeps it."""
    stacked = pd.concat([df.assign(ORDER=i) for i, df in enumerate(journeys.values())])
    return stacked.sort_values("ORDER").drop_duplicates(["DAT", "AGNCY", "EPISODID"], keep="last")


@pytest.fixture(scope="module")
def tops(demo: list[DemoFile]) -> pd.DataFrame:
    frames = [read(f.path).assign(PERIOD=f.period) for f in demo if f.kind == "tops"]
    out = pd.concat(frames, ignore_index=True)
    out["TOPDATE_DATE"] = dates(out["TOPDATE"])
    return out


@pytest.fixture(scope="module")
def dip(demo: list[DemoFile]) -> pd.DataFrame:
    return pd.concat([read(f.path).assign(PERIOD=f.period) for f in demo if f.kind == "dip"], ignore_index=True)


def test_files_come_oldest_quarter_first_with_indicators_last(demo: list[DemoFile]) -> None:
    assert len(demo) == 3 * 20 + 2
    quarterly = demo[:-2]
    assert [f.kind for f in quarterly] == ["journeys", "tops", "dip"] * 20
    assert [f.period for f in quarterly[::3]] == QUARTERS
    assert QUARTERS[0] == "2021-22 Q3" and QUARTERS[-1] == "2026-27 Q2"
    for f in quarterly:
        assert f.path.name == f"{f.kind}_{f.period.replace(' ', '_')}.csv"
        assert f.path.is_file()
    assert [(f.kind, f.period, f.path.name) for f in demo[-2:]] == [
        ("indicators", None, "indicators.csv"), ("indicators", None, "local_indicators.csv")]


def test_same_seed_gives_identical_bytes_and_another_seed_differs(demo: list[DemoFile], tmp_path: Path) -> None:
    again = write_demo_extracts(tmp_path / "again")
    assert [f.path.name for f in again] == [f.path.name for f in demo]
    for first, second in zip(demo, again, strict=True):
        assert first.path.read_bytes() == second.path.read_bytes(), first.path.name
    other = write_demo_extracts(tmp_path / "other", seed=7)
    assert other[0].path.read_bytes() != demo[0].path.read_bytes()


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="national"):
        write_demo_extracts(tmp_path, scale="huge")


def test_headers_are_exactly_the_extract_columns_in_plain_csv(demo: list[DemoFile]) -> None:
    for f in demo:
        raw = f.path.read_bytes()
        text = raw.decode("utf-8")
        header, _, body = text.partition("\n")
        assert header == ",".join(COLUMNS[f.kind]), f.path.name
        assert '"' not in text and "\r" not in text
        assert body and body.endswith("\n") and not body.endswith("\n\n")
        widths = {line.count(",") for line in body.splitlines()}
        assert widths == {len(COLUMNS[f.kind]) - 1}, f.path.name


def test_required_cells_are_present_and_identifiers_well_formed(demo: list[DemoFile]) -> None:
    for f in demo:
        if f.kind == "indicators":
            continue
        df = read(f.path)
        for column in REQUIRED[f.kind]:
            assert (df[column] != "").all(), (f.path.name, column)
        assert df["DAT"].str.match(IDENT).all()
        assert set(df["DAT"]) == {NORTHVALE, SOUTHMERE, EASTBROOK}
        if "AGNCY" in df:
            assert df["AGNCY"].str.match(IDENT).all()
            assert df["CLIENTID"].str.len().between(1, 64).all()


def test_journey_codes_are_within_the_code_lists(journeys: dict[str, pd.DataFrame]) -> None:
    allowed = {
        "SEX": codes("sex"), "ETHNIC": codes("ethnicity"), "SUBGRP": codes("substance_group"),
        "RFLS": codes("referral_source"), "DISRSN": codes("discharge_reason") | {""},
        "PRNTSTAT": codes("parental_status") | {""}, "INJSTAT": codes("injecting_status") | {""},
    }
    for period, df in journeys.items():
        for column, values in allowed.items():
            assert set(df[column]) <= values, (period, column, set(df[column]) - values)
        ages = df["AGE"].astype(int)
        assert ages.between(18, 110).all()
        assert set(df["TEAM"]) <= {"", "CJIT", "EAR"}
        assert set(df["SEX"]) == {"1", "2", "3", "9"}
        assert {"5", "6", "8", "13"} <= set(df["RFLS"])
        assert set(df["SUBGRP"]) == {"OPI", "NOPI", "NOPIALC", "ALC"}


def test_every_ethnic_code_is_present_in_every_journeys_file(journeys: dict[str, pd.DataFrame]) -> None:
    for period, df in journeys.items():
        assert set(df["ETHNIC"]) == codes("ethnicity"), period


def test_journey_dates_are_valid_ordered_and_known_at_the_quarter_end(journeys: dict[str, pd.DataFrame]) -> None:
    uk_rows = 0
    for period, df in journeys.items():
        _, end, window_start = quarter_bounds(period)
        for column in ("REFLD", "TRIAGED", "DISD"):
            # every non-blank cell parses as ISO or UK; no other form
            assert (df[column + "_DATE"].notna() == (df[column] != "")).all(), (period, column)
        uk_rows += int(df["TRIAGED"].str.contains("/").sum())
        refld, triaged, disd = df["REFLD_DATE"], df["TRIAGED_DATE"], df["DISD_DATE"]
        assert triaged.notna().all()
        assert (refld.isna() | ((refld <= triaged) & (triaged - refld <= pd.Timedelta(days=30)))).all()
        assert (disd.isna() | (disd >= triaged)).all()
        assert ((df["DISD"] == "") == (df["DISRSN"] == "")).all(), period
        assert (triaged <= end).all() and (disd.isna() | (disd <= end)).all(), period
        # the file holds exactly journeys open at some time in the 12 months to its end
        assert (disd.isna() | (disd >= window_start)).all(), period
        assert (triaged >= window_start).any() and (triaged < window_start).any()
        # its latest date falls in the quarter, so the period is auto-detected correctly
        assert max(triaged.max(), disd.max()) > end - pd.Timedelta(days=14)
    assert uk_rows > 0


def test_episode_ids_are_unique_within_partnership_and_provider(journeys: dict[str, pd.DataFrame]) -> None:
    for period, df in journeys.items():
        assert not df.duplicated(["DAT", "AGNCY", "EPISODID"]).any(), period
        providers = df.groupby("DAT")["AGNCY"].nunique()
        assert providers.between(3, 4).all()


def test_later_files_carry_newer_facts_for_the_same_journey(journeys: dict[str, pd.DataFrame]) -> None:
    key = ["DAT", "AGNCY", "EPISODID"]
    discharged_later = corrected = 0
    periods = list(journeys)
    for earlier, later in zip(periods, periods[1:], strict=False):
        both = journeys[earlier].merge(journeys[later], on=key, suffixes=("_old", "_new"))
        assert (both["TRIAGED_old"] == both["TRIAGED_new"]).all()
        assert (both["CLIENTID_old"] == both["CLIENTID_new"]).all()
        discharged_later += int(((both["DISD_old"] == "") & (both["DISD_new"] != "")).sum())
        corrected += int(((both["ETHNIC_old"] == "Z") & (both["ETHNIC_new"] != "Z")).sum())
        # a fact once known is never lost
        assert not ((both["DISD_old"] != "") & (both["DISD_new"] != both["DISD_old"])).any()
    assert discharged_later > 100
    assert corrected > 10


def test_short_boundary_and_returning_journeys_exist(latest: pd.DataFrame, journeys: dict[str, pd.DataFrame]) -> None:
    days = (latest["DISD_DATE"] - latest["TRIAGED_DATE"]).dt.days
    assert days.between(82, 86).sum() > 20  # around the 12-week line
    assert days.between(180, 184).sum() > 20  # around the 6-month line
    assert ((days < 84) & latest["DISRSN"].isin(SUCCESSFUL)).sum() > 20  # short successful ones

    ordered = latest.sort_values(["DAT", "CLIENTID", "TRIAGED_DATE"])
    following = ordered.groupby(["DAT", "CLIENTID"])["TRIAGED_DATE"].shift(-1)
    gap = (following - ordered["DISD_DATE"]).dt.days
    successful = ordered["DISRSN"].isin(SUCCESSFUL)
    assert (successful & gap.between(1, 182)).sum() > 30  # re-presentations within 6 months
    assert (successful & (gap > 182)).sum() > 30  # and later
    assert ordered.groupby(["DAT", "CLIENTID"]).size().max() >= 3

    last = journeys[QUARTERS[-1]]
    _, end, _ = quarter_bounds(QUARTERS[-1])
    open_long = (last["DISD"] == "") & (last["TRIAGED_DATE"] <= end - pd.Timedelta(days=1461))
    assert open_long.sum() > 100  # clients in treatment four years or more


def test_clients_in_treatment_per_year_and_substance_mix(journeys: dict[str, pd.DataFrame]) -> None:
    for period in ("2022-23 Q4", "2024-25 Q4"):
        df = journeys[period]
        clients = df.groupby("DAT")["CLIENTID"].nunique()
        assert clients.between(1500, 2500).all(), clients.to_dict()
        mix = df["SUBGRP"].value_counts(normalize=True)
        assert 0.35 < mix["OPI"] < 0.55 and 0.2 < mix["ALC"] < 0.4
        duration = (df["DISD_DATE"] - df["TRIAGED_DATE"]).dt.days
        median = duration.groupby(df["SUBGRP"]).median()
        assert median["OPI"] > 2 * median["ALC"]  # opiate journeys are long, alcohol ones shorter


def successful_share_of_exits(df: pd.DataFrame, period: str) -> pd.Series:
    """Per partnership: successful discharges over successful and unplanned ones in the 12 months."""
    _, _, window_start = quarter_bounds(period)
    exits = df[(df["DISD"] != "") & (df["DISD_DATE"] >= window_start) & ~df["DISRSN"].isin(TRANSFER)]
    return exits["DISRSN"].isin(SUCCESSFUL).groupby(exits["DAT"]).mean()


def yearly_trend(values: pd.Series) -> float:
    """Least-squares slope per step of a yearly series."""
    return float(np.polyfit(np.arange(len(values)), values.to_numpy(dtype=float), 1)[0])


def test_stories_northvale_improves_southmere_declines(journeys: dict[str, pd.DataFrame],
                                                        tops: pd.DataFrame, dip: pd.DataFrame) -> None:
    years = ["2021-22 Q4", "2022-23 Q4", "2023-24 Q4", "2024-25 Q4", "2025-26 Q4"]
    shares = pd.DataFrame({p: successful_share_of_exits(journeys[p], p) for p in years}).T
    north, south = shares[NORTHVALE], shares[SOUTHMERE]
    assert north.iloc[-1] - north.iloc[0] > 0.1 and yearly_trend(north) > 0.025, north.to_dict()
    assert south.iloc[0] - south.iloc[-1] > 0.1 and yearly_trend(south) < -0.025, south.to_dict()

    # start TOPs within 14 days of triage: rising in Northvale, falling in Southmere, poor in Eastbrook
    latest_journeys = pd.concat(journeys.values()).drop_duplicates(["DAT", "AGNCY", "EPISODID"], keep="last")
    starts = tops[tops["TRSTAGE"] == "S"].merge(latest_journeys, on=["DAT", "AGNCY", "EPISODID"])
    on_time = (starts["TOPDATE_DATE"] - starts["TRIAGED_DATE"]).dt.days.abs() <= 14
    triaged = latest_journeys[latest_journeys["TRIAGED_DATE"] >= "2021-10-01"]
    year = (triaged["TRIAGED_DATE"] - pd.DateOffset(months=3)).dt.year
    done = triaged.merge(starts.loc[on_time, ["DAT", "AGNCY", "EPISODID"]].drop_duplicates(), how="left",
                         on=["DAT", "AGNCY", "EPISODID"], indicator=True)["_merge"].eq("both").to_numpy()
    compliance = pd.Series(done).groupby([triaged["DAT"].to_numpy(), year.to_numpy()]).mean()
    assert compliance[NORTHVALE][2025] - compliance[NORTHVALE][2021] > 0.08
    assert compliance[SOUTHMERE][2021] - compliance[SOUTHMERE][2025] > 0.08
    assert compliance[EASTBROOK].max() < 0.65 < compliance[NORTHVALE][2025]

    counts = dip.assign(YEAR=dip["MONTH"].str[:4].astype(int))
    counts[["TESTS", "TRIGGER_ARRESTS"]] = counts[["TESTS", "TRIGGER_ARRESTS"]].astype(int)
    totals = counts.groupby(["DAT", "YEAR"])[["TESTS", "TRIGGER_ARRESTS"]].sum()
    rate = totals["TESTS"] / totals["TRIGGER_ARRESTS"]
    assert rate[NORTHVALE][2026] > rate[NORTHVALE][2022] + 0.05
    assert rate[SOUTHMERE][2026] < rate[SOUTHMERE][2022] - 0.05


def test_story_eastbrook_records_poorly(journeys: dict[str, pd.DataFrame]) -> None:
    df = journeys["2024-25 Q4"]
    by_area = df.groupby("DAT")
    not_stated = by_area["ETHNIC"].apply(lambda s: (s == "Z").mean())
    assert not_stated[EASTBROOK] > 3 * max(not_stated[NORTHVALE], not_stated[SOUTHMERE])
    assert not_stated[EASTBROOK] > 0.15
    for column, blank in (("SEX", "9"), ("PRNTSTAT", ""), ("REFLD", ""), ("DRUG1", ""), ("INJSTAT", "")):
        share = by_area[column].apply(lambda s, b=blank: (s == b).mean())
        assert share[EASTBROOK] > 2 * max(share[NORTHVALE], share[SOUTHMERE]), column


def test_tops_are_dated_in_their_quarter_and_belong_to_a_journey_in_it(
    tops: pd.DataFrame, journeys: dict[str, pd.DataFrame]
) -> None:
    assert tops["TOPDATE_DATE"].notna().all()
    assert tops["TOPDATE"].str.contains("/").any()
    assert not tops.duplicated(["DAT", "AGNCY", "TOPID"]).any()
    assert set(tops["TRSTAGE"]) == codes("top_stage")
    assert set(tops["HOUSING"]) <= codes("housing") | {""}
    for column, top in (("OPIUSE", 28), ("CRAUSE", 28), ("ALCUSE", 28), ("INJECT", 28),
                        ("PHSTAT", 20), ("PSYHSTAT", 20), ("QUALLIFE", 20)):
        values = pd.to_numeric(tops[column].replace("", None))
        assert values.dropna().between(0, top).all() and values.isna().any(), column
    for period, group in tops.groupby("PERIOD"):
        start, end, _ = quarter_bounds(period)
        assert group["TOPDATE_DATE"].between(start, end).all(), period
        keys = journeys[period][["DAT", "AGNCY", "EPISODID", "CLIENTID"]]
        matched = group.merge(keys, on=["DAT", "AGNCY", "EPISODID", "CLIENTID"], how="left", indicator=True)
        assert (matched["_merge"] == "both").all(), period


def test_dip_counts_keep_parts_within_wholes(dip: pd.DataFrame) -> None:
    counts = dip[COLUMNS["dip"][3:]].replace("", None).apply(pd.to_numeric)
    assert (counts.fillna(0) >= 0).all().all()
    assert (counts["POS_OPI"] + counts["POS_COC"] + counts["POS_BOTH"] <= counts["TESTS"]).all()
    assert (counts["RA_ATTENDED"] <= counts["RA_REQUIRED"]).all()
    assert (counts["ENTERED"] <= counts["REFERRED"]).all()
    fua = counts[["FUA_REQUIRED", "FUA_ATTENDED"]]
    assert (fua.isna().all(axis=1) | fua.notna().all(axis=1)).all()
    assert fua["FUA_REQUIRED"].isna().any() and fua["FUA_REQUIRED"].notna().any()
    assert (fua["FUA_ATTENDED"].dropna() <= fua["FUA_REQUIRED"].dropna()).all()
    suites = dip.groupby("DAT")["SUITE"].nunique()
    assert suites.between(2, 3).all()
    for period, group in dip.groupby("PERIOD"):
        start, _, _ = quarter_bounds(period)
        months = {(start + pd.DateOffset(months=i)).strftime("%Y-%m") for i in range(3)}
        assert set(group["MONTH"]) == months
        assert len(group) == 3 * group["SUITE"].nunique()
        assert not group.duplicated(["DAT", "SUITE", "MONTH"]).any()


def test_indicators_benchmark_england_and_name_the_partnerships(demo: list[DemoFile]) -> None:
    df = read(demo[-2].path)
    england = df[df["AREA_CODE"] == "E92000001"]
    assert set(england["AREA_NAME"]) == {"England"}
    expected = {"effective_treatment_rate", "completions_opiate", "completions_non_opiate", "completions_alcohol",
                "completions_all", "successful_exits_share", "retention_12wk", "bme_share",
                "ethnic_minority_share", "top_compliance", "data_quality", "parental_status_recorded",
                "toa_test_rate", "ra_attendance", "dip_treatment_entry"}
    assert expected <= set(england["INDICATOR"])
    for _, rows in england.groupby("INDICATOR"):
        assert sorted(rows["PERIOD"]) == sorted(QUARTERS)
    numerator, denominator = england["NUMERATOR"].astype(int), england["DENOMINATOR"].astype(int)
    assert (denominator > 10_000).all() and (numerator <= denominator).all() and (numerator > 0).all()
    assert set(england["UNIT"]) == {"proportion"} and (england["VALUE"] == "").all()

    areas = df[df["AREA_CODE"] != "E92000001"]
    names = dict(zip(areas["AREA_CODE"], areas["AREA_NAME"], strict=False))
    assert names == {p.code: p.name for p in DEMO_PARTNERSHIPS}
    assert all(p.name.endswith("(demo)") and p.code.startswith("E99") for p in DEMO_PARTNERSHIPS)
    assert (areas["INDICATOR_NAME"] != "").all() and (areas["NUMERATOR"] == "").all()
    iom = areas[areas["INDICATOR"] == "iom_cohort"]
    assert set(iom["UNIT"]) == {"count"} and len(iom) == 3 * len(QUARTERS)
    assert iom["VALUE"].str.fullmatch(r"\d+").all()
    reoffending = areas[areas["INDICATOR"] == "reoffending_iom"]
    assert set(reoffending["UNIT"]) == {"percent"}
    assert reoffending["PERIOD"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert pd.to_numeric(reoffending["VALUE"]).between(0, 100).all()
    assert set(areas["INDICATOR"]) == {"iom_cohort", "reoffending_iom"}


@pytest.mark.slow
def test_the_loader_accepts_every_demo_file(store, tmp_path: Path) -> None:
    from loaders.demo import load_demo
    from metrics.registry import measure_ids

    results = load_demo(store, out_dir=tmp_path / "demo", measure_ids=measure_ids())
    assert len(results) == 62
    assert [r.status for r in results] == ["loaded"] * 62, [r.message for r in results if not r.ok]
    assert [r.periods for r in results[:3]] == [("2021-22 Q3",)] * 3


def test_local_indicators_follow_each_partnership_story(demo: list[DemoFile]) -> None:
    """The plans' local indicators: custody numbers and hepatitis C testing each quarter, females re-entering
    custody and needle sharing each financial year; improving Northvale gets better, declining Southmere worse."""
    df = read(demo[-1].path)
    assert set(df["AREA_CODE"]) == {p.code for p in DEMO_PARTNERSHIPS}
    counts = df.groupby("INDICATOR").size().to_dict()
    assert counts == {"custody_numbers": 3 * 20, "hepc_tested": 3 * 20, "females_custody": 3 * 5,
                      "needle_sharing": 3 * 5}
    with_counts = df[df["INDICATOR"].isin(["hepc_tested", "needle_sharing"])]
    numerator, denominator = with_counts["NUMERATOR"].astype(int), with_counts["DENOMINATOR"].astype(int)
    assert (numerator <= denominator).all() and (denominator > 0).all() and (with_counts["VALUE"] == "").all()
    assert set(with_counts["UNIT"]) == {"proportion"}
    north, south = DEMO_PARTNERSHIPS[0].code, DEMO_PARTNERSHIPS[1].code

    def first_last(area: str, indicator: str) -> tuple[float, float]:
        rows = df[(df["AREA_CODE"] == area) & (df["INDICATOR"] == indicator)]
        if rows["VALUE"].iloc[0] != "":
            values = pd.to_numeric(rows["VALUE"])
        else:
            values = rows["NUMERATOR"].astype(int) / rows["DENOMINATOR"].astype(int)
        return float(values.iloc[0]), float(values.iloc[-1])

    for indicator in ("custody_numbers", "females_custody", "needle_sharing"):
        assert first_last(north, indicator)[1] < first_last(north, indicator)[0], indicator
        assert first_last(south, indicator)[1] > first_last(south, indicator)[0], indicator
    assert first_last(north, "hepc_tested")[1] > first_last(north, "hepc_tested")[0] + 0.1
    assert first_last(south, "hepc_tested")[1] < first_last(south, "hepc_tested")[0] - 0.1
    # Haringey's IOM cohort: Northvale's starts at the plan's 70.
    iom = read(demo[-2].path)
    assert iom[(iom["AREA_CODE"] == north) & (iom["INDICATOR"] == "iom_cohort")]["VALUE"].iloc[0] in {"68", "69", "70", "71", "72"}
