"""SimBackend: the backend contract (simgrasp.backends.base) over a PyBullet world.

Object choice: ``reset(seed)`` shows ``objects[seed % len(objects)]`` (so seeds 0..N-1 visit
every object once); its pose and any domain randomisation are drawn from
``np.random.default_rng(seed)`` only. Object files are checked when the backend is built:
unusable ones are left out and reported by ``skipped_objects()``, and a spec with none
usable fails then. An object that still fails to load is skipped and the next one in
order is shown instead, which is deterministic too.

A scene is served only with its object at rest and wholly inside the image: an object that
rolls out of view is dropped again, from seeds derived from the trial's seed, up to
``SceneConfig.max_drops`` times, then :class:`SceneError` is raised (an infrastructure
error, counted for no policy).

Appearance: ``SimBackend(..., appearance="randomized")`` (or ``appearance={"mode": ...,
<AppearanceConfig fields>}``) draws colours, textures, light, camera height and depth
noise per scene (simgrasp.sim.appearance); the default ``fixed`` renders as always."""

from __future__ import annotations

from typing import Any

import numpy as np

from simgrasp.backends.base import (
    SIM_ERROR,
    Observation,
    Outcome,
    SkippedObject,
    check_reset_options,
    check_seed,
)
from simgrasp.config import override, to_dict
from simgrasp.geometry import PinholeCamera, WorldGrasp
from simgrasp.sim import HELD_OUT_OBJECTS
from simgrasp.sim.appearance import check_appearance
from simgrasp.sim.camera import Rendered
from simgrasp.sim.config import SimConfig
from simgrasp.sim.library import ObjectLibrary
from simgrasp.sim.objects import ObjectEntry
from simgrasp.sim.mesh import MeshError
from simgrasp.sim.scene import LiveScene, SceneSpec, build_scene, draw_scene, render_scene, restore_scene
from simgrasp.sim.trial import TrialRunner
from simgrasp.sim.world import World

DEFAULT_OBJECTS = HELD_OUT_OBJECTS


# Switches of configs written before AppearanceConfig; off in every record that can be rebuilt.
LEGACY_SWITCHES = {"camera": ("height_jitter_m", "randomize_light"), "scene": ("randomize_table_color",),
                   "library": ("randomize_color",)}


