"""axe-core, run in the page, and what its findings mean for the product.

The dashboard is for councils and the NHS, who must meet WCAG 2.2 AA (the Public Sector Bodies
Accessibility Regulations 2018). axe-core (the npm package, pinned in package-lock.json and
installed by `make test`) is injected into a page as it is shown and checks it against the WCAG
2.0, 2.1 and 2.2 A and AA rules. A serious or critical violation fails the test, unless it is
Streamlit's own markup that no setting of the product can mend: those are listed in
STREAMLITS_OWN, each with the reason, and a listed one that no longer occurs fails too, so the
list cannot outlive the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class KnownViolation:
    """A violation that is Streamlit's, not the product's: its axe rule, a pattern found in the failing
    element's selector or its opening markup (a regular expression: Streamlit's generated class names
    change between versions, its data-testid attributes less so), and why the product cannot mend it."""

    rule: str
    selector: str
    why: str

    def covers(self, finding: Finding) -> bool:
        return finding.rule == self.rule and re.search(self.selector, f"{finding.target} {finding.html}") is not None


# None today. The sidebar's navigation failed `list` and `listitem` while its pages were grouped in
# sections (Streamlit 1.67 wraps each section in a <div> inside the <ul>); app.py lists them ungrouped,
# which Streamlit draws as a plain list. Should a violation of Streamlit's own making appear, list it
# here as KnownViolation(rule, selector pattern, why), and in the README's Accessibility section.
STREAMLITS_OWN: tuple[KnownViolation, ...] = ()


def run_axe(page: Any) -> dict[str, Any]:  # a playwright Page
    """axe-core's results for the page as it is now, against WCAG 2.2 AA (and A)."""
    if not AXE_SCRIPT.exists():
        raise FileNotFoundError(f"{AXE_SCRIPT} is missing: `make test` installs it (npm ci).")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(WCAG_AA))


@dataclass(frozen=True)
class Finding:
    """One element that breaks one rule."""

    rule: str
    impact: str
    target: str
    html: str
    summary: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}) at {self.target}: {self.summary} | {self.html[:160]}"


def findings(violations: Iterable[Mapping[str, Any]], *, impacts: Sequence[str] = BLOCKING) -> list[Finding]:
    """Every element of axe's ``violations`` whose impact is one of ``impacts``."""
    found = []
    for violation in violations:
        for node in violation.get("nodes", []):
            impact = node.get("impact") or violation.get("impact") or ""
            if impact in impacts:
                target = " ".join(" >>> ".join(part) if isinstance(part, list) else str(part)
                                  for part in node.get("target", []))
                found.append(Finding(rule=violation["id"], impact=impact, target=target, html=node.get("html", ""),
                                     summary=" ".join((node.get("failureSummary") or "").split())))
    return found


def sort_out(found: Iterable[Finding], *, known: Sequence[KnownViolation] = STREAMLITS_OWN,
             ) -> tuple[list[Finding], set[KnownViolation]]:
    """The findings that are the product's, and the known violations of Streamlit's that occurred."""
    ours, seen = [], set()
    for finding in found:
        matched = [k for k in known if k.covers(finding)]
        seen.update(matched)
        if not matched:
            ours.append(finding)
    return ours, seen
