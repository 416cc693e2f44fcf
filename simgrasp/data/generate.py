"""The simulated dataset generator: Jacquard's pipeline on any object set.

For each (object, scene) pair: drop the object at a random pose (``SimBackend.reset``),
render it top-down (RGB, perfect depth, mask), propose grasp candidates from the
silhouette (:mod:`simgrasp.data.candidates`: antipodal and random), try every one in
simulation (the full lift-move-place trial, optionally after a lift-only screen: every
stored success passed the full protocol), then try perturbations of the successes
(``jitter``, narrower and wider) the same way. The distinct successful grasps go to the
Jacquard grasps file, every tried grasp with its outcome to the ``_candidates.txt``
sidecar (:mod:`simgrasp.data.tried`), with a record that rebuilds the scene exactly.
Scenes without a successful grasp among the silhouette proposals are dropped (no jitter
is tried), as Jacquard kept only objects with grasps, and counted in the summary.

Seeds: scene ``s`` of object ``o`` uses the seeds derived from ``(seed, o, s)`` alone,
so the output does not depend on the number of workers or on the order of work.
Stored jaw size ``h``: the gripper's plate size (``GripperConfig.jaw_m``) in pixels at
the table plane; stored opening ``w``: the width measured across the silhouette plus a
margin (antipodal candidates) or the random draw, in pixels.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simgrasp.backends.base import SUCCESS, Outcome
from simgrasp.backends.capabilities import Recording, require
from simgrasp.config import to_dict
from simgrasp.data.candidates import JITTER, SILHOUETTE_SOURCES, CandidateConfig, dedupe, jitter_candidates
from simgrasp.data.tried import NOT_A_LABEL, tried_grasps
from simgrasp.data.writer import noisy_depth, object_id_for, scene_prefix, write_scene
from simgrasp.geometry import GraspRect, WorldGrasp
from simgrasp.sim.config import AppearanceConfig, SimConfig


@dataclass(frozen=True)
class GenerateConfig:
    """What the generator does per scene (override from TOML with ``--config``)."""

    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    sim: SimConfig = field(  # the simulated cell (camera, trial...), its looks randomised
        default_factory=lambda: SimConfig(appearance=AppearanceConfig(mode="randomized"))
    )
    # A lift-only trial first, the full trial only for those that lift. Off: the full trial
    # stops at the same stage from the same restored state, so the screen only repeats the lift
    # of the grasps that pass it (same outcomes, about 30 % slower on random_urdfs).
    precheck: bool = False
    max_grasps: int = 15  # distinct successful grasps kept in the grasps file (the sidecar keeps all)
    min_mask_px: int = 30  # scenes where the object shows fewer pixels are dropped
    noisy_depth: bool = False  # also write a stereo-like depth image (always written when the observation's is noisy)
    stereo_sigma_m: float = 0.002  # noise of that image at 1 m (grows with depth squared)


def scene_seeds(seed: int, object_index: int, scene_index: int) -> tuple[int, np.random.Generator]:
    """The simulator seed (uint32) and the candidate generator of one scene, both from
    ``(seed, object_index, scene_index)`` only."""
    ss = np.random.SeedSequence([seed, object_index, scene_index])
    sim_ss, cand_ss = ss.spawn(2)
    return int(sim_ss.generate_state(1, np.uint32)[0]), np.random.default_rng(cand_ss)


def gripper_pixels(camera: Any, cfg: SimConfig) -> tuple[float, float]:
    """(max opening, jaw size) of the gripper in pixels at the table plane."""
    g = camera.world_to_image(WorldGrasp(0.0, 0.0, 0.0, 0.0, cfg.gripper.max_opening_m, cfg.gripper.jaw_m))
    return float(g.w), float(g.h)


def as_tried(grasps: np.ndarray) -> np.ndarray:
    """Grasps exactly as the files store them (2 decimals) and readers return them
    (float32), so that what is tried is what is stored."""
    return np.round(np.asarray(grasps, np.float64).reshape(-1, 5), 2).astype(np.float32).astype(np.float64)


def _successes(tried: list[tuple[np.ndarray, int, str, str]]) -> np.ndarray:
    """(K, 5) the successful grasps of the sidecar rows, in the order they were tried."""
    return np.asarray([t[0] for t in tried if t[1] == 1], np.float64).reshape(-1, 5)


def label_of(outcome: Outcome) -> int:
    """The sidecar's success value: 1, 0, or NOT_A_LABEL when the simulator failed."""
    return NOT_A_LABEL if outcome.infrastructure_error else int(outcome.reason == SUCCESS)


