"""The settings of the README's table do what it says: who may upload, amber margins, DuckDB's memory."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from loaders import config
from loaders.store import open_store
from metrics.targets import apply_targets, parse_targets

ROOT = Path(__file__).resolve().parent.parent


# -- KPI_UPLOADERS and e-mail matching ---------------------------------------------------------------------


def test_uploaders_come_from_the_environment_and_the_secrets_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comma-separated, spaces and blanks ignored, case folded; [access] uploaders adds to them."""
    monkeypatch.setenv("KPI_UPLOADERS", " Analyst@Example.org, ,commissioner@example.org,")
    assert config.uploaders() == frozenset({"analyst@example.org", "commissioner@example.org"})
    assert config.uploaders(("Lead@Example.ORG",)) == frozenset(
        {"analyst@example.org", "commissioner@example.org", "lead@example.org"})
    monkeypatch.delenv("KPI_UPLOADERS")
    assert config.uploaders() == frozenset()


@pytest.mark.parametrize(("email", "allowed"), [
    ("analyst@example.org", True),
    ("ANALYST@EXAMPLE.ORG", True),  # addresses are matched without regard to case
    (" analyst@example.org ", True),
    ("analyst@example.org.evil.example", False),  # a whole address, never a prefix
    ("evil-analyst@example.org", False),  # nor a suffix
    ("someone@example.org", False),
    ("", False),
    (None, False),
])
def test_with_sign_in_only_listed_addresses_may_change_data(monkeypatch: pytest.MonkeyPatch, email: str | None,
                                                            allowed: bool) -> None:
    monkeypatch.setenv("KPI_UPLOADERS", "Analyst@Example.org")
    assert config.may_change_data(email=email, sign_in_configured=True, allowed=config.uploaders()) is allowed


def test_without_sign_in_anyone_on_the_machine_may_change_data() -> None:
    assert config.may_change_data(email=None, sign_in_configured=False, allowed=frozenset())


# -- amber margins -------------------------------------------------------------------------------------------


def _status(targets_text: str, *, kpi: str, value: float, numerator: float | None = None,
            denominator: float | None = None) -> str:
    rows = pd.DataFrame([{"kpi": kpi, "area": "E08000001", "breakdown": "", "group": "", "period": "2024-25 Q3",
                          "value": value, "numerator": numerator, "denominator": denominator}])
    return apply_targets(rows, targets=parse_targets(targets_text))["status"].iloc[0]


LEVEL = """
[[target]]
measure = "bme_share"
area = "*"
kind = "level"
value = 0.20
"""


def test_the_default_amber_margin_is_two_percent_of_the_target() -> None:
    """Target 20%: amber down to 19.6% (20% less 2% of 20%), red below."""
    assert _status(LEVEL, kpi="bme_share", value=0.197) == "amber"
    assert _status(LEVEL, kpi="bme_share", value=0.195) == "red"
    assert _status(LEVEL, kpi="bme_share", value=0.20) == "green"


def test_the_file_wide_amber_margin_applies_to_every_target() -> None:
    """amber_margin = 0.10 at the top: amber down to 18%."""
    assert _status("amber_margin = 0.10\n" + LEVEL, kpi="bme_share", value=0.181) == "amber"
    assert _status("amber_margin = 0.10\n" + LEVEL, kpi="bme_share", value=0.179) == "red"


def test_a_targets_own_amber_margin_overrides_the_files() -> None:
    """A target's amber_margin = 0.25 beats the file's 0.01: amber down to 15%; a second target without
    one keeps the file's margin."""
    text = "amber_margin = 0.01\n" + LEVEL + "amber_margin = 0.25\n" + """
[[target]]
measure = "top_compliance"
area = "*"
kind = "level"
value = 0.80
"""
    assert _status(text, kpi="bme_share", value=0.151) == "amber"
    assert _status(text, kpi="bme_share", value=0.149) == "red"
    assert _status(text, kpi="top_compliance", value=0.795) == "amber"  # 0.80 less 1% is 0.792
    assert _status(text, kpi="top_compliance", value=0.79) == "red"


