"""``python -m metrics``: the fields of every command in csv and json, numbers in full precision,
figures worked out by hand from the sample extracts, text for people, and exit statuses that
say what went wrong (0 success, 1 the request cannot be met, 2 wrong usage).

The sample extracts (tests/fixtures/samples) hold one partnership, E08000999 ("Northvale"), with
results for 2024-25 Q1 (window 2023-07-01 to 2024-06-30) and 2024-25 Q2 (2023-10-01 to
2024-09-30). Its five journeys, which the worked examples below refer to:

    journey   client  provider    triaged     discharged                   TOPs and notes
    NRC-1001  a9f3c2  NRC01       2023-11-09  open                         S 2023-11-09, R 2024-05-10
    NRC-1002  b71e04  NRC01       2024-01-22  2024-06-03 (80, successful)  S 2024-01-22, E 2024-06-03
    NRC-1003  c0d4aa  NRC01/CJIT  2024-02-01  2024-03-10 (85, unplanned)   none
    WAY-0007  d5520f  WAY02       2024-03-19  open                         S 2024-03-25
    WAY-0008  e88b19  WAY02/EAR   2024-05-30  2024-08-21 (83, transfer)    none; SEX 9, ETHNIC Z

Every command runs once as a real subprocess (the csv field test, and the exit-status tests);
the worked examples call ``metrics.__main__.main`` in-process, which is faster.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import duckdb
import pytest

from loaders.load import load_file
from loaders.store import open_store
from metrics import reports
from metrics.__main__ import main
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import JOURNEY_HEADER, SAMPLES, csv_text, load_text

ROOT = Path(__file__).resolve().parents[2]
AREA, Q1, Q2 = "E08000999", "2024-25 Q1", "2024-25 Q2"

# The row fields of spec/cli.md ("Rows of scorecard, series and exceptions") and README.md
# ("Command line"), in their order; `source` is 'computed' or the upload that published the figure.
ROW_FIELDS = [
    "kpi", "name", "area", "breakdown", "group", "period", "window_start", "window_end", "numerator",
    "denominator", "value", "lower95", "upper95", "lower998", "upper998", "provisional", "target", "status",
    "gap", "needed", "benchmark", "benchmark_comparison", "source",
]
SPC_FIELDS = ["spc_mean", "spc_lower", "spc_upper", "spc_point", "spc_rule", "spc_variation", "spc_assurance"]
FUNNEL_FIELDS = ["funnel_centre", "funnel_lower95", "funnel_upper95", "funnel_lower998", "funnel_upper998",
                 "funnel_significance"]
# `list`: spec/cli.md names id, name, unit, polarity; the command adds the rest of the registry's entry.
LIST_FIELDS = ["id", "name", "unit", "polarity", "family", "source", "definition"]

# A targets file for the exceptions: TOP compliance at least 72% in Northvale.
TOP_COMPLIANCE_72 = '[[target]]\nmeasure = "top_compliance"\narea = "E08000999"\nkind = "level"\nvalue = 0.72\n'
# A targets file for the series: 12-week retention at least 81% everywhere (the shipped default).
RETENTION_81 = '[[target]]\nmeasure = "retention_12wk"\narea = "*"\nkind = "level"\nvalue = 0.81\n'


@dataclass(frozen=True)
class Ran:
    """What one run of the command line gave: exit status, standard output and standard error."""

    code: int
    out: str
    err: str

    def json(self) -> list[dict[str, Any]]:
        return json.loads(self.out)

    def csv(self) -> tuple[list[str], list[dict[str, str]]]:
        """The header row and the rows, each a dict of the cells as printed."""
        rows = list(csv.reader(io.StringIO(self.out)))
        return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four sample extracts loaded through the real loader, and closed again, so that other
    processes can open the file. Its client key lies beside it (``client.key``)."""
    folder = tmp_path_factory.mktemp("metrics_cli")
    path = folder / "samples.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KPI_CLIENT_KEY_FILE", str(folder / "client.key"))
        with open_store(path) as store:
            for name in ("journeys.csv", "tops.csv", "dip.csv", "indicators.csv"):
                result = load_file(store, data=(SAMPLES / name).read_bytes(), file_name=name,
                                   measure_ids=measure_ids(), on_change=refresh_results)
                assert result.status == "loaded", result.problems
    return path