class SceneAnnotator:
    """Annotates scenes with one SimBackend (one per worker process), through the capability
    it needs beyond the contract (:class:`~simgrasp.backends.capabilities.Recording`: the
    mask, the perfect depth, the scene record, the lift-only trial)."""

    def __init__(self, objects: str, cfg: GenerateConfig) -> None:
        from simgrasp.sim.backend import SceneError, SimBackend  # the simulator only where it runs

        self._scene_error = SceneError
        self.cfg = cfg
        self.backend = SimBackend(objects, config=cfg.sim)
        self.recorder: Recording = require(self.backend, Recording, "the dataset generator")

    def close(self) -> None:
        self.backend.close()

    def annotate(self, out: Path, seed: int, object_index: int, scene_index: int) -> dict[str, Any]:
        """Generate, try and (if any grasp succeeds) write one scene. Returns its log row."""
        t0 = time.perf_counter()
        cfg, backend = self.cfg, self.backend
        entry = backend.objects[object_index]
        object_id = object_id_for(object_index, entry.name)
        sim_seed, rng = scene_seeds(seed, object_index, scene_index)
        row: dict[str, Any] = {
            "object_index": object_index, "scene_index": scene_index, "object": entry.name,
            "object_id": object_id, "scene_id": f"{scene_index}_{object_id}", "kept": False,
            "grasps": 0, "candidates": 0, "lift_trials": 0, "full_trials": 0, "outcomes": {},
        }
        try:
            obs, info = backend.reset(sim_seed, {"object_index": object_index})
        except self._scene_error as e:  # the same rule as every trial: at rest, inside the view
            return {**row, "reason": f"object_out_of_view: {e}", "seconds": time.perf_counter() - t0}
        if info["object_path"] != entry.path:  # the backend skipped an unloadable object
            reason = {s.path: s.reason for s in backend.skipped_objects()}.get(entry.path, "unloadable")
            return {**row, "reason": f"object_unusable: {reason}", "seconds": time.perf_counter() - t0}
        mask = self.recorder.segmentation_mask()
        if mask.sum() < cfg.min_mask_px:
            return {**row, "reason": "object_not_visible", "seconds": time.perf_counter() - t0}
        max_px, jaw_px = gripper_pixels(obs.camera, cfg.sim)
        c = cfg.candidates
        tried: list[tuple[np.ndarray, int, str, str]] = []  # (grasp, success, reason, source)
        owed = 0  # proposals a source could not make, made up by the next one
        for source, propose in SILHOUETTE_SOURCES.items():
            n = getattr(c, source) + owed
            cands = as_tried(propose(mask, rng, n, max_px, jaw_px, c))
            owed = n - len(cands)
            tried += [self._try(obs, g, source, row) for g in cands]
        if any(t[1] == 1 for t in tried):
            jittered = as_tried(jitter_candidates(_successes(tried), rng, c.jitter, max_px, c))
            tried += [self._try(obs, g, JITTER, row) for g in jittered]
        successes = _successes(tried)
        row.update(
            candidates=len(tried), tried_success=len(successes), tried_by_source=dict(Counter(t[3] for t in tried)),
            outcomes=dict(Counter(t[2] for t in tried)),
        )
        if not len(successes):
            return {**row, "reason": "no_successful_grasp", "seconds": time.perf_counter() - t0}
        grasps = dedupe(successes, c.dedupe_centre_px, c.dedupe_angle_deg, limit=cfg.max_grasps)
        record = self.recorder.scene_record()
        record.update(
            object_index=object_index, scene_index=scene_index, dataset_seed=seed, sim_seed=sim_seed,
            object_id=object_id, generator={k: v for k, v in to_dict(cfg).items() if k != "sim"},
        )
        # Grasps were tried with the observation's depth (noisy under a randomised look), as a
        # policy's are; the perfect depth file stays perfect and the observed one is the stereo file.
        perfect = self.recorder.perfect_depth()
        stereo = obs.depth if not np.array_equal(obs.depth, perfect) else None
        if stereo is None and cfg.noisy_depth:
            stereo = noisy_depth(perfect, rng, cfg.stereo_sigma_m)
        prefix = scene_prefix(out, object_id, scene_index)
        write_scene(prefix, obs.rgb, perfect, mask, grasps, record, stereo, tried_grasps(tried))
        return {**row, "kept": True, "grasps": len(grasps), "reason": "", "seconds": time.perf_counter() - t0}

    def _try(self, obs: Any, g: np.ndarray, source: str, row: dict[str, Any]) -> tuple[np.ndarray, int, str, str]:
        """Try the image grasp ``g`` (pixels, degrees) in the scene: the lift-only screen
        (when enabled) then, if it lifted, the full trial. Counts the trials in ``row``;
        returns the sidecar row ``(g, success, reason, source)`` of the deciding outcome."""
        wg = obs.camera.image_to_world(GraspRect.from_array(g), obs.depth)
        if self.cfg.precheck:
            row["lift_trials"] += 1
            pre = self.recorder.execute(wg, lift_only=True)
            if not pre.success:
                return g, label_of(pre), pre.reason, source
        row["full_trials"] += 1
        res = self.backend.execute(wg)
        return g, label_of(res), res.reason, source