def test_amber_margin_zero_means_any_miss_is_red() -> None:
    assert _status("amber_margin = 0\n" + LEVEL, kpi="bme_share", value=0.1999) == "red"


# -- KPI_MEMORY_LIMIT ------------------------------------------------------------------------------------------


def _limit_bytes(tmp_path: Path) -> int:
    with open_store(tmp_path / "m.duckdb") as store:
        return int(store.scalar(
            "SELECT value::BIGINT FROM (SELECT current_setting('memory_limit') AS text, "
            "regexp_extract(text, '([0-9.]+)', 1)::DOUBLE * CASE regexp_extract(text, '([A-Za-z]+)$', 1) "
            "WHEN 'KiB' THEN 1024 WHEN 'MiB' THEN 1024^2 WHEN 'GiB' THEN 1024^3 WHEN 'TiB' THEN 1024^4 "
            "WHEN 'KB' THEN 1000 WHEN 'MB' THEN 1000^2 WHEN 'GB' THEN 1000^3 ELSE 1 END AS value)"))


@pytest.mark.parametrize(("setting", "expected"), [("512MB", 512 * 1000**2), ("2GB", 2 * 1000**3),
                                                   ("300MiB", 300 * 1024**2)])
def test_memory_limit_reaches_duckdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str,
                                     expected: int) -> None:
    monkeypatch.setenv("KPI_MEMORY_LIMIT", setting)
    assert _limit_bytes(tmp_path) == pytest.approx(expected, rel=0.05)  # DuckDB shows 1 decimal place


def test_memory_limit_defaults_to_448_megabytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KPI_MEMORY_LIMIT", raising=False)
    assert config.MEMORY_LIMIT == "448MB"
    assert _limit_bytes(tmp_path) == pytest.approx(448 * 1000**2, rel=0.05)


def test_memory_limit_default_leaves_duckdbs_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_MEMORY_LIMIT", "default")
    assert config.memory_limit() is None
    assert _limit_bytes(tmp_path) > 2 * 1000**3  # DuckDB's own: 80% of this machine's memory


def test_a_memory_limit_that_is_not_a_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="is not a size such as 1GB"):
        config.memory_limit()


# -- server.address -------------------------------------------------------------------------------------------


def test_the_dashboard_listens_on_this_machine_only_by_default() -> None:
    """Without sign-in the dashboard is open to whoever reaches it, so it ships bound to the loopback
    (the browser suite also checks the running server refuses other addresses)."""
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["address"] in ("localhost", "127.0.0.1")
    assert settings["browser"]["gatherUsageStats"] is False


# -- theme.textColor ------------------------------------------------------------------------------------------


def _blend(colour: str, background: str, opacity: float) -> str:
    pairs = [(int(colour[i:i + 2], 16), int(background[i:i + 2], 16)) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(opacity * c + (1 - opacity) * b):02X}" for c, b in pairs)


def test_captions_reach_4_5_to_1_on_the_page_and_the_sidebar() -> None:
    """Streamlit 1.67 has no setting for the caption colour: it draws captions in the text colour at 60%
    opacity. Its default text colour gave 3.8:1 on the sidebar; the shipped one, the charts' text colour,
    gives more than WCAG 2.2 AA's 4.5:1 on white and on the sidebar's #F8F8F7 (the browser suite's
    axe-core run sees the colours as drawn)."""
    from charts import theme

    text = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]["textColor"]
    assert text.upper() == theme.TEXT.upper()
    for background in ("#FFFFFF", "#F8F8F7"):
        assert theme.contrast_ratio(_blend(text, background, 0.6), background) >= 4.5, background
    assert theme.contrast_ratio(_blend("#2F2D2B", "#F8F8F7", 0.6), "#F8F8F7") < 4.5  # Streamlit's default
