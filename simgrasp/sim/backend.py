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

Scene kind: ``SimBackend(..., scene="pile:5")`` (or ``scene={"kind": ..., <SceneConfig
fields>}``, or the reset option ``scene``) serves ``single`` (one object), ``pile:N`` or
``packed:N`` scenes (simgrasp.sim.clutter); every object must rest in view.

Appearance: ``SimBackend(..., appearance="randomized")`` (or ``appearance={"mode": ...,
<AppearanceConfig fields>}``) draws colours, textures, light, camera height and depth
noise per scene (simgrasp.sim.appearance); the default ``fixed`` renders as always.

Perturbation: ``SimBackend(..., perturb={"friction": [0.5, 1.5], ...})`` (a spec of
simgrasp.backends.perturb) runs every ``execute`` under draw 1 of its scene's seed;
``execute_perturbed(grasp, draw)`` runs any draw (the robust protocol runs the nominal one
and ``draws`` more on each scene). The scene and its image are never perturbed: the
plates' friction, the objects' masses and the jaw's force are changed for the one trial
and put back, and the hand goes where the drawn calibration and arm errors send it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from simgrasp.backends.base import (
    COLOR,
    DEPTH,
    INFO_SCENE,
    PINHOLE,
    SIM_ERROR,
    Observation,
    Outcome,
    SkippedObject,
    check_reset_options,
    check_seed,
)
from simgrasp.backends.perturb import Draw, PerturbSpec
from simgrasp.config import override, to_dict
from simgrasp.geometry import PinholeCamera, WorldGrasp
from simgrasp.sim import HELD_OUT_OBJECTS
from simgrasp.sim.appearance import check_appearance
from simgrasp.sim.camera import Rendered
from simgrasp.sim.clutter import SceneKind, draw_kind, parse_scene_kind, scene_entries
from simgrasp.sim.config import SimConfig
from simgrasp.sim.library import ObjectLibrary
from simgrasp.sim.mesh import MeshError
from simgrasp.sim.scene import LiveScene, SceneSpec, build_scene, render_scene, restore_scene
from simgrasp.sim.trial import TrialRunner
from simgrasp.sim.world import World

DEFAULT_OBJECTS = HELD_OUT_OBJECTS
SCENE_OBJECTS_KEY = 0x0B1EC7  # seed key of the draw of a scene's other objects


# Switches of configs written before AppearanceConfig; off in every record that can be rebuilt.
LEGACY_SWITCHES = {"camera": ("height_jitter_m", "randomize_light"), "scene": ("randomize_table_color",),
                   "library": ("randomize_color",)}


# Fields retired without a change of outcome: no grasp in view ever reached the old radius.
RETIRED_FIELDS = {"trial": ("workspace_radius_m",)}