@pytest.fixture
def targets_file(tmp_path: Path) -> Callable[[str], str]:
    """Write a targets file into the test's folder and give its path, for ``--targets``."""
    def write(text: str) -> str:
        path = tmp_path / f"targets{len(list(tmp_path.glob('targets*.toml')))}.toml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def no_targets(targets_file: Callable[[str], str]) -> str:
    """A targets file with no targets, so that no shipped default colours the figures."""
    return targets_file("# no targets\n")


@pytest.fixture
def run(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """Run ``main(argv)`` in-process, by default on the sample database (``--db`` added after the
    command; ``db=None`` adds nothing)."""
    def invoke(*argv: str, db: Path | None = sample_db) -> Ran:
        if argv and db is not None:
            argv = (argv[0], "--db", str(db), *argv[1:])
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return invoke


@pytest.fixture
def run_process(sample_db: Path) -> Callable[..., Ran]:
    """Run ``python -m metrics ...`` as a real subprocess from the project folder."""
    def invoke(*args: str) -> Ran:
        env = {**os.environ, "KPI_CLIENT_KEY_FILE": str(sample_db.with_name("client.key"))}
        done = subprocess.run([sys.executable, "-m", "metrics", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        return Ran(done.returncode, done.stdout, done.stderr)

    return invoke


def _wilson(numerator: int, denominator: int, confidence: float) -> tuple[float, float]:
    """Wilson score limits, written out from the textbook formula (as phe_proportion computes them)."""
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = numerator / denominator
    centre = 2 * numerator + z * z
    spread = z * math.sqrt(z * z + 4 * numerator * (1 - p))
    return (centre - spread) / (2 * (denominator + z * z)), (centre + spread) / (2 * (denominator + z * z))


def _by_kpi(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["kpi"]: r for r in rows}


# --------------------------------------------------------------------------------------------
# The fields of every command, in the order of the spec
# --------------------------------------------------------------------------------------------


def test_declared_fields_are_the_readmes() -> None:
    """reports.FIELDS, SPC_FIELDS and FUNNEL_FIELDS are the lists README.md "Command line" gives
    (and spec/cli.md), in the same order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    def listed(pattern: str) -> list[str]:
        found = re.search(pattern, readme, flags=re.S)
        assert found, pattern
        return [f.strip() for f in found[1].split(",")]

    assert reports.FIELDS == ROW_FIELDS == listed(r"with the fields `([^`]+)`")
    assert reports.SPC_FIELDS == SPC_FIELDS == listed(r"`series` adds `([^`]+)`")
    assert reports.FUNNEL_FIELDS == FUNNEL_FIELDS == listed(r"`funnel` adds `([^`]+)`")


COMMANDS = {
    "list": ([], LIST_FIELDS),
    "scorecard": (["--area", AREA, "--period", Q2], ROW_FIELDS),
    "series": (["--kpi", "retention_12wk", "--area", AREA], ROW_FIELDS + SPC_FIELDS),
    "exceptions": (["--period", Q2], ROW_FIELDS),
    "funnel": (["--kpi", "top_compliance", "--period", Q2, "--area", AREA], ROW_FIELDS + FUNNEL_FIELDS),
}


def _where(command: str, sample_db: Path, targets: str) -> list[str]:
    args, _ = COMMANDS[command]
    return args if command == "list" else [*args, "--db", str(sample_db), "--targets", targets]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_csv_header_is_the_spec_fields_in_order(command: str, run_process: Callable[..., Ran], sample_db: Path,
                                                targets_file: Callable[[str], str]) -> None:
    """A real subprocess per command: one header row, the spec's fields in order, then rows."""
    ran = run_process(command, *_where(command, sample_db, targets_file(TOP_COMPLIANCE_72)), "--format", "csv")
    assert ran.code == 0, ran.err
    header, rows = ran.csv()
    assert header == COMMANDS[command][1]
    assert rows, "no rows to check the fields of"
    if command == "list":
        assert header[:4] == ["id", "name", "unit", "polarity"]  # the four spec/cli.md names


@pytest.mark.parametrize("command", list(COMMANDS))
def test_json_keys_are_the_spec_fields_in_order(command: str, run: Callable[..., Ran], sample_db: Path,
                                                targets_file: Callable[[str], str]) -> None:
    """One JSON array; every object's keys are the spec's fields, in order."""
    args = _where(command, sample_db, targets_file(TOP_COMPLIANCE_72))
    ran = run(command, *args, "--format", "json", db=None)
    assert ran.code == 0, ran.err
    rows = ran.json()
    assert isinstance(rows, list) and rows
    for row in rows:
        assert list(row) == COMMANDS[command][1]


# --------------------------------------------------------------------------------------------
# Full precision
# --------------------------------------------------------------------------------------------


def test_numbers_are_printed_in_full_precision(run: Callable[..., Ran], no_targets: str) -> None:
    """TOP compliance at 2024-25 Q2 is 5 of 7 (see test_funnel_of_top_compliance_by_provider):
    the printed value is the float 5/7 itself, 0.7142857142857143, not 0.714 or 71.4. The
    positive test rate is (68 + 60 + 25 + 22) / (188 + 171 + 80 + 79) = 175/518 (the four
    sample DIP rows, April and May 2024), likewise in full."""
    where = ["--area", AREA, "--period", Q2, "--targets", no_targets]
    as_json = _by_kpi(run("scorecard", *where, "--format", "json").json())
    _, rows = run("scorecard", *where, "--format", "csv").csv()
    as_csv = {r["kpi"]: r for r in rows}
    for kpi, expected in (("top_compliance", 5 / 7), ("toa_positivity", 175 / 518)):
        assert as_json[kpi]["value"] == expected
        assert float(as_csv[kpi]["value"]) == expected
        assert as_csv[kpi]["value"] == repr(expected)
    # Empty cells and booleans as the spec writes them: no target is an empty cell, not "nan" or "None".
    assert (as_csv["top_compliance"]["target"], as_csv["top_compliance"]["gap"]) == ("", "")
    assert (as_csv["top_compliance"]["provisional"], as_csv["completions_all"]["provisional"]) == ("false", "true")


# --------------------------------------------------------------------------------------------
# Worked examples, one per command
# --------------------------------------------------------------------------------------------


def test_list_gives_every_measure_of_kpis_md(run: Callable[..., Ran]) -> None:
    """The 25 measures of spec/kpis.md in its order, each with the polarity the spec's tables
    give and its unit: the four counts (numbers in treatment, in effective treatment,
    criminal-justice referrals, exit TOPs), tests per trigger arrest a rate (it can pass 1),
    every other a proportion."""
    expected = {
        "in_treatment": ("count", "neutral"), "effective_treatment": ("count", "up"),
        "effective_treatment_rate": ("proportion", "up"), "completions_opiate": ("proportion", "up"),
        "completions_non_opiate": ("proportion", "up"), "completions_alcohol": ("proportion", "up"),
        "completions_all": ("proportion", "up"), "successful_exits_share": ("proportion", "up"),
        "representations": ("proportion", "down"), "retention_12wk": ("proportion", "up"),
        "long_term_4yr": ("proportion", "down"), "cj_referrals": ("count", "up"),
        "top_compliance": ("proportion", "up"), "top_start_compliance": ("proportion", "up"),
        "top_review_compliance": ("proportion", "up"), "top_exit_compliance": ("proportion", "up"),
        "top_exits": ("count", "up"), "bme_share": ("proportion", "up"),
        "ethnic_minority_share": ("proportion", "up"), "parental_status_recorded": ("proportion", "up"),
        "data_quality": ("proportion", "up"), "toa_test_rate": ("rate", "up"),
        "toa_positivity": ("proportion", "neutral"), "ra_attendance": ("proportion", "up"),
        "dip_treatment_entry": ("proportion", "up"),
    }
    ran = run("list", "--format", "json", db=None)
    assert ran.code == 0
    rows = ran.json()
    assert len(rows) == 25
    assert [r["id"] for r in rows] == list(expected)
    assert {r["id"]: (r["unit"], r["polarity"]) for r in rows} == expected
    names = {r["id"]: r["name"] for r in rows}
    assert names["in_treatment"] == "Numbers in treatment"
    assert names["effective_treatment_rate"] == "Effective treatment rate"


def test_scorecard_of_the_samples(run: Callable[..., Ran], no_targets: str) -> None:
    """Northvale at 2024-25 Q2, window 2023-10-01 to 2024-09-30 (the 12 months to the quarter end).

    In treatment: all 5 clients (triaged by 2024-09-30; the earliest discharge, NRC-1003's on
    2024-03-10, is after the window opens). Effective (retained 84 days, counting an open journey
    to 2024-09-30): NRC-1001 326 days, NRC-1002 133 days, WAY-0007 195 days; not NRC-1003 (38
    days, dropped out) nor WAY-0008 (83 days, a transfer). So 3 clients, and the rate 3/5 = 0.6
    (not 60), with Wilson limits on the same 0-1 scale. Successful completions, all: NRC-1002
    completed on 2024-06-03 and did not come back, 1 of 5; provisional, since 182 days after
    2024-09-30 is past the data's end (2024-09-30). With no targets every status is grey and
    target, gap and needed are empty."""
    ran = run("scorecard", "--area", AREA, "--period", Q2, "--targets", no_targets, "--format", "json")
    assert ran.code == 0, ran.err
    card = _by_kpi(ran.json())
    assert card["in_treatment"]["value"] == 5
    assert card["in_treatment"]["numerator"] == 5 and card["in_treatment"]["denominator"] is None
    assert card["effective_treatment"]["value"] == 3
    rate = card["effective_treatment_rate"]
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (3, 5, 0.6)
    assert (rate["area"], rate["period"], rate["breakdown"], rate["group"]) == (AREA, Q2, "", "")
    assert (rate["window_start"], rate["window_end"]) == ("2023-10-01", "2024-09-30")
    assert (rate["lower95"], rate["upper95"]) == pytest.approx(_wilson(3, 5, 0.95), rel=1e-9)
    assert (rate["lower998"], rate["upper998"]) == pytest.approx(_wilson(3, 5, 0.998), rel=1e-9)
    assert rate["provisional"] is False
    assert (rate["target"], rate["status"], rate["gap"], rate["needed"]) == (None, "grey", None, None)
    completions = card["completions_all"]
    assert (completions["numerator"], completions["denominator"], completions["provisional"]) == (1, 5, True)


def test_scorecard_by_provider(run: Callable[..., Ran], no_targets: str) -> None:
    """By provider, a client counts where they had a journey: NRC01 has a9f3c2 and b71e04
    (effective) and c0d4aa (not), 2 of 3; WAY02 has d5520f (effective) and e88b19 (not), 1 of 2."""
    ran = run("scorecard", "--area", AREA, "--period", Q2, "--breakdown", "provider", "--targets", no_targets,
              "--format", "json")
    assert ran.code == 0, ran.err
    rates = {r["group"]: (r["numerator"], r["denominator"], r["value"])
             for r in ran.json() if r["kpi"] == "effective_treatment_rate"}
    assert rates == {"NRC01": (2, 3, 2 / 3), "WAY02": (1, 2, 0.5)}


def test_series_of_retention_with_its_spc(run: Callable[..., Ran], targets_file: Callable[[str], str]) -> None:
    """12-week retention: journeys triaged in the 12 months ending 84 days before the quarter end.

    2024-25 Q1: 84 days before 2024-06-30 is 2024-04-07, so journeys triaged 2023-04-08 to
    2024-04-07: NRC-1001, NRC-1002, NRC-1003, WAY-0007; retained NRC-1001 (open), NRC-1002 (133
    days), WAY-0007 (open, 103 days at 2024-06-30), not NRC-1003 (38 days): 3/4 = 0.75.
    2024-25 Q2: triaged 2023-07-09 to 2024-07-08 takes in WAY-0008 too (83 days, a transfer, not
    retained): 3/5 = 0.6.

    SPC: mean (0.75 + 0.6) / 2 = 0.675; one moving range, 0.15; limits 0.675 -/+ 2.66 x 0.15 =
    0.276 and 1.074. Both points lie inside: common cause. The 81% target lies within the limits:
    hit and miss. Against 81%: Q1 misses by 0.06 (more than 2% of 0.81, so red) and needs
    ceil(0.81 x 4 - 3) = 1 more; Q2 misses by 0.21 and needs ceil(0.81 x 5 - 3) = 2."""
    ran = run("series", "--kpi", "retention_12wk", "--area", AREA, "--targets", targets_file(RETENTION_81),
              "--format", "json")
    assert ran.code == 0, ran.err
    q1, q2 = ran.json()
    assert (q1["period"], q1["numerator"], q1["denominator"], q1["value"]) == (Q1, 3, 4, 0.75)
    assert (q2["period"], q2["numerator"], q2["denominator"], q2["value"]) == (Q2, 3, 5, 0.6)
    assert (q1["window_start"], q1["window_end"]) == ("2023-07-01", "2024-06-30")
    for row in (q1, q2):
        assert row["spc_mean"] == pytest.approx(0.675)
        assert row["spc_lower"] == pytest.approx(0.276)
        assert row["spc_upper"] == pytest.approx(1.074)
        assert (row["spc_point"], row["spc_rule"]) == ("common cause", "")
        assert (row["spc_variation"], row["spc_assurance"]) == ("common cause", "hit and miss")
        assert (row["target"], row["status"]) == (0.81, "red")
    assert (q1["gap"], q1["needed"]) == (pytest.approx(-0.06), 1)
    assert (q2["gap"], q2["needed"]) == (pytest.approx(-0.21), 2)


@pytest.mark.parametrize(("bounds", "periods"), [
    (["--from", Q2], [Q2]), (["--to", Q1], [Q1]), (["--from", Q1, "--to", Q2], [Q1, Q2]), (["--from", "2024-25 Q3"], []),
])
def test_series_from_and_to_bound_the_quarters(bounds: list[str], periods: list[str], run: Callable[..., Ran],
                                               no_targets: str) -> None:
    """The samples have results for 2024-25 Q1 and Q2 only; --from and --to keep the quarters
    between them, both included (none from Q3 on, which is no error)."""
    ran = run("series", "--kpi", "retention_12wk", "--area", AREA, *bounds, "--targets", no_targets,
              "--format", "json")
    assert ran.code == 0, ran.err
    assert [r["period"] for r in ran.json()] == periods


def test_series_of_an_uploaded_indicator(run: Callable[..., Ran], no_targets: str) -> None:
    """The IOM cohort is not a measure: indicators.csv uploads it for Northvale, 136 at 2024-25 Q1
    (April to June 2024), named "Integrated Offender Management cohort size"."""
    ran = run("series", "--kpi", "iom_cohort", "--area", AREA, "--targets", no_targets, "--format", "json")
    assert ran.code == 0, ran.err
    [row] = ran.json()
    assert (row["kpi"], row["name"], row["period"], row["value"]) == (
        "iom_cohort", "Integrated Offender Management cohort size", Q1, 136)
    assert (row["window_start"], row["window_end"]) == ("2024-04-01", "2024-06-30")


def test_exceptions_list_what_is_red_or_amber(run: Callable[..., Ran], targets_file: Callable[[str], str]) -> None:
    """TOP compliance, target at least 72% in Northvale, at 2024-25 Q2.

    Partnership: 5 of 7 = 71.43% (see test_funnel_of_top_compliance_by_provider): short by 0.57
    points, within 2% of 72% (1.44 points), so amber; ceil(0.72 x 7 - 5) = 1 more TOP needed.
    Providers: NRC01 4 of 5 = 80%, green, so not listed; WAY02 1 of 2 = 50%, red. Teams: NRC01
    without a team (NRC-1001, NRC-1002) 4 of 4 and WAY02 without a team (WAY-0007) 1 of 1 are
    green; NRC01/CJIT (NRC-1003's start TOP, missing) and WAY02/EAR (WAY-0008's, missing) are
    0 of 1, red. The partnership comes first, then providers, then teams. No other measure has a
    target, so no other measure is listed."""
    ran = run("exceptions", "--period", Q2, "--targets", targets_file(TOP_COMPLIANCE_72), "--format", "json")
    assert ran.code == 0, ran.err
    rows = ran.json()
    assert [(r["kpi"], r["breakdown"], r["group"], r["status"]) for r in rows] == [
        ("top_compliance", "", "", "amber"),
        ("top_compliance", "provider", "WAY02", "red"),
        ("top_compliance", "team", "NRC01/CJIT", "red"),
        ("top_compliance", "team", "WAY02/EAR", "red"),
    ]
    whole = rows[0]
    assert (whole["numerator"], whole["denominator"], whole["target"]) == (5, 7, 0.72)
    assert whole["gap"] == pytest.approx(5 / 7 - 0.72)
    assert whole["needed"] == 1
    assert (rows[1]["value"], rows[1]["needed"]) == (0.5, 1)
    # --area keeps one partnership: Northvale's rows, or none for another (just the csv header).
    args = ["exceptions", "--period", Q2, "--targets", targets_file(TOP_COMPLIANCE_72)]
    assert run(*args, "--area", AREA, "--format", "json").json() == rows
    other = run(*args, "--area", "E08000998", "--format", "csv")
    assert (other.code, other.csv()) == (0, (ROW_FIELDS, []))


def test_funnel_of_top_compliance_by_provider(run: Callable[..., Ran], no_targets: str) -> None:
    """TOP compliance at 2024-25 Q2, by provider.

    Due: a start TOP for each of the 5 journeys (all triaged in the 12 months to 2024-09-16) and
    done within 14 days for NRC-1001, NRC-1002 and WAY-0007 (6 days after triage); a 6-month
    review for NRC-1001 (2023-11-09 + 182 days = 2024-05-09, before 2024-09-02), done 2024-05-10;
    an exit TOP for NRC-1002's successful discharge, done the same day. (WAY-0007's review falls
    on 2024-09-17, after 2024-09-02; the others were closed at their anniversaries.)
    NRC01: 2 of 3 starts + 1 review + 1 exit = 4 of 5. WAY02: 1 of 2 starts = 1 of 2.
    The funnel's centre is the pooled proportion (4 + 1) / (5 + 2) = 5/7, the partnership's own
    figure; both providers lie inside the 95% funnel. Sorted by value, highest first."""
    ran = run("funnel", "--kpi", "top_compliance", "--period", Q2, "--area", AREA, "--targets", no_targets,
              "--format", "json")
    assert ran.code == 0, ran.err
    rows = ran.json()
    assert [(r["group"], r["numerator"], r["denominator"], r["value"]) for r in rows] == [
        ("NRC01", 4, 5, 0.8), ("WAY02", 1, 2, 0.5)]
    for row in rows:
        assert row["breakdown"] == "provider"
        assert row["funnel_centre"] == 5 / 7
        assert row["funnel_lower95"] <= row["value"] <= row["funnel_upper95"]
        assert row["funnel_significance"] == "Not significant"


def test_funnel_without_an_area_compares_partnerships(run: Callable[..., Ran], no_targets: str) -> None:
    """Without --area, one point per partnership: the samples hold only Northvale, 5 of 7, which
    is then its own centre."""
    ran = run("funnel", "--kpi", "top_compliance", "--period", Q2, "--targets", no_targets, "--format", "json")
    assert ran.code == 0, ran.err
    [row] = ran.json()
    assert (row["area"], row["breakdown"], row["value"], row["funnel_centre"]) == (AREA, "", 5 / 7, 5 / 7)


# --------------------------------------------------------------------------------------------
# Text is for people
# --------------------------------------------------------------------------------------------


def test_text_output_is_rounded_for_people(run: Callable[..., Ran], targets_file: Callable[[str], str]) -> None:
    """By default: one line per measure, proportions as percentages with one decimal place (3/5
    is 60.0%, 5/7 is 71.4%), counts as whole numbers, tests per trigger arrest 518/588 = 0.88,
    status as a symbol and a word; never the machine's 0.7142857142857143."""
    ran = run("scorecard", "--area", AREA, "--period", Q2, "--targets", targets_file(TOP_COMPLIANCE_72))
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert len(lines) == 26  # the 25 measures, then the partnership's one indicator with a figure in the year
    text = ran.out
    # The IOM cohort of 2024-25 Q1 is the latest figure in the 12 months to 30 September 2024; the
    # re-offending rate of 2024-25 ends in March 2025, after the quarter, so it is not shown.
    assert lines[-1].endswith("E08000999 2024-25 Q1 Integrated Offender Management cohort size: 136; no target")
    assert "Effective treatment rate: 60.0%; no target" in text
    assert "Numbers in treatment: 5; no target" in text
    assert "Tests per trigger arrest: 0.88; no target" in text
    assert "Successful completions, all: 20.0% (provisional)" in text
    [top] = [line for line in lines if "TOP compliance:" in line]
    assert top.startswith("▲ Near target")
    assert lines[0] == top  # the only figure off or near its target comes first
    assert "TOP compliance: 71.4%; target 72.0%; 1 more case(s) needed" in top
    assert "0.714" not in text and "0.6," not in text


def test_text_says_fewer_where_lower_is_better(tmp_path: Path, run: Callable[..., Ran],
                                               targets_file: Callable[[str], str]) -> None:
    """In treatment 4 years or more (lower is better), 2024-25 Q2: two clients open at 2024-09-30,
    one triaged 2019-06-01, on or before 2024-09-30 - 1461 days = 2020-09-30: 1 of 2 = 50%.
    Against "at most 25%", meeting it takes ceil(1 - 0.25 x 2) = 1 *fewer* long-term client."""
    db = tmp_path / "long_term.duckdb"
    with open_store(db) as store:
        result = load_text(store, csv_text(
            JOURNEY_HEADER,
            "E08000998,P1,,x1,P1-1,40,1,A,OPI,HEROIN,4,2019-05-20,2019-06-01,,,14,C",
            "E08000998,P1,,x2,P1-2,30,2,A,OPI,HEROIN,4,2024-01-03,2024-01-10,,,14,C",
        ), period=Q2, on_change=refresh_results)
        assert result.status == "loaded", result.problems
    targets = targets_file('[[target]]\nmeasure = "long_term_4yr"\narea = "*"\nkind = "level"\nvalue = 0.25\n')
    ran = run("scorecard", "--area", "E08000998", "--period", Q2, "--targets", targets, db=db)
    assert ran.code == 0, ran.err
    [line] = [line for line in ran.out.splitlines() if "In treatment 4 years or more" in line]
    assert line.startswith("✖ Off target")
    assert "50.0%; target 25.0%; 1 fewer case(s) needed" in line


# --------------------------------------------------------------------------------------------
# Exit status: 0 success, 1 the request cannot be met, 2 wrong usage
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code", "message"), [
    (["list"], 0, ""),
    (["scorecard", "--area", AREA, "--period", Q2, "--targets", "{broken}"], 1, "not valid TOML"),
    (["scorecard", "--area", AREA, "--period", Q2, "--db", "{nowhere}"], 1, "There is no database at"),
    (["series", "--kpi", "no_such_indicator", "--area", AREA], 1, "no measure or uploaded indicator"),
    (["scorecard", "--period", Q2], 2, "the following arguments are required: --area"),
    (["scorecard", "--area", AREA, "--period", "2024 Q9"], 2, "argument --period: '2024 Q9' is not a quarter"),
    (["scorecard", "--area", AREA, "--period", Q2, "--breakdown", "colour"], 2, "argument --breakdown"),
])
def test_exit_status_of_a_real_process(args: list[str], code: int, message: str, run_process: Callable[..., Ran],
                                       sample_db: Path, tmp_path: Path,
                                       targets_file: Callable[[str], str]) -> None:
    """The status the shell sees: 0 success, 1 the request cannot be met (a broken --targets file,
    a database that does not exist, an unknown indicator id), 2 wrong usage (a required argument
    missing, a period that is no quarter, an unknown breakdown)."""
    paths = {"broken": targets_file("[[target]\nmeasure = "), "nowhere": str(tmp_path / "nowhere.duckdb")}
    argv = [a.format(**paths) for a in args]
    if argv[0] != "list" and "--db" not in argv:
        argv += ["--db", str(sample_db)]
    ran = run_process(*argv)
    assert ran.code == code, ran.err
    if code == 0:
        assert ran.err == "" and len(ran.out.splitlines()) == 25
    else:
        assert ran.out == ""
        assert message in ran.err and "Traceback" not in ran.err
        assert ran.err.startswith("error: " if code == 1 else "usage: python -m metrics")


@pytest.mark.parametrize(("case", "message"), [
    ("broken targets file", "not valid TOML"),
    ("targets file with two mistakes", "value 17 is not a proportion"),
    ("missing targets file", "cannot be read"),
    ("no such database", "There is no database at"),
    ("not the dashboard's database", "holds no dashboard figures"),
    ("unknown indicator id", "There is no measure or uploaded indicator 'no_such_indicator'"),
    ("funnel of an unknown indicator", "There is no measure or uploaded indicator 'no_such_indicator'"),
    ("funnel of a count", "A funnel plot compares proportions"),
])
def test_exit_1_when_the_request_cannot_be_met(case: str, message: str, run: Callable[..., Ran],
                                               tmp_path: Path, targets_file: Callable[[str], str]) -> None:
    """Status 1 with the reason on standard error, for a person, and nothing on standard output.
    (An unexpected exception would also end a process with status 1; here it would fail the test.)"""
    scorecard = ["scorecard", "--area", AREA, "--period", Q2]
    two_mistakes = ('[[target]]\nmeasure = "no_such_measure"\nkind = "level"\nvalue = 0.5\n'
                    '[[target]]\nmeasure = "bme_share"\nkind = "level"\nvalue = 17\n')
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()  # a DuckDB file, but not one the dashboard wrote
    args, db = {
        "broken targets file": ([*scorecard, "--targets", targets_file("[[target]\nmeasure = ")], True),
        "targets file with two mistakes": (["exceptions", "--period", Q2, "--targets", targets_file(two_mistakes)],
                                           True),
        "missing targets file": ([*scorecard, "--targets", str(tmp_path / "nowhere.toml")], True),
        "no such database": ([*scorecard, "--db", str(tmp_path / "nowhere.duckdb")], False),
        "not the dashboard's database": ([*scorecard, "--db", str(other)], False),
        "unknown indicator id": (["series", "--kpi", "no_such_indicator", "--area", AREA], True),
        "funnel of an unknown indicator": (["funnel", "--kpi", "no_such_indicator", "--period", Q2], True),
        "funnel of a count": (["funnel", "--kpi", "in_treatment", "--period", Q2], True),
    }[case]
    ran = run(*args) if db else run(*args, db=None)
    assert ran.code == 1, ran.err
    assert ran.out == ""
    assert ran.err.startswith("error: ")
    assert message in ran.err
    if case == "targets file with two mistakes":  # every reason, not only the first
        assert "unknown measure or indicator 'no_such_measure'" in ran.err


@pytest.mark.parametrize(("args", "message"), [
    (["scorecard", "--period", Q2], "the following arguments are required: --area"),
    (["series", "--area", AREA], "the following arguments are required: --kpi"),
    (["funnel", "--kpi", "top_compliance"], "the following arguments are required: --period"),
    (["exceptions", "--period", "Q3 2024-25"], "argument --period"),
    (["series", "--kpi", "in_treatment", "--area", AREA, "--from", "2024-25"], "argument --from"),
    (["scorecard", "--area", AREA, "--period", Q2, "--breakdown", "colour"], "argument --breakdown: invalid choice"),
    (["funnel", "--kpi", "top_compliance", "--period", Q2, "--breakdown", "substance"],
     "argument --breakdown: invalid choice"),
    (["list", "--format", "xml"], "argument --format: invalid choice"),
    (["tables"], "argument command: invalid choice"),
    ([], "the following arguments are required: command"),
])
def test_exit_2_on_wrong_usage(args: list[str], message: str, run: Callable[..., Ran]) -> None:
    """Status 2 with the usage and what was wrong, before any database is opened."""
    ran = run(*args, db=None)
    assert ran.code == 2, ran.err
    assert ran.out == ""
    assert "usage: python -m metrics" in ran.err and message in ran.err


def test_indicator_lines_use_the_indicator_unit_and_polarity(run: Callable[..., Ran],
                                                             targets_file: Callable[[str], str]) -> None:
    """Exceptions as text at 2024-25 Q1 (the samples' indicators.csv): the IOM cohort is 136, declared lower-is-better
    here with a level target of 120: red (16 over, more than 2% of 120), 136 - 120 = 16 fewer cases needed.
    Re-offending is 31.5% for 2024-25 (published as a percentage, without counts), which ends after Q1: not
    Q1's figure. At 2024-25 Q4 it is; declared down with a level of 30%: red, and what it takes is a fall of
    1.5 percentage points, not 'cases'."""
    path = targets_file(
        '[[indicator]]\nid = "iom_cohort"\npolarity = "down"\n\n'
        '[[indicator]]\nid = "reoffending_iom"\npolarity = "down"\n\n'
        '[[target]]\nmeasure = "iom_cohort"\narea = "*"\nkind = "level"\nvalue = 120\n\n'
        '[[target]]\nmeasure = "reoffending_iom"\narea = "*"\nkind = "level"\nvalue = 0.30\n')
    ran = run("exceptions", "--period", Q1, "--targets", path)
    assert ran.code == 0, ran.err
    lines = [line for line in ran.out.splitlines() if "Integrated Offender" in line]
    assert lines == [f"✖ Off target        {AREA} {Q1} Integrated Offender Management cohort size: 136; "
                     "target 120; 16 fewer case(s) needed"]
    assert "Re-offending" not in ran.out
    ran = run("exceptions", "--period", "2024-25 Q4", "--targets", path)
    assert ran.code == 0, ran.err
    lines = [line for line in ran.out.splitlines() if "Re-offending" in line]
    assert lines == [f"✖ Off target        {AREA} 2024-25 Re-offending rate of the IOM cohort: 31.5%; target 30.0%; "
                     "needs to fall by 1.5 percentage points"]
