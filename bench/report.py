"""results.md: every figure with its target, and the machine it was measured on."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from bench.measure import GIB, ROOT, Figure


@dataclass(frozen=True)
class Machine:
    cpus: int
    memory_gib: float
    cpu_model: str
    python: str
    duckdb: str
    pandas: str
    streamlit: str
    chromium: str
    commit: str
    fingerprint: str
    load_average: tuple[float, float, float]


def machine() -> Machine:
    import duckdb
    import streamlit

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024 / GIB
    except OSError:
        pass
    return Machine(
        cpus=len(os.sched_getaffinity(0)), memory_gib=memory, cpu_model=model, python=platform.python_version(),
        duckdb=duckdb.__version__, pandas=pd.__version__, streamlit=streamlit.__version__,
        chromium=_output(["chromium", "--version"]), commit=_commit(),
        fingerprint=code_fingerprint(), load_average=os.getloadavg(),
    )


def _commit() -> str:
    """The commit measured, and whether the working tree differed from it (results.md itself aside)."""
    commit = _output(["git", "rev-parse", "--short", "HEAD"])
    changed = [line for line in _output(["git", "status", "--porcelain", "--untracked-files=no"]).splitlines()
               if line.strip() not in ("", "?") and not line.endswith("bench/results.md")]
    return f"{commit} plus uncommitted changes to {len(changed)} files" if changed else f"{commit} (no uncommitted changes)"


# The code being measured changes while people work; these fingerprints say which version a run saw.
_FINGERPRINTS = {
    "the refresh (metrics/results.py, metrics/sql/*.sql)": ("metrics/results.py", "metrics/sql/*.sql"),
    "the loader (loaders/*.py, schema.sql)": ("loaders/*.py", "loaders/schema.sql"),
    "the reads and pages (metrics/reports.py, spc.py, targets.py, pages/*.py, charts/*.py, app.py)":
        ("metrics/reports.py", "metrics/spc.py", "metrics/targets.py", "pages/*.py", "charts/*.py", "app.py"),
}


def code_fingerprint() -> str:
    """A short sha256 of each part of the product's source, and when it last changed."""
    parts = []
    for name, patterns in _FINGERPRINTS.items():
        files = sorted({p for pattern in patterns for p in ROOT.glob(pattern) if p.is_file()})
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
        changed = max((p.stat().st_mtime for p in files), default=0)
        parts.append(f"{name}: sha256 {digest.hexdigest()[:12]}, changed {datetime.fromtimestamp(changed):%H:%M:%S}")
    return "; ".join(parts)


def _output(command: list[str]) -> str:
    try:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def format_value(figure: Figure) -> str:
    v = figure.value
    if v is None:
        return "not measured"
    if figure.unit == "ms":
        return f"{v * 1000:,.1f} ms"
    if figure.unit == "s":
        return f"{v:,.2f} s"
    if figure.unit == "rows/s":
        return f"{v:,.0f} rows/s"
    if figure.unit == "x":
        return f"{v:,.2f} x"
    if figure.unit == "GiB":
        return f"{v:.2f} GiB"
    return f"{v:,.0f} {figure.unit}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def figures_table(figures: list[Figure]) -> str:
    lines = ["| figure | value | target | status | n | how it was measured |", "| --- | --- | --- | --- | --- | --- |"]
    for f in figures:
        how = f.how + (f" {f.note}" if f.note else "")
        lines.append(f"| `{f.id}` {f.name} | {format_value(f)} | {f.target.text if f.target else '-'} | {f.status} "
                     f"| {f.runs} | {_cell(how)} |")
    return "\n".join(lines)


def frame_table(frame: pd.DataFrame, *, limit: int = 20, decimals: int = 2) -> str:
    """A DataFrame as a markdown table; floats with ``decimals`` places (0 for counts)."""
    if frame.empty:
        return "(none)"
    shown = frame.head(limit)
    lines = ["| " + " | ".join(map(str, shown.columns)) + " |", "|" + " --- |" * len(shown.columns)]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(_fmt(v, decimals)) for v in row) + " |")
    if len(frame) > limit:
        lines.append(f"\n... and {len(frame) - limit} more")
    return "\n".join(lines)


def _fmt(v: object, decimals: int) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.{decimals}f}"
    return str(v)


def write_results(path: Path, *, title: str, started: datetime, seconds: float, run_kind: str, scale: str,
                  seed: int, before: Machine, after_load: tuple[float, float, float], figures: list[Figure],
                  sections: list[tuple[str, str]]) -> None:
    m = before
    missed = [f for f in figures if f.status == "**missed**"]
    unmeasured = [f for f in figures if f.status == "not measured"]
    text = [
        f"# {title}",
        "",
        f"{run_kind} run of `python -m bench{' --smoke' if run_kind == 'Smoke' else ''}` on {started:%Y-%m-%d %H:%M}, "
        f"{scale} data (seed {seed}), {seconds / 60:.1f} minutes. Each figure is the median of the n runs shown. "
        f"Targets missed: {', '.join(f'`{f.id}`' for f in missed) or 'none'}."
        + (f" Not measured: {', '.join(f'`{f.id}`' for f in unmeasured)}." if unmeasured else ""),
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        f"| CPUs (nproc) | {m.cpus} |",
        f"| memory | {m.memory_gib:.1f} GiB |",
        f"| CPU model | {m.cpu_model} |",
        f"| Python | {m.python} |",
        f"| DuckDB | {m.duckdb} |",
        f"| pandas / Streamlit | {m.pandas} / {m.streamlit} |",
        f"| browser | {m.chromium} |",
        f"| code | commit {m.commit} |",
        f"| source fingerprints | {m.fingerprint} |",
        f"| load average (1, 5, 15 min) at start | {', '.join(f'{x:.2f}' for x in m.load_average)} |",
        f"| load average at end | {', '.join(f'{x:.2f}' for x in after_load)} |",
        "",
        "The machine is shared: a load average above the number of CPUs means other work competed "
        "for the CPUs during the run, and every time here is then longer than on an idle machine.",
        "",
        "## Figures",
        "",
        figures_table(figures),
        "",
    ]
    for heading, body in sections:
        text += [f"## {heading}", "", body.strip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text), encoding="utf-8")
