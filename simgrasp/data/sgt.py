"""SGT, the Jacquard paper's simulated grasp trial criterion: a predicted image grasp is
re-executed in the exact scene it was predicted for, rebuilt from the generator's record.

The grasp is an image grasp ``[x, y, theta_deg, w, h]`` in the scene image's pixels
(:mod:`simgrasp.geometry.rect` convention); it becomes a world grasp through the scene's
camera and rendered depth exactly as in generation, and runs the full lift-move-place
trial. Only scenes written by :mod:`simgrasp.data.generate` (with a ``*_scene.json``)
can be rebuilt; real Jacquard images have no simulator state.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

from simgrasp.backends.base import Outcome
from simgrasp.backends.capabilities import Recording, require
from simgrasp.data.jacquard import SUFFIXES, find_scenes
from simgrasp.geometry import GraspRect

SceneRef = str | Path | dict[str, Any]


def load_record(scene: SceneRef) -> dict[str, Any]:
    """The rebuild record of ``scene``: a record dict, a ``*_scene.json`` path, or a scene
    prefix such as ``OUT/<objid>/<i>_<objid>`` (any of its files works too)."""
    if isinstance(scene, dict):
        return scene
    p = Path(scene)
    if not p.name.endswith(SUFFIXES["scene"]):
        for suffix in SUFFIXES.values():
            if p.name.endswith(suffix):
                p = p.with_name(p.name[: -len(suffix)])
                break
        p = p.with_name(p.name + SUFFIXES["scene"])
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no scene record (only generated scenes can be rebuilt for SGT)")
    return json.loads(p.read_text())


class SGTRunner:
    """Re-executes grasps in rebuilt scenes, reusing one simulator while the records share
    a configuration. Close it (or use ``with``) to free the simulator."""

    def __init__(self) -> None:
        self._backend: Any = None  # a SimBackend offering Recording: it rebuilds scenes from their records
        self._config: Any = None
        self._shown: Any = None
        self._obs: Any = None

    def trial(self, scene: SceneRef, grasp: GraspRect | Sequence[float]) -> Outcome:
        """Rebuild ``scene`` (see :func:`load_record`) and run the full trial of ``grasp``."""
        obs = self.observation(scene)
        g = grasp if isinstance(grasp, GraspRect) else GraspRect.from_array(grasp)
        world = obs.camera.image_to_world(g, obs.depth)
        return self._backend.execute(world)

    def observation(self, scene: SceneRef) -> Any:
        """The observation of the rebuilt ``scene`` (camera, depth image as the grasps are
        mapped with), rebuilding it only when it is not the one shown."""
        from simgrasp.sim.backend import SimBackend  # the simulator only when a trial runs

        record = load_record(scene)
        if self._backend is None or self._config != record["config"]:
            self.close()
            self._backend = require(SimBackend.from_record(record), Recording, "SGT")
            self._config = record["config"]
            self._shown = record["scene"]
            self._obs = self._backend.observation()
        elif self._shown != record["scene"]:
            self._obs, _ = self._backend.load_scene(record)
            self._shown = record["scene"]
        return self._obs

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
        self._backend = self._config = self._shown = self._obs = None

    def __enter__(self) -> "SGTRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sgt_success(scene: SceneRef, grasp: GraspRect | Sequence[float], runner: SGTRunner | None = None) -> Outcome:
    """The :class:`Outcome` of ``grasp`` (image pixels and degrees) re-executed in the
    rebuilt ``scene``; ``outcome.success`` is the SGT criterion. Pass a ``runner`` to
    reuse one simulator over many calls."""
    if runner is not None:
        return runner.trial(scene, grasp)
    with SGTRunner() as r:
        return r.trial(scene, grasp)


def run_predictions(data: Path, predictions: Path, out: Path | None = None) -> int:
    """``python -m simgrasp.dataset sgt``: each JSONL row ``{"scene_id": "<i>_<objid>",
    "grasp": [x, y, theta_deg, w, h]}`` is tried in its rebuilt scene; outcomes go to
    ``out`` (JSONL, one row per prediction, written as it finishes) and the success rate
    is printed."""
    prefixes = {s.scene_id: s.prefix for s in find_scenes(Path(data))}
    rows = [json.loads(line) for line in Path(predictions).read_text().splitlines() if line.strip()]
    successes = 0
    sink = open(out, "w") if out is not None else None
    try:
        with SGTRunner() as runner:
            for k, row in enumerate(rows):
                if row.get("scene_id") not in prefixes:
                    raise ValueError(f"{predictions}:{k + 1}: unknown scene_id {row.get('scene_id')!r} in {data}")
                outcome = runner.trial(prefixes[row["scene_id"]], row["grasp"])
                successes += outcome.success
                if sink is not None:
                    sink.write(json.dumps({**row, "outcome": outcome.to_dict()}) + "\n")
                    sink.flush()
    finally:
        if sink is not None:
            sink.close()
    print(f"SGT success: {successes}/{len(rows)} = {successes / max(1, len(rows)):.3f}", file=sys.stdout)
    return 0