def without_legacy_switches(config: dict[str, Any]) -> dict[str, Any]:
    """A record's config dict without the retired randomisation switches (ValueError if one
    was on) and without retired fields whose value changes nothing."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for section, keys in RETIRED_FIELDS.items():
        for key in keys:
            out.get(section, {}).pop(key, None)
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
    ``appearance`` may also be a mode name alone (``appearance="randomized"``); ``cached``:
    False draws every frame whole and keeps nothing between scenes (the reference the
    caches are tested against: the same observations and outcomes)."""

    infrastructure_reason = SIM_ERROR
    camera_streams = frozenset({COLOR, DEPTH, PINHOLE})  # every observation: colour, depth and its pinhole camera
    # object_index: force objects[object_index] instead of seed % len; scene: this reset's scene kind
    reset_options = frozenset({"object_index", "scene"})

    def __init__(self, objects: str = DEFAULT_OBJECTS, config: SimConfig | None = None, *, cached: bool = True,
                 perturb: dict[str, Any] | PerturbSpec | None = None, **overrides: Any) -> None:
        self.perturb = None if perturb is None else PerturbSpec.parse(perturb)  # before any simulator starts
        for key, field_name in (("appearance", "mode"), ("scene", "kind")):
            if isinstance(overrides.get(key), str):
                overrides = {**overrides, key: {field_name: overrides[key]}}
        self.config = override(config or SimConfig(), overrides, "SimBackend") if overrides else (config or SimConfig())
        check_appearance(self.config.appearance)
        self.kind = self._checked_kind(self.config.scene.kind)
        self.library = ObjectLibrary(objects, self.config.library, cached=cached)
        # The fixed look keeps the table as it is and casts no shadows: its pixels are drawn once
        # per camera (World's table backdrop), the same frames for less work.
        self.cached = bool(cached)
        self.world: World | None = World(self.config.scene, table_backdrop=self.cached and self.config.appearance.mode == "fixed")
        try:
            self.library.check(self.world)
        except BaseException:
            self.close()
            raise
        self.scene: LiveScene | None = None
        self._frame: Rendered | None = None
        self._seed: int | None = None
        self._last: Outcome | None = None  # the outcome of the last execute, for keep_going

    def _checked_kind(self, text: str) -> SceneKind:
        """The scene kind ``text``, refused (ValueError) when it asks for more objects than
        ``SceneConfig.clutter_max_objects``, the most a scene of the camera's view holds."""
        kind = parse_scene_kind(text)
        most = self.config.scene.clutter_max_objects
        if kind.n > most:
            raise ValueError(f"scene {text!r} asks for {kind.n} objects; a {kind.name} scene in this view holds at most "
                             f"{most} (scene.clutter_max_objects): use {kind.name}:{most} or fewer")
        return kind

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the rendered images, pixels."""
        return self.config.camera.height, self.config.camera.width

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
        """A new scene from ``seed`` (int >= 0). ``options["object_index"]`` forces the
        first object, ``options["scene"]`` the scene kind. Raises :class:`SceneError` when
        the objects do not rest in view after every drop."""
        seed = check_seed(seed)
        options = check_reset_options(self, options)
        kind = self._checked_kind(options["scene"]) if "scene" in options else self.kind
        n = len(self.library)
        first = int(options.get("object_index", seed % n))
        for k in range(n):
            try:
                return self._drop_in_view((first + k) % n, kind, seed)
            except MeshError:
                continue
        raise RuntimeError(f"no object of {self.library.spec!r} could be loaded; skipped: {self.skipped_objects()}")

    def _drop_in_view(self, first: int, kind: SceneKind, seed: int) -> tuple[Observation, dict[str, Any]]:
        """Draw a scene of ``kind`` until every object rests inside the image; drop 0 draws
        from ``default_rng(seed)``, drop k from ``default_rng([seed, k])``, so the scene is a
        function of the seed. The objects of a scene of several are drawn once, from
        ``default_rng([seed, SCENE_OBJECTS_KEY])``."""
        world, why = self._world(), ""
        entries = scene_entries(self.library, first, kind, np.random.default_rng([seed, SCENE_OBJECTS_KEY]))
        for k in range(self.config.scene.max_drops):
            rng = np.random.default_rng(seed if k == 0 else [seed, k])
            spec = draw_kind(world, self.library, entries, kind, self.config, rng)
            spec.extra.update(seed=seed, draw=k, asked=kind.n)
            shown = self._show(spec)
            why = "" if spec.settled else "not at rest"
            why = why or self._out_of_view()
            if not why:
                return shown
        what = entries[0].name if kind.name == "single" else f"{entries[0].name} ({kind})"
        raise SceneError(f"{what}: {why} after {self.config.scene.max_drops} drops of seed {seed}")

    def _out_of_view(self) -> str:
        """Why an object of the current scene is not wholly inside the image ("" when all are)."""
        assert self._frame is not None and self.scene is not None
        seg = self._frame.segmentation
        edge = np.concatenate([seg[0], seg[-1], seg[:, 0], seg[:, -1]])
        several = len(self.scene.objects) > 1
        for obj in self.scene.objects:
            who = f"{obj.entry.name} " if several else ""
            if not (seg == obj.body).any():
                return f"{who}out of view"
            if (edge == obj.body).any():
                return f"{who}partly out of view"
        return ""

    def _show(self, spec: SceneSpec) -> tuple[Observation, dict[str, Any]]:
        world = self._world()
        self.scene = build_scene(world, self.library, spec, self.config)
        self._last = None  # a new scene: nothing executed in it yet
        self._frame = render_scene(world, self.scene, self.config)
        info = {
            "object": spec.entry.name,
            "objects": list(self.scene.names),
            "scene": spec.kind,
            "object_path": spec.entry.path,
            "scale": spec.scale,
            "seed": spec.extra.get("seed"),
            "settled": spec.settled,
            INFO_SCENE: {"kind": spec.kind, "asked": int(spec.extra.get("asked", 1)), "objects": len(self.scene.names),
                         "left_out": list(spec.extra.get("left_out", [])), "draw": int(spec.extra.get("draw", 0))},
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
        draw = self.perturb.draw(int(self.scene.spec.extra.get("seed", 0)), 1) if self.perturb else Draw()
        return self._run(grasp, draw, lift_only)

    def execute_perturbed(self, grasp: WorldGrasp, draw: Draw) -> Outcome:
        """The capability :class:`~simgrasp.backends.capabilities.Perturbing`: the trial of
        ``grasp`` under ``draw`` (the nominal draw changes nothing), from the settled scene."""
        if self.scene is None:
            raise RuntimeError("call reset() before execute_perturbed()")
        return self._run(grasp, draw, False)

    def _run(self, grasp: WorldGrasp, draw: Draw, lift_only: bool) -> Outcome:
        assert self.scene is not None
        world = self._world()
        restore_scene(world, self.scene)
        if not self.scene.objects:
            raise RuntimeError("the scene is empty: every object was cleared")
        runner = TrialRunner(world, self.scene.gripper, self.scene.bodies, self.config.trial, self.scene.names)
        if draw.nominal:
            self._last = runner.run(grasp, lift_only=lift_only)
            return self._last
        undo = self._perturb_dynamics(draw)
        try:
            outcome = runner.run(draw.moved(grasp), lift_only=lift_only)
        finally:
            undo()
        outcome.perturbation = draw.to_dict()
        self._last = outcome
        return outcome

    def _perturb_dynamics(self, draw: Draw) -> Any:
        """Apply ``draw``'s factors to the plates' friction, the objects' masses (and inertia)
        and the jaw's force; returns what puts every value back as it was."""
        assert self.scene is not None
        c, hand = self._world().client, self.scene.gripper
        undo: list[Any] = []
        if draw.friction != 1.0:
            for link in hand.plate_links:
                mu = c.getDynamicsInfo(hand.id, link)[1]
                c.changeDynamics(hand.id, link, lateralFriction=mu * draw.friction)
                undo.append(lambda link=link, mu=mu: c.changeDynamics(hand.id, link, lateralFriction=mu))
        if draw.mass != 1.0:
            for body in self.scene.bodies:
                for link in range(-1, c.getNumJoints(body)):
                    info = c.getDynamicsInfo(body, link)
                    m, inertia = info[0], list(info[2])
                    if m <= 0:  # a static part weighs nothing, and stays so
                        continue
                    c.changeDynamics(body, link, mass=m * draw.mass, localInertiaDiagonal=[v * draw.mass for v in inertia])
                    undo.append(lambda b=body, link=link, m=m, i=inertia: c.changeDynamics(b, link, mass=m,
                                                                                            localInertiaDiagonal=i))
        if draw.jaw_force != 1.0:
            cfg = hand.cfg
            hand.cfg = replace(cfg, close_force_n=cfg.close_force_n * draw.jaw_force)
            undo.append(lambda: setattr(hand, "cfg", cfg))

        def put_back() -> None:
            for step in reversed(undo):
                step()

        return put_back

    def close(self) -> None:
        """Disconnect the simulator; safe to call twice."""
        if self.world is not None:
            self.world.close()
            self.world = None
        self.scene = None

    def keep_going(self) -> tuple[Observation, dict[str, Any]]:
        """The capability :class:`~simgrasp.backends.capabilities.Clearing`: continue a
        clearing episode from where the last :meth:`execute` left the world:
        the object a successful grasp took is put away (removed), as is any object no longer
        wholly in view (pushed or dropped off); the hand is parked, the rest settles, and that
        state is saved (every later execute starts from it) and rendered. ``info["objects"]``
        lists the objects left, ``info["removed"]`` those taken out of view."""
        if self.scene is None or self._last is None:
            raise RuntimeError("call reset() and execute() before keep_going()")
        world, scene = self._world(), self.scene
        taken = self._last.taken if self._last.success else ""
        scene.gripper.park()
        for obj in [o for o in scene.objects if o.entry.name == taken][:1]:
            self._remove(obj)
        if scene.bodies:
            world.settle(scene.bodies)
        self._frame = render_scene(world, scene, self.config)
        removed = []
        seg = self._frame.segmentation
        edge = np.concatenate([seg[0], seg[-1], seg[:, 0], seg[:, -1]])
        for obj in list(scene.objects):
            if not (seg == obj.body).any() or (edge == obj.body).any() or world.pose(obj.body)[0][2] < -0.02:
                removed.append(obj.entry.name)
                self._remove(obj)
        if removed:
            self._frame = render_scene(world, scene, self.config)
        scene.state_id = world.save()
        self._last = None
        info = {"object": scene.spec.entry.name, "objects": list(scene.names), "removed": removed, "taken": taken}
        return self.observation(), info

    def _remove(self, obj: Any) -> None:
        """Take ``obj`` (and its skin) out of the current scene."""
        assert self.scene is not None
        c = self._world().client
        for skin in [k for k, v in self.scene.skins.items() if v == obj.body]:
            c.removeBody(skin)
            del self.scene.skins[skin]
        c.removeBody(obj.body)
        self.scene.objects.remove(obj)

    def privileged(self) -> "SimPrivilegedAccess":
        """The door of privileged policies (the oracle) into this simulator; see
        :class:`~simgrasp.backends.base.PrivilegedAccess`. No other policy gets it."""
        return SimPrivilegedAccess(self)

    # -- the capability Recording (simgrasp.backends.capabilities): the dataset generator's ---
    def segmentation_mask(self) -> np.ndarray:
        """bool (H, W): pixels showing an object (any, in a scene of several) in the current scene."""
        return self.object_labels() > 0

    def object_labels(self) -> np.ndarray:
        """int32 (H, W): 0 on the table and the hand, i + 1 on pixels showing the scene's object i."""
        if self._frame is None or self.scene is None:
            raise RuntimeError("call reset() first")
        labels = np.zeros(self._frame.segmentation.shape, np.int32)
        for i, body in enumerate(self.scene.bodies):
            labels[self._frame.segmentation == body] = i + 1
        return labels

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
        paths = dict.fromkeys(p.entry.path for p in SceneSpec.from_dict(record["scene"]).placed())
        backend = cls(",".join(paths), **without_legacy_switches(record["config"]))
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


class SimPrivilegedAccess:
    """:class:`~simgrasp.backends.base.PrivilegedAccess` over a SimBackend: grasps are
    tried from the saved scene state, which every execute restores first."""

    def __init__(self, backend: SimBackend) -> None:
        self._backend = backend
        self.max_opening_m = backend.config.gripper.max_opening_m
        self.jaw_m = backend.config.gripper.jaw_m

    def try_grasp(self, grasp: WorldGrasp) -> Outcome:
        """The trial of ``grasp`` under nominal physics (the oracle reads the scene, not
        the errors a perturbed trial is run under)."""
        return self._backend.execute_perturbed(grasp, Draw())

    def segmentation_mask(self) -> np.ndarray:
        return self._backend.object_labels()
