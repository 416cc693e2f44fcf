"""Scenes: objects dropped on the table (one from a random pose, or a pile, or packed side
by side: simgrasp.sim.clutter), settled, then rebuilt from their settled poses so that a
scene drawn from a seed and a scene rebuilt from its record are the same simulation.

World frame: z up, table top at z = 0, the camera above the origin (the image centre)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from simgrasp.geometry import PinholeCamera
from simgrasp.sim.appearance import Appearance, apply_appearance, draw_appearance
from simgrasp.sim.camera import Rendered, make_camera, render
from simgrasp.sim.config import SimConfig
from simgrasp.sim.gripper import Gripper
from simgrasp.sim.library import LoadedObject, ObjectLibrary, body_aabb
from simgrasp.sim.objects import ObjectEntry
from simgrasp.sim.world import World


# Look fields of records written before AppearanceConfig; null in every fixed-look record.
LEGACY_LOOK_KEYS = ("light_direction", "table_rgba", "object_rgba")


@dataclass(frozen=True)
class PlacedObject:
    """One object of a scene at rest: its entry, the scale it was loaded at, its position
    (m) and quaternion (x, y, z, w) in the world frame."""

    entry: ObjectEntry
    scale: float
    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "entry": self.entry.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PlacedObject":
        return cls(ObjectEntry(**d["entry"]), float(d["scale"]), tuple(map(float, d["position"])),
                   tuple(map(float, d["orientation"])))  # type: ignore[arg-type]


@dataclass
class SceneSpec:
    """Everything needed to rebuild a settled scene (JSON-serialisable via ``to_dict``).
    Positions in metres, quaternions (x, y, z, w) in the world frame; ``appearance`` is
    the drawn look (None: the fixed look). The first object is ``entry`` at ``position``;
    a scene of several objects (``kind`` ``pile:N`` or ``packed:N``) lists the rest in
    ``others``."""

    entry: ObjectEntry
    scale: float
    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float]
    camera_height_m: float
    appearance: Appearance | None = None
    settled: bool = True
    settle_steps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    kind: str = "single"
    others: tuple[PlacedObject, ...] = ()

    def placed(self) -> list[PlacedObject]:
        """Every object of the scene, the first one first."""
        return [PlacedObject(self.entry, self.scale, self.position, self.orientation), *self.others]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["entry"] = self.entry.to_dict()
        d["appearance"] = None if self.appearance is None else self.appearance.to_dict()
        d["others"] = [o.to_dict() for o in self.others]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SceneSpec":
        d = dict(d)
        for k in LEGACY_LOOK_KEYS:
            if (v := d.pop(k, None)) is not None:
                raise ValueError(f"scene record has {k}={v!r} from a retired randomisation; expected null")
        d["entry"] = ObjectEntry(**d["entry"])
        for k in ("position", "orientation"):
            d[k] = tuple(float(x) for x in d[k])
        if d.get("appearance") is not None:
            d["appearance"] = Appearance.from_dict(d["appearance"])
        d["others"] = tuple(PlacedObject.from_dict(o) for o in d.get("others", ()))
        return cls(**d)


def random_quaternion(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation as (x, y, z, w)."""
    q = rng.normal(size=4)
    return q / np.linalg.norm(q)


def draw_scene(world: World, library: ObjectLibrary, entry: ObjectEntry, cfg: SimConfig, rng: np.random.Generator) -> SceneSpec:
    """Drop ``entry`` from a random pose near the image centre and let it come to rest.
    Every random draw comes from ``rng``. Raises MeshError for an unusable object."""
    world.reset()
    s = cfg.scene
    r = s.drop_radius_m * np.sqrt(rng.uniform())
    phi = rng.uniform(0, 2 * np.pi)
    q = random_quaternion(rng)
    obj = library.load(world, entry, [0, 0, 1.0], q)
    lo, _ = body_aabb(world, obj.body)
    base, q = world.pose(obj.body)  # pybullet's base frame is the centre of mass
    pos = np.array([r * np.cos(phi), r * np.sin(phi), base[2] - lo[2] + s.drop_clearance_m])
    world.client.resetBasePositionAndOrientation(obj.body, pos.tolist(), q.tolist())
    rested, steps = world.settle(obj.body)
    p, q = world.pose(obj.body)
    # The look is drawn after the drop, so the pose of a seed is the same in every mode.
    height, look = draw_appearance(world, obj.body, cfg, rng)
    return SceneSpec(
        entry, obj.scale, tuple(map(float, p)), tuple(map(float, q)), float(height), look, bool(rested), int(steps),
    )


@dataclass
class LiveScene:
    """A scene in a world: the objects (``objects[0]`` the first), the parked hand, the
    camera and the saved state every grasp starts from; ``skins`` maps each body drawn in
    an object's place to that object's body."""

    spec: SceneSpec
    objects: list[LoadedObject]
    gripper: Gripper
    camera: PinholeCamera
    state_id: int
    skins: dict[int, int] = field(default_factory=dict)

    @property
    def obj(self) -> LoadedObject:
        """The first object (the only one of a single-object scene)."""
        return self.objects[0]

    @property
    def skin(self) -> int | None:
        """The first object's skin, if it has one."""
        return next((k for k, v in self.skins.items() if v == self.obj.body), None)

    @property
    def bodies(self) -> list[int]:
        return [o.body for o in self.objects]

    @property
    def names(self) -> list[str]:
        return [o.entry.name for o in self.objects]


def build_scene(world: World, library: ObjectLibrary, spec: SceneSpec, cfg: SimConfig) -> LiveScene:
    """Empty ``world`` and set up ``spec``: the objects at their settled poses, the hand
    parked, then save the state that :func:`restore_scene` returns to."""
    world.reset()
    objects = [library.load(world, p.entry, p.position, p.orientation, scale=p.scale) for p in spec.placed()]
    gripper = Gripper(world, cfg.gripper, cfg.library.cache_dir)
    skins: dict[int, int] = {}
    if spec.appearance is not None:  # after the hand: the bodies that move keep their ids in every mode
        skins = apply_appearance(world, [o.body for o in objects], spec.appearance, cfg)
    camera = make_camera(cfg.camera, spec.camera_height_m)
    return LiveScene(spec, objects, gripper, camera, world.save(), skins)


def render_scene(world: World, scene: LiveScene, cfg: SimConfig) -> Rendered:
    """The camera's view of the scene (the hand is parked out of view): with a drawn look,
    its light and its noisy depth (the perfect one stays in ``perfect_depth``)."""
    look = scene.spec.appearance
    if look is None:
        return render(world, scene.camera, cfg.camera)
    frame = render(world, scene.camera, cfg.camera, look.light.render_kwargs())
    for skin, body in scene.skins.items():
        frame.segmentation[frame.segmentation == skin] = body
    return replace(frame, depth=look.depth_noise.apply(frame.perfect_depth))


def restore_scene(world: World, scene: LiveScene) -> None:
    """Back to the settled scene, as saved by :func:`build_scene`."""
    world.restore(scene.state_id)