def without_legacy_switches(config: dict[str, Any]) -> dict[str, Any]:
    """A record's config dict without the retired randomisation switches (ValueError if one was on)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for section, keys in LEGACY_SWITCHES.items():
        for key in keys:
            if value := out.get(section, {}).pop(key, None):
                raise ValueError(f"record config has {section}.{key}={value!r} from a retired randomisation; expected off")
    return out


class SceneError(RuntimeError):
    """No scene could be served for a seed (the object never came to rest in view)."""


class SimBackend:
    """Simulated cell: one object on a table, a top-down camera, a parallel-plate hand.

    ``objects``: an object spec (see simgrasp.sim.objects); ``config``: a SimConfig;
    ``overrides``: nested dicts applied strictly to it (``camera={"width": 224}``);
    ``appearance`` may also be a mode name alone (``appearance="randomized"``)."""

    infrastructure_reason = SIM_ERROR
    reset_options = frozenset({"object_index"})  # force objects[object_index] instead of seed % len

    def __init__(self, objects: str = DEFAULT_OBJECTS, config: SimConfig | None = None, **overrides: Any) -> None:
        if isinstance(overrides.get("appearance"), str):
            overrides = {**overrides, "appearance": {"mode": overrides["appearance"]}}
        self.config = override(config or SimConfig(), overrides, "SimBackend") if overrides else (config or SimConfig())
        check_appearance(self.config.appearance)
        self.library = ObjectLibrary(objects, self.config.library)
        self.world: World | None = World(self.config.scene)
        try:
            self.library.check(self.world)
        except BaseException:
            self.close()
            raise
        self.scene: LiveScene | None = None
        self._frame: Rendered | None = None
        self._seed: int | None = None

    def skipped_objects(self) -> tuple[SkippedObject, ...]:
        """Every object file that could not be used so far, with the reason."""
        return tuple(self.library.skipped)

    @property
    def objects(self) -> list:
        return self.library.entries

    def _world(self) -> World:
        if self.world is None:
            raise RuntimeError("SimBackend is closed")
        return self.world

    # -- the contract ---------------------------------------------------------------------
    def reset(self, seed: int, options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        """A new scene from ``seed`` (int >= 0). ``options["object_index"]`` forces an object.
        Raises :class:`SceneError` when the object does not rest in view after every drop."""
        seed = check_seed(seed)
        options = check_reset_options(self, options)
        n = len(self.library)
        first = int(options.get("object_index", seed % n))
        for k in range(n):
            try:
                return self._drop_in_view(self.library.entries[(first + k) % n], seed)
            except MeshError:
                continue
        raise RuntimeError(f"no object of {self.library.spec!r} could be loaded; skipped: {self.skipped_objects()}")

    def _drop_in_view(self, entry: ObjectEntry, seed: int) -> tuple[Observation, dict[str, Any]]:
        """Drop ``entry`` until it rests inside the image; drop 0 draws from ``default_rng(seed)``,
        drop k from ``default_rng([seed, k])``, so the scene is a function of the seed."""
        world, why = self._world(), ""
        for k in range(self.config.scene.max_drops):
            rng = np.random.default_rng(seed if k == 0 else [seed, k])
            spec = draw_scene(world, self.library, entry, self.config, rng)
            spec.extra["seed"] = seed
            shown = self._show(spec)
            why = "" if spec.settled else "not at rest"
            why = why or self._out_of_view()
            if not why:
                return shown
        raise SceneError(f"{entry.name}: {why} after {self.config.scene.max_drops} drops of seed {seed}")

    def _out_of_view(self) -> str:
        """Why the current object is not wholly inside the image ("" when it is)."""
        mask = self.segmentation_mask()
        if not mask.any():
            return "out of view"
        if mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any():
            return "partly out of view"
        return ""

    def _show(self, spec: SceneSpec) -> tuple[Observation, dict[str, Any]]:
        world = self._world()
        self.scene = build_scene(world, self.library, spec, self.config)
        self._frame = render_scene(world, self.scene, self.config)
        info = {
            "object": spec.entry.name,
            "object_path": spec.entry.path,
            "scale": spec.scale,
            "seed": spec.extra.get("seed"),
            "settled": spec.settled,
        }
        return self.observation(), info

    def observation(self) -> Observation:
        """The current scene's observation (rendered at reset)."""
        if self._frame is None or self.scene is None:
            raise RuntimeError("call reset() first")
        return Observation(self._frame.rgb.copy(), self._frame.depth.copy(), self.scene.camera)

    def execute(self, grasp: WorldGrasp, lift_only: bool = False) -> Outcome:
        """Run the lift-move-place trial (or the lift only) from the settled scene. The
        settled state is restored first, so any number of grasps can be tried on one scene."""
        if self.scene is None:
            raise RuntimeError("call reset() before execute()")
        world = self._world()
        restore_scene(world, self.scene)
        runner = TrialRunner(world, self.scene.gripper, self.scene.obj.body, self.config.trial)
        return runner.run(grasp, lift_only=lift_only)

    def close(self) -> None:
        """Disconnect the simulator; safe to call twice."""
        if self.world is not None:
            self.world.close()
            self.world = None
        self.scene = None

    # -- extras for the dataset generator (not part of the contract) ------------------------
    def segmentation_mask(self) -> np.ndarray:
        """bool (H, W): pixels showing the object in the current scene."""
        if self._frame is None or self.scene is None:
            raise RuntimeError("call reset() first")
        return self._frame.segmentation == self.scene.obj.body

    def perfect_depth(self) -> np.ndarray:
        """float32 (H, W) metres: the rendered depth without sensor noise (equal to the
        observation's depth in the fixed appearance)."""
        if self._frame is None or self.scene is None:
            raise RuntimeError("call reset() first")
        return self._frame.perfect_depth.copy()

    def scene_record(self) -> dict[str, Any]:
        """A JSON-serialisable record from which :meth:`load_scene` rebuilds this exact scene."""
        if self.scene is None:
            raise RuntimeError("call reset() first")
        return {
            "scene": self.scene.spec.to_dict(),
            "seed": self.scene.spec.extra.get("seed"),
            "camera": self.scene.camera.to_dict(),
            "config": to_dict(self.config),
        }

    def load_scene(self, record: dict[str, Any]) -> tuple[Observation, dict[str, Any]]:
        """Rebuild the scene of a :meth:`scene_record` (the same simulation state, so a stored
        grasp executes as it did). The record's config is not applied: build the backend
        with it (``SimBackend.from_record``) when it may differ."""
        return self._show(SceneSpec.from_dict(record["scene"]))

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "SimBackend":
        """A backend configured as the one that wrote ``record``, showing its scene."""
        backend = cls(record["scene"]["entry"]["path"], **without_legacy_switches(record["config"]))
        backend.load_scene(record)
        return backend

    @property
    def camera(self) -> PinholeCamera:
        if self.scene is None:
            raise RuntimeError("call reset() first")
        return self.scene.camera

    def __enter__(self) -> "SimBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
