"""The network's own grasps, tried: a trained network's predictions on generated scenes,
re-executed in the rebuilt scenes and added to each scene's tried-grasps sidecar.

Why: the generator's candidates (antipodal, jittered, random) are not drawn like a
network's predictions. A scorer taught by their outcomes learns their statistics (wide
random openings succeed more often than narrow ones on the training objects) more than
which of the network's own grasps hold. Trying the network's grasps gives the scorer
physical labels where its ranking is used: among the grasps it is asked to rank.

Per scene: the network predicts on the stored image (and the stored depth of the kind
given, as in training); among the grasps the gripper can make (opening and plates checked
as the shipped policy cards check them), the ``by_scorer`` best by the scorer, the
``by_primary`` best by the primary score and ``sampled`` more drawn at random among the
``pool`` best by the primary score (the grasps the scorer is trained on), each once, run the full
lift-move-place trial in the scene rebuilt from its record
(:class:`simgrasp.data.sgt.SGTRunner`). They are appended to the scene's
``_candidates.txt`` with sources ``network:scorer``, ``network:primary`` and
``network:sampled`` (:mod:`simgrasp.data.tried`; ``network`` is the default tag, another
tag names another round). A scene whose sidecar already holds rows of the tag is skipped,
so an interrupted run continues where it stopped, and one row per scene goes to
``tryout.jsonl`` in the dataset folder as it finishes (the run folder's row log of
:mod:`simgrasp.protocols.folder`: fsync'd, a torn last line repaired; each dataset folder
is locked for the run, so a generator resuming there waits its turn).
"""

from __future__ import annotations

import os
import time
import zlib
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from tqdm import tqdm

from simgrasp.data.generate import as_tried, label_of
from simgrasp.data.io import read_depth, read_rgb
from simgrasp.data.jacquard import SUFFIXES, find_scenes
from simgrasp.data.tried import TriedGrasps, format_tried_lines, read_tried_file, tried_grasps
from simgrasp.geometry.clearance import JawSpec, executable_grasps
from simgrasp.executors import ExecutorError, ExecutorOptions, ProcessCache, WorkUnit, check_executor, open_executor
from simgrasp.protocols.folder import RunFolder
from simgrasp.protocols.rows import RowLog

SOURCE = "network"  # the default tag: rows written here have sources TAG:scorer, TAG:primary, TAG:sampled
LOG_NAME = "tryout.jsonl"


@dataclass(frozen=True)
class TryoutConfig:
    """Which of the network's grasps are tried on each scene."""

    by_scorer: int = 4  # the best by the scorer (what the `scorer` policy picks from)
    by_primary: int = 4  # the best by the primary score
    sampled: int = 4  # drawn at random among the `pool` best by the primary score
    pool: int = 64  # the scorer trains on the 64 best by primary score (LossConfig.top_t)
    # Only grasps the gripper can make, as the shipped policy cards check them: opening at
    # most this (None: any) and, with check_jaws, both plates clear in the depth image
    # (simgrasp.geometry.clearance). The scorer then learns to rank what a policy executes.
    max_opening_m: float | None = 0.10
    check_jaws: bool = True
    # Names this round's rows (their sources are TAG:scorer, ...): a scene holding rows of
    # this tag is skipped, so another network (say, one trained on a first round) can be
    # tried on the same scenes under another tag.
    tag: str = SOURCE

    def __post_init__(self) -> None:
        counts = {"by_scorer": self.by_scorer, "by_primary": self.by_primary, "sampled": self.sampled}
        if min(counts.values()) < 0 or sum(counts.values()) == 0 or self.pool < 1:
            raise ValueError(f"expected counts >= 0 (not all 0) and pool >= 1, got {counts} and pool {self.pool}")
        if not self.tag or any(c in self.tag for c in ":; \t\n"):
            raise ValueError(f"expected a tag without ':', ';' or spaces, got {self.tag!r}")

    def jaws(self) -> JawSpec | None:
        return JawSpec(max_opening_m=self.max_opening_m) if self.check_jaws else None


Executable = Callable[[np.ndarray, "int | None"], np.ndarray]
"""``(order, keep)`` -> the first ``keep`` (None: all) indices of ``order`` the gripper can make, in order."""


def _everything(order: np.ndarray, keep: int | None) -> np.ndarray:
    return np.asarray(order)[:keep]


