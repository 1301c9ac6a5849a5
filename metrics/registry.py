"""Every measure the dashboard reports, declared once.

The CLI (`python -m metrics list`), the pages, the in-app help, the README table and the
board pack's appendix all read this tuple; a test fails when a measure here is not computed
or not documented. Polarity is declared, never guessed from a name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    id: str
    name: str
    unit: str  # 'proportion' (0-1), 'rate' (a ratio that may pass 1) or 'count'
    polarity: str  # 'up' (higher is better), 'down' (lower is better) or 'neutral'
    family: str  # 'treatment', 'tops', 'equality', 'criminal_justice'
    source: str  # the extract it is computed from
    definition: str  # plain words, for commissioners
    breakdowns: tuple[str, ...]

    @property
    def is_proportion(self) -> bool:
        return self.unit == "proportion"

    def format(self, value: float | None, *, signed: bool = False) -> str:
        """A value as people read it: 12.3% for proportions, 0.92 for rates, 1,234 for counts; a signed
        proportion (a change or a gap) in percentage points, +1.2 pp."""
        if value is None or value != value:  # None or NaN
            return "no data"
        sign = "+" if signed else ""
        if self.unit == "proportion":
            return f"{value * 100:{sign}.1f}%" if not signed else f"{value * 100:+.1f} pp"
        if self.unit == "rate":
            return f"{value:{sign}.2f}"
        return f"{value:{sign},.0f}"


CLIENT_BREAKDOWNS = ("provider", "team", "substance", "sex", "age_band", "ethnic_group", "referral")
DIP_BREAKDOWNS = ("suite",)
BREAKDOWNS = CLIENT_BREAKDOWNS + DIP_BREAKDOWNS

BREAKDOWN_LABELS = {
    "provider": "Provider", "team": "Team", "substance": "Substance group", "sex": "Sex",
    "age_band": "Age band", "ethnic_group": "Ethnic group", "referral": "Referral source",
    "suite": "Custody suite",
}

MEASURES: tuple[Measure, ...] = (
    Measure("in_treatment", "Numbers in treatment", "count", "neutral", "treatment", "journeys",
            "Adults with a treatment journey open at any time in the 12 months, each counted once.",
            CLIENT_BREAKDOWNS),
    Measure("effective_treatment", "Numbers in effective treatment", "count", "up", "treatment", "journeys",
            "Adults in treatment in the 12 months who were retained for 12 weeks (84 days) or more, or who "
            "left successfully sooner.", CLIENT_BREAKDOWNS),
    Measure("effective_treatment_rate", "Effective treatment rate", "proportion", "up", "treatment", "journeys",
            "Of adults in treatment in the 12 months, the share in effective treatment.", CLIENT_BREAKDOWNS),
    Measure("completions_opiate", "Successful completions, opiate (PHOF C19a)", "proportion", "up", "treatment",
            "journeys",
            "Of opiate clients in treatment in the 12 months, the share who completed treatment successfully "
            "in the 12 months and did not come back within 6 months (182 days).", CLIENT_BREAKDOWNS),
    Measure("completions_non_opiate", "Successful completions, non-opiate (PHOF C19b)", "proportion", "up",
            "treatment", "journeys",
            "As for opiates, for non-opiate clients (non-opiate only, and non-opiate with alcohol).",
            CLIENT_BREAKDOWNS),
    Measure("completions_alcohol", "Successful completions, alcohol (PHOF C19c)", "proportion", "up", "treatment",
            "journeys", "As for opiates, for alcohol-only clients.", CLIENT_BREAKDOWNS),
    Measure("completions_all", "Successful completions, all", "proportion", "up", "treatment", "journeys",
            "As for opiates, for every client in treatment.", CLIENT_BREAKDOWNS),
    Measure("successful_exits_share", "Successful exits as a share of exits", "proportion", "up", "treatment",
            "journeys",
            "Of journeys that ended in the 12 months, successfully or unplanned, the share that ended "
            "successfully (transfers are left out).", CLIENT_BREAKDOWNS),
    Measure("representations", "Re-presentations within 6 months", "proportion", "down", "treatment", "journeys",
            "Of journeys completed successfully in the 12 months (and at least 6 months before the latest data), "
            "the share whose client started treatment again within 182 days.", CLIENT_BREAKDOWNS),
    Measure("retention_12wk", "Retained 12 weeks or more", "proportion", "up", "treatment", "journeys",
            "Of journeys that started in the 12 months ending 12 weeks before the quarter end, the share that "
            "lasted 12 weeks (84 days) or more, or ended successfully sooner.", CLIENT_BREAKDOWNS),
    Measure("long_term_4yr", "In treatment 4 years or more", "proportion", "down", "treatment", "journeys",
            "Of adults in treatment at the quarter end, the share who have been in treatment for 4 years "
            "(1,461 days) or more.", CLIENT_BREAKDOWNS),
    Measure("cj_referrals", "Criminal-justice referrals", "count", "up", "treatment", "journeys",
            "Journeys started in the 12 months that were referred by arrest referral / DIP, a Drug "
            "Rehabilitation Requirement, probation or prison (CARAT).", CLIENT_BREAKDOWNS),
    Measure("top_compliance", "TOP compliance", "proportion", "up", "tops", "tops",
            "Of the Treatment Outcomes Profiles due (at the start, at each 6-month review and at a successful "
            "exit), the share completed in time.", ("provider", "team")),
    Measure("top_start_compliance", "TOP compliance at treatment start", "proportion", "up", "tops", "tops",
            "Of journeys started in the 12 months ending 14 days before the quarter end, the share with a start "
            "TOP within 14 days of triage.", ("provider", "team")),
    Measure("top_review_compliance", "TOP compliance at 6-month reviews", "proportion", "up", "tops", "tops",
            "Of 6-month review points of open journeys in the 12 months (up to 28 days before the quarter end), "
            "the share with a review TOP within 28 days of the anniversary.", ("provider", "team")),
    Measure("top_exit_compliance", "TOP compliance at successful exits", "proportion", "up", "tops", "tops",
            "Of journeys completed successfully in the 12 months ending 14 days before the quarter end, the "
            "share with an exit TOP within 14 days of discharge.", ("provider", "team")),
    Measure("top_exits", "Exit TOPs completed", "count", "up", "tops", "tops",
            "Exit Treatment Outcomes Profiles dated in the 12 months.", ("provider",)),
    Measure("bme_share", "Black and minority ethnic share", "proportion", "up", "equality", "journeys",
            "Of adults in treatment in the 12 months whose ethnicity is recorded, the share from Black, Asian, "
            "mixed or other minority ethnic groups (every group outside White British, White Irish and Other "
            "White).", ("provider", "team", "substance", "sex", "age_band", "referral")),
    Measure("ethnic_minority_share", "Ethnic minority share incl. white minorities", "proportion", "up",
            "equality", "journeys",
            "As the BME share, but counting every group except White British, so White Irish and Other White "
            "clients count too.", ("provider", "team", "substance", "sex", "age_band", "referral")),
    Measure("parental_status_recorded", "Parental status recorded", "proportion", "up", "equality", "journeys",
            "Of journeys started in the 12 months, the share with the client's parental status recorded.",
            CLIENT_BREAKDOWNS),
    Measure("data_quality", "Data quality", "proportion", "up", "equality", "journeys",
            "Of journeys in treatment in the 12 months, the share with sex, ethnicity, parental status, "
            "referral date, primary drug and injecting status all recorded.", CLIENT_BREAKDOWNS),
    Measure("toa_test_rate", "Tests per trigger arrest", "rate", "up", "criminal_justice", "dip",
            "Drug tests carried out in custody for every arrest for a trigger offence, in the 12 months.",
            DIP_BREAKDOWNS),
    Measure("toa_positivity", "Positive test rate", "proportion", "neutral", "criminal_justice", "dip",
            "Of drug tests in custody in the 12 months, the share positive for opiates, cocaine or both.",
            DIP_BREAKDOWNS),
    Measure("ra_attendance", "Required assessments attended", "proportion", "up", "criminal_justice", "dip",
            "Of initial required assessments imposed in the 12 months, the share attended.", DIP_BREAKDOWNS),
    Measure("dip_treatment_entry", "DIP referrals entering treatment", "proportion", "up", "criminal_justice",
            "dip", "Of people referred on to structured treatment from custody in the 12 months, the share who "
            "entered treatment.", DIP_BREAKDOWNS),
)

FAMILY_LABELS = {
    "treatment": "Treatment", "tops": "Treatment Outcomes Profiles", "equality": "Equality and data quality",
    "criminal_justice": "Criminal justice",
}

_BY_ID = {m.id: m for m in MEASURES}


class UnknownMeasure(KeyError):
    """No measure has that id."""

    def __str__(self) -> str:
        return f"There is no measure '{self.args[0]}'. See `python -m metrics list` for the ids."


def measure(measure_id: str) -> Measure:
    try:
        return _BY_ID[measure_id]
    except KeyError:
        raise UnknownMeasure(measure_id) from None


def measure_ids() -> tuple[str, ...]:
    return tuple(_BY_ID)
