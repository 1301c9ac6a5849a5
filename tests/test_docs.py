"""The README and docs stay true: every measure, setting and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from loaders.config import SETTINGS
from metrics.registry import MEASURES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_measure_is_in_the_readme_table() -> None:
    table = README.split("<!-- measures-table")[1].split("**Statistics.**")[0]
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.M))
    assert documented == {m.id for m in MEASURES}
    for m in MEASURES:
        assert f"| `{m.id}` | {m.name} | {m.unit} | {m.polarity} |" in table


def test_every_measure_has_a_definition() -> None:
    for m in MEASURES:
        assert len(m.definition) > 30 and m.definition.endswith("."), m.id
        assert m.polarity in ("up", "down", "neutral") and m.unit in ("proportion", "rate", "count")


def test_every_setting_is_documented() -> None:
    for setting in SETTINGS:
        assert f"| `{setting.env}` |" in README, setting.env


def test_the_two_commands_and_every_cli_command_are_documented() -> None:
    assert "make run" in README and "make test" in README
    for command in ("loaders load", "loaders history", "loaders withdraw", "loaders demo", "metrics list",
                    "metrics scorecard", "metrics series", "metrics exceptions", "metrics funnel"):
        assert f"python -m {command}" in README


def test_extract_formats_are_documented_in_the_project() -> None:
    from loaders.extracts import EXTRACTS

    text = (ROOT / "docs" / "extracts.md").read_text(encoding="utf-8")
    for spec in EXTRACTS.values():
        for column in spec.names:
            assert f"`{column}`" in text, column


def test_product_never_reads_the_shared_folder() -> None:
    for path in ROOT.rglob("*.py"):
        if ".venv" in path.parts or path.name == "test_docs.py":
            continue
        assert "../shared" not in path.read_text(encoding="utf-8"), path
