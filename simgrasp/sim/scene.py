"""Scenes: an object dropped on the table from a random pose, settled, then rebuilt from
its settled pose so that a scene drawn from a seed and a scene rebuilt from its record are
the same simulation, bit for bit.

World frame: z up, table top at z = 0, the camera above the origin (the image centre)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from simgrasp.geometry import PinholeCamera
from simgrasp.sim.camera import Rendered, make_camera, render
from simgrasp.sim.config import SimConfig
from simgrasp.sim.gripper import Gripper
from simgrasp.sim.library import LoadedObject, ObjectLibrary, body_aabb
from simgrasp.sim.objects import ObjectEntry
from simgrasp.sim.world import World


@dataclass
class SceneSpec:
    """Everything needed to rebuild a settled scene (JSON-serialisable via ``to_dict``).
    Positions in metres, quaternions (x, y, z, w) in the world frame."""

    entry: ObjectEntry
    scale: float
    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float]
    camera_height_m: float
    light_direction: tuple[float, float, float] | None = None
    table_rgba: tuple[float, float, float, float] | None = None
    object_rgba: tuple[float, float, float, float] | None = None
    settled: bool = True
    settle_steps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["entry"] = self.entry.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SceneSpec":
        d = dict(d)
        d["entry"] = ObjectEntry(**d["entry"])
        for k in ("position", "orientation", "light_direction", "table_rgba", "object_rgba"):
            if d.get(k) is not None:
                d[k] = tuple(float(x) for x in d[k])
        return cls(**d)


def random_quaternion(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation as (x, y, z, w)."""
    q = rng.normal(size=4)
    return q / np.linalg.norm(q)


def draw_scene(world: World, library: ObjectLibrary, entry: ObjectEntry, cfg: SimConfig, rng: np.random.Generator) -> SceneSpec:
    """Drop ``entry`` from a random pose near the image centre and let it come to rest.
    Every random draw comes from ``rng``. Raises MeshError for an unusable object."""
    world.reset()
    s, cam = cfg.scene, cfg.camera
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
    height = cam.height_m + (rng.uniform(-1, 1) * cam.height_jitter_m if cam.height_jitter_m > 0 else 0.0)
    light = None
    if cam.randomize_light:
        d = np.array([rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.5, 1.5)])
        light = tuple(float(x) for x in d / np.linalg.norm(d))
    table = tuple(float(x) for x in rng.uniform(0.2, 0.9, 3)) + (1.0,) if s.randomize_table_color else None
    color = tuple(float(x) for x in rng.uniform(0.05, 1.0, 3)) + (1.0,) if cfg.library.randomize_color else None
    return SceneSpec(
        entry, obj.scale, tuple(map(float, p)), tuple(map(float, q)), float(height),
        light, table, color, bool(rested), int(steps),
    )


@dataclass
class LiveScene:
    """A scene in a world: the object, the parked hand, the camera and the saved state
    every grasp starts from."""

    spec: SceneSpec
    obj: LoadedObject
    gripper: Gripper
    camera: PinholeCamera
    state_id: int


def build_scene(world: World, library: ObjectLibrary, spec: SceneSpec, cfg: SimConfig) -> LiveScene:
    """Empty ``world`` and set up ``spec``: the object at its settled pose, the hand parked,
    then save the state that :func:`restore_scene` returns to."""
    world.reset()
    if spec.table_rgba is not None:
        world.set_table_color(spec.table_rgba)
    obj = library.load(world, spec.entry, spec.position, spec.orientation, scale=spec.scale)
    if spec.object_rgba is not None:
        world.client.changeVisualShape(obj.body, -1, rgbaColor=list(spec.object_rgba))
    gripper = Gripper(world, cfg.gripper, cfg.library.cache_dir)
    camera = make_camera(cfg.camera, spec.camera_height_m)
    return LiveScene(spec, obj, gripper, camera, world.save())


def render_scene(world: World, scene: LiveScene, cfg: SimConfig) -> Rendered:
    """The camera's view of the scene (the hand is parked out of view)."""
    return render(world, scene.camera, cfg.camera, scene.spec.light_direction)


def restore_scene(world: World, scene: LiveScene) -> None:
    """Back to the settled scene, as saved by :func:`build_scene`."""
    world.restore(scene.state_id)
