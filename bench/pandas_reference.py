"""Two measures of kpis.md written again, plainly, in pandas: the check on the product's SQL.

``effective_treatment`` and ``completions_opiate`` for every partnership and quarter, computed from
the stored journey rows with nothing of the product's own code but the database it reads: the
current version of each journey, the windows, the client attributes and the re-presentation rule
are all worked out here, from the words of kpis.md and docs/extracts.md, one partnership at a time.
The product's figures (the ``results`` table, whole partnership) must equal these exactly.

It is deliberately the obvious implementation, not a fast one: its time against the product's
is the benchmark's "how much does the SQL buy us" figure.

The rules, as kpis.md states them:

- Current version of a journey (``DAT`` + ``AGNCY`` + ``EPISODID``): the version from the upload with
  the latest reporting period; among uploads of the same period, the latest upload.
- W = [S, E]: E a quarter end, S the day after E's date 12 calendar months earlier.
- In treatment during W: ``TRIAGED <= E`` and (``DISD`` blank or ``DISD >= S``).
- Effective: ``min(DISD, E) - TRIAGED >= 84`` days (open journeys use E), or a successful discharge
  on or before E after less than 84 days.
- Clients are distinct ``CLIENTID`` within a partnership; a client's group in W is that of their
  journey in W with the latest ``TRIAGED`` (ties: the greatest ``EPISODID``).
- ``completions_opiate``: of clients in treatment during W whose group is ``OPI``, those with a
  journey discharged successfully in W after which they did not re-present: no journey of theirs in
  the partnership with ``TRIAGED`` in (``DISD``, ``DISD`` + 182 days].
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.store import Store

# docs/extracts.md, DISRSN: codes 80, 81 and 82 are the successful discharges.
SUCCESSFUL_REASONS = ("80", "81", "82")
OPIATE_GROUP = "OPI"
EFFECTIVE_DAYS = 84
REPRESENTATION_DAYS = 182
KPIS = ("effective_treatment", "completions_opiate")

_COLUMNS = ["kpi", "area", "period", "numerator", "denominator"]

_ACTIVE_PERIODS = """
SELECT dat, min(period_end) AS first_end, max(period_end) AS last_end
FROM (
    SELECT unnest(partnerships) AS dat, period_end
    FROM uploads
    WHERE withdrawn_at IS NULL AND period_end IS NOT NULL
)
GROUP BY dat
ORDER BY dat
"""

# Every stored version of every journey of one partnership, with only the columns the two measures need.
_VERSIONS = """
SELECT upload_id, period_end, agncy, episodid, client_key, subgrp, triaged, disd, disrsn
FROM journeys
WHERE dat = ?
"""


@dataclass(frozen=True)
class ReferenceRun:
    """The reference figures (columns kpi, area, period, numerator, denominator) and how long they took."""

    figures: pd.DataFrame
    read_seconds: float
    compute_seconds: float

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.compute_seconds


@dataclass(frozen=True)
class Comparison:
    """The reference against the product's ``results``: how many figures compared, and which differ."""

    compared: int
    mismatches: pd.DataFrame  # kpi, area, period, numerator/denominator of each side

    @property
    def agrees(self) -> bool:
        return self.compared > 0 and self.mismatches.empty


def quarters(first_end: object, last_end: object) -> pd.DataFrame:
    """Every quarter from the one ending ``first_end`` to the one ending ``last_end``: label, S and E."""
    periods = pd.period_range(pd.Timestamp(first_end), pd.Timestamp(last_end), freq="Q-MAR")
    ends = pd.DatetimeIndex([p.end_time.normalize() for p in periods])
    # pandas names a financial year by the calendar year it ends in: 2025Q3 is 2024-25 Q3.
    labels = [f"{p.qyear - 1}-{p.qyear % 100:02d} Q{p.quarter}" for p in periods]
    starts = (ends + pd.Timedelta(days=1)) - pd.DateOffset(months=12)
    return pd.DataFrame({"period": labels, "S": starts, "E": ends})


def current_versions(versions: pd.DataFrame) -> pd.DataFrame:
    """The current version of each journey: latest reporting period, then latest upload."""
    ordered = versions.sort_values(["period_end", "upload_id"], kind="stable")
    return ordered.drop_duplicates(["agncy", "episodid"], keep="last").reset_index(drop=True)


def represented_journeys(journeys: pd.DataFrame) -> pd.Series:
    """For each journey: did the client start another journey in the partnership within 182 days of its discharge?"""
    discharged = journeys.loc[journeys["disd"].notna(), ["client_key", "disd"]]
    later = discharged.reset_index().merge(journeys[["client_key", "triaged"]], on="client_key")
    days = (later["triaged"] - later["disd"]).dt.days
    hits = later.loc[(days > 0) & (days <= REPRESENTATION_DAYS), "index"].unique()
    return pd.Series(journeys.index.isin(hits), index=journeys.index)


