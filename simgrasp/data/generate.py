"""The simulated dataset generator: Jacquard's pipeline on any object set.

For each (object, scene) pair: drop the object at a random pose (``SimBackend.reset``),
render it top-down (RGB, perfect depth, mask), propose grasp candidates from the
silhouette (:mod:`simgrasp.data.candidates`), try each in simulation (a lift-only
pre-check, then the full lift-move-place trial on the survivors: every stored grasp
passed the full protocol) and store the distinct successful ones in the Jacquard layout
with a record that rebuilds the scene exactly. Scenes without a successful grasp are
dropped, as Jacquard kept only objects with grasps, and counted in the summary.

Seeds: scene ``s`` of object ``o`` uses the seeds derived from ``(seed, o, s)`` alone,
so the output does not depend on the number of workers or on the order of work.
Stored jaw size ``h``: the gripper's plate size (``GripperConfig.jaw_m``) in pixels at
the table plane; stored opening ``w``: the width measured across the silhouette plus a
margin (antipodal candidates) or the random draw, in pixels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simgrasp.backends.base import SUCCESS
from simgrasp.config import to_dict
from simgrasp.data.candidates import CandidateConfig, antipodal_candidates, dedupe, random_candidates
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
    precheck: bool = True  # lift-only trial first; the full trial only for those that lift
    max_grasps: int = 15  # stop a scene once this many distinct successful grasps are kept
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


class SceneAnnotator:
    """Annotates scenes with one SimBackend (one per worker process)."""

    def __init__(self, objects: str, cfg: GenerateConfig) -> None:
        from simgrasp.sim.backend import SceneError, SimBackend  # the simulator only where it runs

        self._scene_error = SceneError

        self.cfg = cfg
        self.backend = SimBackend(objects, config=cfg.sim)

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
        mask = backend.segmentation_mask()
        if mask.sum() < cfg.min_mask_px:
            return {**row, "reason": "object_not_visible", "seconds": time.perf_counter() - t0}
        max_px, jaw_px = gripper_pixels(obs.camera, cfg.sim)
        c = cfg.candidates
        cands = np.concatenate(
            [
                antipodal_candidates(mask, rng, c.antipodal, max_px, jaw_px, c),
                random_candidates(mask, rng, c.random, max_px, jaw_px, c),
            ]
        )
        # Tried exactly as stored: 2 decimals (the grasps file) as float32 (what readers return).
        cands = np.round(cands[rng.permutation(len(cands))], 2).astype(np.float32).astype(np.float64)
        cands = dedupe(cands, c.dedupe_centre_px / 2, c.dedupe_angle_deg / 2)
        row["candidates"] = len(cands)
        kept: list[np.ndarray] = []
        outcomes: dict[str, int] = {}
        for g in cands:
            if len(kept) >= cfg.max_grasps:
                break
            if len(dedupe(np.vstack(kept + [g]), c.dedupe_centre_px, c.dedupe_angle_deg)) <= len(kept):
                continue  # a near copy of a grasp already kept
            wg = obs.camera.image_to_world(GraspRect.from_array(g), obs.depth)
            if cfg.precheck:
                row["lift_trials"] += 1
                pre = backend.execute(wg, lift_only=True)
                if not pre.success:
                    outcomes[pre.reason] = outcomes.get(pre.reason, 0) + 1
                    continue
            row["full_trials"] += 1
            res = backend.execute(wg)
            outcomes[res.reason] = outcomes.get(res.reason, 0) + 1
            if res.reason == SUCCESS:
                kept.append(g)
        row["outcomes"] = outcomes
        if not kept:
            return {**row, "reason": "no_successful_grasp", "seconds": time.perf_counter() - t0}
        grasps = np.vstack(kept)
        record = backend.scene_record()
        record.update(
            object_index=object_index, scene_index=scene_index, dataset_seed=seed, sim_seed=sim_seed,
            object_id=object_id, generator={k: v for k, v in to_dict(cfg).items() if k != "sim"},
        )
        # Grasps were tried with the observation's depth (noisy under a randomised look), as a
        # policy's are; the perfect depth file stays perfect and the observed one is the stereo file.
        perfect = backend.perfect_depth()
        stereo = obs.depth if not np.array_equal(obs.depth, perfect) else None
        if stereo is None and cfg.noisy_depth:
            stereo = noisy_depth(perfect, rng, cfg.stereo_sigma_m)
        write_scene(scene_prefix(out, object_id, scene_index), obs.rgb, perfect, mask, grasps, record, stereo)
        return {**row, "kept": True, "grasps": len(grasps), "reason": "", "seconds": time.perf_counter() - t0}