def choose(
    by_scorer: np.ndarray,
    by_primary: np.ndarray,
    cfg: TryoutConfig,
    rng: np.random.Generator,
    executable: Executable = _everything,
) -> list[tuple[int, str]]:
    """The grasps to try, ``(index, source)`` in trial order, from the grasp indices ranked
    by the scorer and by the primary score: the best executable ones by the scorer, then by
    the primary score, then random executable ones among the ``pool`` best by the primary
    score; no index twice (a grasp picked by both scores keeps its first source and is not
    replaced). When no grasp of a ranking is executable its best ones are taken as they
    are, as a policy then executes its best."""
    picked: dict[int, str] = {}
    for order, n, source in ((by_scorer, cfg.by_scorer, "scorer"), (by_primary, cfg.by_primary, "primary")):
        if n == 0:
            continue
        best = executable(order, n)
        for j in best if len(best) else np.asarray(order)[:n]:
            picked.setdefault(int(j), f"{cfg.tag}:{source}")
    if cfg.sampled:
        pool = [int(j) for j in executable(np.asarray(by_primary)[: cfg.pool], None) if int(j) not in picked]
        for j in rng.permutation(np.asarray(pool, np.int64))[: cfg.sampled]:
            picked[int(j)] = f"{cfg.tag}:sampled"
    return list(picked.items())


def has_rows_of(tried: TriedGrasps | None, tag: str) -> bool:
    """Whether the sidecar already holds rows written under ``tag``."""
    return tried is not None and any(s.split(":")[0] == tag for s in tried.sources)


def append_rows(
    path: Path, rows: list[tuple[np.ndarray, int, str, str]], old: TriedGrasps | None = None
) -> TriedGrasps:
    """The sidecar at ``path`` with ``rows`` added after ``old``, its rows as already read
    (None: read here, if there is a file), written atomically."""
    if old is None:
        old = read_tried_file(path) if path.is_file() else tried_grasps([])
    merged = tried_grasps(
        [(g, int(s), r, src) for g, s, r, src in zip(old.grasps, old.success, old.reasons, old.sources)] + rows
    )
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(format_tried_lines(merged))
    os.replace(tmp, path)
    return merged


def scene_rng(seed: int, scene_id: str) -> np.random.Generator:
    """The sampling generator of one scene, from the run seed and the scene id only."""
    return np.random.default_rng([seed, zlib.crc32(scene_id.encode())])