def partnership_measures(area: str, versions: pd.DataFrame, windows: pd.DataFrame, *,
                         completion_rule: str = "any") -> pd.DataFrame:
    """Both measures for one partnership in every quarter of ``windows``.

    ``completion_rule="any"`` is kpis.md's wording: a client completes when *a* journey of theirs was
    discharged successfully in W and no journey followed within 182 days of that discharge.
    ``"latest"`` judges only the client's latest successful discharge in W (greatest DISD, then the
    attribute order); it is used to explain a difference from the product, never for the figures.
    """
    journeys = current_versions(versions)
    for col in ("triaged", "disd"):
        journeys[col] = pd.to_datetime(journeys[col])
    journeys["successful"] = journeys["disrsn"].isin(SUCCESSFUL_REASONS)
    journeys["represented"] = represented_journeys(journeys)
    # EPISODID compared as a number where it is one, else as text.
    journeys["episode_number"] = pd.to_numeric(journeys["episodid"], errors="coerce")

    rows = journeys.merge(windows, how="cross")
    in_window = (rows["triaged"] <= rows["E"]) & (rows["disd"].isna() | (rows["disd"] >= rows["S"]))
    rows = rows[in_window].copy()

    lasted_to_e = (rows["disd"].where(rows["disd"] < rows["E"], rows["E"]) - rows["triaged"]).dt.days
    lasted = (rows["disd"] - rows["triaged"]).dt.days
    rows["effective"] = (lasted_to_e >= EFFECTIVE_DAYS) | (
        rows["successful"] & (rows["disd"] <= rows["E"]) & (lasted < EFFECTIVE_DAYS))
    discharged_in_window = rows["successful"] & (rows["disd"] >= rows["S"]) & (rows["disd"] <= rows["E"])
    rows["completed"] = discharged_in_window & ~rows["represented"]
    if completion_rule == "latest":
        last = (rows[discharged_in_window]
                .sort_values(["disd", "triaged", "episode_number", "episodid", "agncy"], na_position="first",
                             kind="stable")
                .drop_duplicates(["period", "client_key"], keep="last"))
        rows["completed"] = rows.index.isin(last.index[~last["represented"]])
    elif completion_rule != "any":
        raise ValueError(f"unknown completion rule {completion_rule!r}")

    clients = rows.groupby(["period", "client_key"], sort=False).agg(
        effective=("effective", "any"), completed=("completed", "any"))
    latest = (rows.sort_values(["triaged", "episode_number", "episodid", "agncy"], na_position="first",
                               kind="stable")
              .drop_duplicates(["period", "client_key"], keep="last")
              .set_index(["period", "client_key"])["subgrp"])
    clients["opiate"] = latest.reindex(clients.index) == OPIATE_GROUP
    clients["opiate_completed"] = clients["opiate"] & clients["completed"]

    per_period = (clients[["effective", "opiate", "opiate_completed"]].groupby(level="period").sum()
                  .reindex(windows["period"], fill_value=0))
    effective = pd.DataFrame({"kpi": "effective_treatment", "area": area, "period": per_period.index,
                              "numerator": per_period["effective"].to_numpy(dtype=float),
                              "denominator": np.nan})
    completions = pd.DataFrame({"kpi": "completions_opiate", "area": area, "period": per_period.index,
                                "numerator": per_period["opiate_completed"].to_numpy(dtype=float),
                                "denominator": per_period["opiate"].to_numpy(dtype=float)})
    return pd.concat([effective, completions], ignore_index=True)


def reference_measures(store: Store, *, areas: tuple[str, ...] | None = None,
                       completion_rule: str = "any") -> ReferenceRun:
    """Both measures for every partnership with active uploads (or those of ``areas``), every quarter
    from its earliest to its latest reporting period."""
    read = compute = 0.0
    parts = []
    for area, first_end, last_end in store.rows(_ACTIVE_PERIODS):
        if areas is not None and area not in areas:
            continue
        started = time.perf_counter()
        versions = store.df(_VERSIONS, [area])
        read += time.perf_counter() - started
        started = time.perf_counter()
        parts.append(partnership_measures(area, versions, quarters(first_end, last_end),
                                          completion_rule=completion_rule))
        compute += time.perf_counter() - started
    figures = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_COLUMNS)
    return ReferenceRun(figures[_COLUMNS], read, compute)


def product_figures(store: Store) -> pd.DataFrame:
    """The product's materialised figures for the two measures, whole partnership."""
    return store.df(
        "SELECT kpi, area, period, numerator, denominator FROM results "
        "WHERE breakdown = '' AND grp = '' AND kpi IN (SELECT unnest(?))", [list(KPIS)])


def compare(reference: pd.DataFrame, product: pd.DataFrame) -> Comparison:
    """Every figure of either side, matched on measure, partnership and quarter; numerators and
    denominators must be equal (both blank for a count's denominator)."""
    merged = reference.merge(product, on=["kpi", "area", "period"], how="outer",
                             suffixes=("_reference", "_product"), indicator=True)

    def differs(col: str) -> pd.Series:
        a, b = merged[f"{col}_reference"], merged[f"{col}_product"]
        return ~((a == b) | (a.isna() & b.isna()))

    bad = (merged["_merge"] != "both") | differs("numerator") | differs("denominator")
    mismatches = merged[bad].rename(columns={"_merge": "present"}).reset_index(drop=True)
    mismatches["present"] = mismatches["present"].map(
        {"both": "both", "left_only": "reference only", "right_only": "product only"}).astype(str)
    return Comparison(int(len(merged)), mismatches)
