"""The benchmark's data: the synthetic extracts (cached between runs) and the databases built from them.

The extracts depend only on the scale and the seed (``loaders.demo`` writes byte-identical files), so
they are generated once into ``bench/data/<scale>-seed<seed>/extracts`` with a manifest and reused while
the manifest matches. The databases are rebuilt on every run, through the product's own loader, because
building them is one of the things measured.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from loaders.demo import DemoFile, write_demo_extracts

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Extracts:
    """The extract files of one scale and seed, in loading order, and which file the ingest test holds back."""

    scale: str
    seed: int
    files: tuple[DemoFile, ...]
    generated_seconds: float | None  # None when reused from the cache

    def latest_quarters(self, count: int | None) -> Extracts:
        """Only the files of the newest ``count`` quarters (and the indicators): a shorter history, for the smoke run."""
        if count is None:
            return self
        periods = sorted({f.period for f in self.files if f.period is not None}, key=_period_order)[-count:]
        kept = tuple(f for f in self.files if f.period is None or f.period in periods)
        return Extracts(self.scale, self.seed, kept, self.generated_seconds)

    @property
    def held_out(self) -> DemoFile:
        """The newest quarter's journeys file: loaded last, into a database that holds every earlier quarter."""
        return [f for f in self.files if f.kind == "journeys"][-1]

    @property
    def base_files(self) -> tuple[DemoFile, ...]:
        """Every file but the held-out one, in loading order."""
        held = self.held_out
        return tuple(f for f in self.files if f != held)


def _period_order(label: str) -> tuple[int, int]:
    """'2024-25 Q3' sorts as (2024, 3)."""
    return int(label[:4]), int(label[-1])


def extracts_folder(data_dir: Path, *, scale: str, seed: int) -> Path:
    return Path(data_dir) / f"{scale}-seed{seed}" / "extracts"


def cached_extracts(data_dir: Path, *, scale: str, seed: int) -> Extracts:
    """The extracts of ``scale`` and ``seed`` under ``data_dir``: reused when complete, else written afresh."""
    import time

    folder = extracts_folder(data_dir, scale=scale, seed=seed)
    found = _read_manifest(folder, scale=scale, seed=seed)
    if found is not None:
        return Extracts(scale, seed, found, None)
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    files = write_demo_extracts(folder, scale=scale, seed=seed)
    seconds = time.perf_counter() - started
    manifest = {
        "scale": scale,
        "seed": seed,
        "files": [{"name": f.path.name, "kind": f.kind, "period": f.period, "bytes": f.path.stat().st_size}
                  for f in files],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return Extracts(scale, seed, tuple(files), seconds)


def _read_manifest(folder: Path, *, scale: str, seed: int) -> tuple[DemoFile, ...] | None:
    """The files listed in the manifest, or None when it is missing, for another seed, or a file changed."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("scale") != scale or manifest.get("seed") != seed:
        return None
    files = []
    for entry in manifest["files"]:
        path = folder / entry["name"]
        if not path.is_file() or path.stat().st_size != entry["bytes"]:
            return None
        files.append(DemoFile(path, entry["kind"], entry["period"]))
    return tuple(files)


def copy_database(source: Path, target: Path) -> None:
    """Copy a closed database and its client-key file (a fresh copy for each measured load)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in (".duckdb.wal", ".key"):
        target.with_suffix(suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)
    if source.with_suffix(".key").exists():
        shutil.copyfile(source.with_suffix(".key"), target.with_suffix(".key"))
    # Written to disk now: otherwise the measured load's commit waits for the OS to write back the
    # whole 2-3 GB copy (0.5-0.8 s that belong to the benchmark's set-up, not to the loader).
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())


def remove_database(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal"), path.with_suffix(".key")):
        p.unlink(missing_ok=True)
