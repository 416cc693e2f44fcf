"""Writing generated scenes in the Jacquard layout, and the generation log.

A scene is written file by file, each atomically (temp name, then rename), the tried-grasps
sidecar just before the grasps file, which is written last; the generation log
(``generation.jsonl``, one row per finished scene, appended by the parent process after
the scene's files are in place, fsync'd, in the run folder of
:mod:`simgrasp.protocols.folder`) is what says a scene is done. So an interrupted run
leaves at most one scene's files without a log row, and ``--resume`` simply writes that
scene again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from simgrasp.data.io import write_depth, write_mask, write_rgb, write_text
from simgrasp.data.jacquard import SUFFIXES, format_grasp_lines
from simgrasp.data.tried import TriedGrasps, format_tried_lines
from simgrasp.protocols.folder import RunFolder
from simgrasp.protocols.rows import read_rows
from simgrasp.sim.depth_noise import noisy_depth  # noqa: F401  (re-exported: the generator's stereo file)

LOG_NAME = "generation.jsonl"
RUN_NAME = "generation.json"  # what the run was asked to do (all of it its identity); --resume must match it
SUMMARY_NAME = "summary.json"


def scene_row_key(row: dict[str, Any]) -> tuple[int, int]:
    """What names a row of the generation log: ``(object_index, scene_index)``; TypeError
    unless both are ints."""
    o, s = row["object_index"], row["scene_index"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (o, s)):
        raise TypeError(f"expected int object_index and scene_index, got {o!r} and {s!r}")
    return o, s


def generation_folder(out: Path) -> RunFolder:
    """The dataset folder ``out`` as a run folder: ``generation.json`` (the run's
    arguments, its identity), ``generation.jsonl`` (one row per scene), its lock."""
    return RunFolder(out, run_file=RUN_NAME, rows_file=LOG_NAME, key=scene_row_key, identity_key=None)


def object_id_for(index: int, name: str) -> str:
    """A file-system-safe object id: the object's index in the spec and its name, e.g.
    ``0003-random_urdfs-003`` (no '/', and Jacquard's split at the first '_' keeps it whole)."""
    return f"{index:04d}-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


def scene_prefix(out: Path, object_id: str, scene_index: int) -> Path:
    """``OUT/<object_id>/<scene_index>_<object_id>``, the prefix of the scene's files."""
    return Path(out) / object_id / f"{scene_index}_{object_id}"


def _file(prefix: Path, kind: str) -> Path:
    return prefix.with_name(prefix.name + SUFFIXES[kind])


def write_scene(
    prefix: Path,
    rgb: np.ndarray,
    depth: np.ndarray,
    mask: np.ndarray,
    grasps: np.ndarray,
    record: dict[str, Any],
    stereo_depth: np.ndarray | None = None,
    tried: TriedGrasps | None = None,
) -> None:
    """Write one scene: RGB PNG, perfect (and optional stereo) depth TIFF in metres, mask
    PNG, the rebuild record as JSON, the tried grasps with their outcomes when given, then
    the grasps file (pixels, degrees)."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    write_rgb(_file(prefix, "rgb"), rgb)
    write_depth(_file(prefix, "perfect_depth"), depth)
    if stereo_depth is not None:
        write_depth(_file(prefix, "stereo_depth"), stereo_depth)
    write_mask(_file(prefix, "mask"), mask)
    write_text(_file(prefix, "scene"), json.dumps(record, indent=1, sort_keys=True) + "\n")
    if tried is not None:
        write_text(_file(prefix, "candidates"), format_tried_lines(tried))
    write_text(_file(prefix, "grasps"), format_grasp_lines(grasps))


def read_log(out: Path) -> list[dict[str, Any]]:
    """The rows of ``OUT/generation.jsonl``; a truncated last line (a run killed while
    writing it) is no row."""
    return read_rows(Path(out) / LOG_NAME, scene_row_key)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and rates derived from the log rows alone."""
    kept = [r for r in rows if r.get("kept")]
    trials = sum(r.get("full_trials", 0) + r.get("lift_trials", 0) for r in rows)
    seconds = sum(r.get("seconds", 0.0) for r in rows)
    reasons: dict[str, int] = {}
    for r in rows:
        if not r.get("kept"):
            reasons[r.get("reason", "unknown")] = reasons.get(r.get("reason", "unknown"), 0) + 1
    grasps = [r["grasps"] for r in kept]
    tried = sum(r.get("candidates", 0) for r in kept)
    return {
        "scenes_attempted": len(rows),
        "scenes_kept": len(kept),
        "scenes_dropped": len(rows) - len(kept),
        "dropped_by_reason": reasons,
        "grasps": int(sum(grasps)),
        "grasps_per_kept_scene": float(np.mean(grasps)) if grasps else 0.0,
        "tried_per_kept_scene": tried / len(kept) if kept else 0.0,  # lines of the _candidates.txt files
        "tried_success_rate": sum(r.get("tried_success", 0) for r in kept) / tried if tried else 0.0,
        "trials": int(trials),
        "worker_seconds": float(seconds),
        "scenes_per_worker_hour": 3600.0 * len(rows) / seconds if seconds > 0 else 0.0,
        "trials_per_worker_second": trials / seconds if seconds > 0 else 0.0,
    }
