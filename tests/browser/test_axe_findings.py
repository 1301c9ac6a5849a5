"""The sorting of axe-core's findings (tests/browser/accessibility.py), without a browser."""

from __future__ import annotations

from typing import Any

from tests.browser.accessibility import Finding, KnownViolation, findings, sort_out


def _violation(rule: str, impact: str, html: str, target: str = "div") -> dict[str, Any]:
    return {"id": rule, "impact": impact,
            "nodes": [{"impact": impact, "target": [target], "html": html, "failureSummary": "Fix any of the following:\n  x"}]}


def test_only_serious_and_critical_findings_count() -> None:
    found = findings([_violation("color-contrast", "serious", "<p>a</p>"), _violation("region", "moderate", "<p>b</p>"),
                      _violation("aria-required-parent", "critical", "<li>c</li>")])
    assert [(f.rule, f.impact) for f in found] == [("color-contrast", "serious"), ("aria-required-parent", "critical")]
    assert found[0] == Finding(rule="color-contrast", impact="serious", target="div", html="<p>a</p>",
                               summary="Fix any of the following: x")


def test_a_known_violation_of_streamlits_is_set_aside_and_seen() -> None:
    nav = KnownViolation(rule="list", selector=r'data-testid="stSidebarNavItems"', why="Streamlit's markup")
    found = findings([_violation("list", "serious", '<ul data-testid="stSidebarNavItems" class="x">'),
                      _violation("list", "serious", "<ul class='ours'>"),
                      _violation("listitem", "serious", '<ul data-testid="stSidebarNavItems">')])
    ours, seen = sort_out(found, known=(nav,))
    assert [f.html for f in ours] == ["<ul class='ours'>", '<ul data-testid="stSidebarNavItems">']
    assert seen == {nav}
    assert sort_out(findings([_violation("list", "serious", "<ul>")]), known=(nav,))[1] == set()
