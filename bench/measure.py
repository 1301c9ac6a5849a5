"""How the benchmark measures: figures with their targets, repeated timings, and measured child processes.

Every step that writes to a database or may use much memory runs in a child process
(``python -m bench.worker ...``), so that its peak resident memory is its own: the parent waits for
it with ``os.wait4`` and reads ``ru_maxrss`` from the child's own resource usage.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "RESULT "
GIB = 1024**3

# Settings of the product that must not leak from the caller's environment into a measured process
# (pytest's fixtures set them to temporary files).
_PRODUCT_SETTINGS = ("KPI_DB", "KPI_CLIENT_KEY_FILE", "KPI_TARGETS", "KPI_USER", "KPI_UPLOADERS")


class WorkerFailed(RuntimeError):
    """A measured child process exited with an error; the message holds the end of its output."""


@dataclass(frozen=True)
class Target:
    """A figure's target: ``op`` is one of ``<``, ``<=``, ``>=``, ``==``."""

    op: str
    value: float
    text: str

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return {"<": value < self.value, "<=": value <= self.value, ">=": value >= self.value,
                "==": value == self.value}[self.op]


@dataclass(frozen=True)
class Figure:
    """One row of results.md."""

    id: str
    name: str
    value: float | None
    unit: str  # how the value reads: "s", "ms", "rows/s", "x", "GiB", "mismatches"
    runs: int
    how: str
    target: Target | None = None
    samples: tuple[float, ...] = ()
    note: str = ""

    @property
    def met(self) -> bool | None:
        return self.target.met(self.value) if self.target else None

    @property
    def status(self) -> str:
        met = self.met
        if self.target is None:
            return "info"
        if met is None:
            return "not measured"
        return "met" if met else "**missed**"


@dataclass(frozen=True)
class WorkerRun:
    """What a child process reported, with the wall time and peak memory the parent saw."""

    result: dict
    wall_seconds: float  # from starting the process to its exit
    result_seconds: float  # from starting the process to its RESULT line
    peak_rss_bytes: int
    stderr: str = field(repr=False, default="")


def median(samples: Sequence[float]) -> float | None:
    return float(statistics.median(samples)) if samples else None


def repeat(action: Callable[[], object], *, runs: int, warmup: int = 1) -> list[float]:
    """Seconds of each of ``runs`` calls of ``action`` after ``warmup`` unmeasured calls."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment for a child: the caller's, without the product's settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _PRODUCT_SETTINGS}
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_worker(args: Sequence[str], *, timeout: float, log: Path | None = None) -> WorkerRun:
    """Run ``python -m bench.worker ARGS`` and return its RESULT, wall time and peak resident memory."""
    command = [sys.executable, "-m", "bench.worker", *args]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=clean_environment(), stdout=subprocess.PIPE,
                                stderr=errors, text=True)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        result: dict | None = None
        result_at = None
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(RESULT_PREFIX) and result is None:
                    result_at = time.perf_counter()
                    result = json.loads(line[len(RESULT_PREFIX):])
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        ended = time.perf_counter()
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()
    if log is not None:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {' '.join(command)}\n{stderr}\n")
    if proc.returncode != 0 or result is None:
        raise WorkerFailed(f"{' '.join(args[:1])} failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    return WorkerRun(result, ended - started, (result_at or ended) - started, usage.ru_maxrss * 1024, stderr)