class SceneTryout:
    """One worker's network and simulator (one per process)."""

    def __init__(self, checkpoint: str, depth: str | None) -> None:
        from simgrasp.data.sgt import SGTRunner  # the simulator and torch only where they run
        from simgrasp.model.contract import load_network

        self.detector = load_network(checkpoint)
        self.depth = depth
        if self.detector.needs_depth and depth is None:
            raise ValueError(f"{checkpoint}: the network reads depth; pass the depth file kind (perfect or stereo)")
        self.runner = SGTRunner()

    def close(self) -> None:
        self.runner.close()

    def run(self, prefix: Path, cfg: TryoutConfig, seed: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        scene = prefix.name
        kinds = {"rgb": "rgb", "record": "scene", "tried": "candidates", "depth": f"{self.depth}_depth"}
        paths = {k: prefix.with_name(prefix.name + SUFFIXES[kind]) for k, kind in kinds.items() if kind in SUFFIXES}
        row: dict[str, Any] = {"scene_id": scene, "prefix": str(prefix), "tried": 0, "sources": {}, "outcomes": {}}
        if not paths["record"].is_file():
            return {**row, "skipped": "no scene record", "seconds": time.perf_counter() - t0}
        before = read_tried_file(paths["tried"]) if paths["tried"].is_file() else tried_grasps([])
        if has_rows_of(before, cfg.tag):
            return {**row, "skipped": "already tried", "seconds": time.perf_counter() - t0}
        rgb = read_rgb(paths["rgb"])
        depth = [read_depth(paths["depth"])] if self.detector.needs_depth else None
        pred = self.detector.predict([rgb], depth)[0]
        size = (rgb.shape[1], rgb.shape[0])
        obs = self.runner.observation(paths["record"])  # the camera and depth the trials map grasps with
        jaws = cfg.jaws()

        def executable(order: np.ndarray, keep: int | None) -> np.ndarray:
            return executable_grasps(order, pred.grasps, obs.camera, obs.depth, cfg.max_opening_m, jaws, keep)[0]

        rows: list[tuple[np.ndarray, int, str, str]] = []
        # The paper's network: by the scorer, then by the primary score; a network with one
        # score ranks both ways by it (the second way then adds nothing: no index twice).
        kinds = self.detector.score_kinds
        orders = pred.ranked(kinds[0], size), pred.ranked(kinds[-1], size)
        for j, source in choose(*orders, cfg, scene_rng(seed, scene), executable):
            g = as_tried(pred.grasps[j])[0]  # what is tried is what is stored
            outcome = self.runner.trial(paths["record"], g)
            rows.append((g, label_of(outcome), outcome.reason, source))
        append_rows(paths["tried"], rows, before)
        return {
            **row, "tried": len(rows), "sources": dict(Counter(r[3] for r in rows)),
            "successes": {src: sum(r[1] == 1 for r in rows if r[3] == src) for src in sorted({r[3] for r in rows})},
            "outcomes": dict(Counter(r[2] for r in rows)), "seconds": time.perf_counter() - t0,
        }


_tryouts: ProcessCache[tuple[str, str | None, TryoutConfig, int], SceneTryout] = ProcessCache(
    lambda setup: SceneTryout(setup[0], setup[1]), key=lambda setup: setup[:2]
)
"""This process's network and simulator, for a setup's ``(checkpoint, depth)``."""


def tryout_task(setup: tuple[str, str | None, TryoutConfig, int], task: str) -> dict[str, Any]:
    """The picklable work unit: try the network's grasps on the scene at prefix ``task``
    with this process's network and simulator for ``setup = (checkpoint, depth, cfg, seed)``."""
    return _tryouts.get(setup).run(Path(task), setup[2], setup[3])


def close_tryout() -> None:
    """Close this process's network and simulator, if any."""
    _tryouts.close()


def _task_key(task: str) -> str:
    return task


def tryout_row_key(row: dict[str, Any]) -> str:
    """What names a row of ``tryout.jsonl``: the scene's prefix (a str)."""
    prefix = row["prefix"]
    if not isinstance(prefix, str):
        raise TypeError(f"expected a str prefix, got {prefix!r}")
    return prefix


TRYOUT: WorkUnit[tuple[str, str | None, TryoutConfig, int], str] = WorkUnit(tryout_task, _task_key, close_tryout)


def run_tryout(
    checkpoint: str | Path,
    data: list[str | Path],
    depth: str | None = None,
    cfg: TryoutConfig = TryoutConfig(),
    seed: int = 0,
    workers: int = 1,
    limit: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Try the network of ``checkpoint`` on every generated scene of the ``data`` folders
    (the first ``limit`` of each, if given) that has none of its rows yet; returns the
    summary: scenes and trials, and per source the success rate of this run's trials."""
    if not Path(checkpoint).is_file():
        raise FileNotFoundError(f"checkpoint not found: {checkpoint}")
    options = ExecutorOptions(workers, 1)
    try:
        check_executor("local", options)
    except ExecutorError as e:
        raise ValueError(str(e)) from None
    folders = [Path(d) for d in data]
    for d in folders:
        if not d.is_dir():
            raise FileNotFoundError(f"dataset folder not found: {d}")
    tasks: list[str] = []
    folder_of: dict[str, int] = {}
    for k, d in enumerate(folders):
        scenes = [s for s in find_scenes(d) if s.path("scene").is_file()][:limit]
        if not scenes:
            raise ValueError(f"{d}: expected generated scenes (with *_scene.json records), found none")
        for s in scenes:
            tasks.append(str(s.prefix.resolve()))
            folder_of[tasks[-1]] = k
    setup = (str(Path(checkpoint).resolve()), depth, cfg, seed)
    totals: Counter[str] = Counter()
    wins: Counter[str] = Counter()
    done = skipped = 0
    t0 = time.perf_counter()
    with ExitStack() as held:
        logs: list[RowLog] = []
        for d in folders:  # each dataset folder locked for the run, its log opened (a torn last line repaired)
            folder = held.enter_context(RunFolder(d, rows_file=LOG_NAME, key=tryout_row_key).lock())
            logs.append(held.enter_context(folder.log()))
        runner = open_executor("local", TRYOUT, options)
        held.callback(runner.close)
        for row in tqdm(runner.run(setup, tasks), total=len(tasks), disable=not progress, unit="scene"):
            logs[folder_of[row["prefix"]]].append(row)
            if row.get("skipped"):
                skipped += 1
                continue
            done += 1
            totals.update(row["sources"])
            wins.update(row["successes"])
    return {
        "checkpoint": str(checkpoint), "config": asdict(cfg), "seed": seed, "scenes": len(tasks),
        "scenes_tried": done, "scenes_skipped": skipped, "trials": sum(totals.values()),
        "success_by_source": {s: {"n": totals[s], "successes": wins[s], "rate": wins[s] / totals[s]} for s in sorted(totals)},
        "wall_seconds": time.perf_counter() - t0,
    }
