"""Scene kinds: one object alone (``single``), a pile (``pile:N``) or a packed scene
(``packed:N``), as in VGN's benchmark.

- ``pile:N``: N objects dropped one after another at random poses into a square box
  (``SceneConfig.pile_box_half_m``) standing on the table; once all rest the box is
  removed and the pile settles.
- ``packed:N``: N objects placed upright (standing on end, the longest side of the file's
  frame vertical, a random turn about z) side by side inside ``SceneConfig.packed_half_m``, their footprints not overlapping
  (an object that finds no free place after ``packed_tries`` draws is left out), then
  settled.

The first object is the one the seed chose (``objects[seed % len]``), the others are
drawn from the library with the scene's generator. World frame: z up, table at z = 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pybullet

from simgrasp.registry import Registry
from simgrasp.sim.appearance import draw_appearance
from simgrasp.sim.config import SimConfig
from simgrasp.sim.library import LoadedObject, ObjectLibrary, body_aabb
from simgrasp.sim.objects import ObjectEntry
from simgrasp.sim.scene import PlacedObject, SceneSpec, draw_scene, random_quaternion
from simgrasp.sim.world import World

BOX_WALL_M = 0.01  # wall thickness of the pile's box
BOX_HEIGHT_M = 0.2  # wall height of the pile's box
DROP_GAP_M = 0.02  # vertical gap between objects dropped into the box


@dataclass(frozen=True)
class SceneKind:
    """A parsed scene kind: its ``name`` (single, pile, packed) and object count ``n``."""

    name: str
    n: int

    def __str__(self) -> str:
        return "single" if self.name == "single" else f"{self.name}:{self.n}"


Drawer = Callable[[World, ObjectLibrary, list[ObjectEntry], SimConfig, np.random.Generator], SceneSpec]
SCENE_KINDS: Registry[Drawer] = Registry("scene kind")


def parse_scene_kind(text: str) -> SceneKind:
    """``single``, ``pile:N`` or ``packed:N`` (N >= 1) as a SceneKind; ValueError otherwise."""
    m = re.fullmatch(r"([a-z]+)(?::(\d+))?", str(text).strip())
    if not m or m.group(1) not in SCENE_KINDS:
        raise ValueError(f"scene kind must be one of single, pile:N, packed:N (N >= 1), got {text!r}")
    name, n = m.group(1), int(m.group(2) or 1)
    if name == "single" and m.group(2) is not None or n < 1:
        raise ValueError(f"scene kind must be one of single, pile:N, packed:N (N >= 1), got {text!r}")
    return SceneKind(name, n)


def scene_entries(library: ObjectLibrary, first: int, kind: SceneKind, rng: np.random.Generator) -> list[ObjectEntry]:
    """The entries of a scene: ``entries[first]`` and ``kind.n - 1`` others drawn with
    ``rng`` (without repeats while the library has enough objects)."""
    n = len(library)
    rest = [i for i in range(n) if i != first]
    k = kind.n - 1
    picks = rng.choice(rest, size=k, replace=len(rest) < k).tolist() if k and rest else [first] * k
    return [library.entries[first]] + [library.entries[int(i)] for i in picks]


def draw_kind(world: World, library: ObjectLibrary, entries: list[ObjectEntry], kind: SceneKind, cfg: SimConfig,
              rng: np.random.Generator) -> SceneSpec:
    """A settled scene of ``kind`` with ``entries`` (see :func:`scene_entries`)."""
    spec = SCENE_KINDS.get(kind.name)(world, library, entries, cfg, rng)
    spec.kind = str(kind)
    return spec


@SCENE_KINDS.register("single")
def draw_single(world: World, library: ObjectLibrary, entries: list[ObjectEntry], cfg: SimConfig,
                rng: np.random.Generator) -> SceneSpec:
    """One object dropped near the image centre (simgrasp.sim.scene.draw_scene)."""
    return draw_scene(world, library, entries[0], cfg, rng)


def _lift_onto(world: World, obj: LoadedObject, x: float, y: float, bottom_z: float) -> float:
    """Move ``obj`` (keeping its orientation) so its lowest point is at ``bottom_z`` above
    (x, y); returns the height of its top."""
    lo, hi = body_aabb(world, obj.body)
    base, q = world.pose(obj.body)
    pos = [x, y, base[2] - lo[2] + bottom_z]
    world.client.resetBasePositionAndOrientation(obj.body, pos, q.tolist())
    return float(bottom_z + hi[2] - lo[2])


def _finish(world: World, objects: list[LoadedObject], cfg: SimConfig, rng: np.random.Generator, steps: int) -> SceneSpec:
    """Settle ``objects`` and describe them as a SceneSpec (the look drawn last, as for one object)."""
    rested, more = world.settle([o.body for o in objects])
    placed = []
    for o in objects:
        p, q = world.pose(o.body)
        placed.append(PlacedObject(o.entry, o.scale, tuple(map(float, p)), tuple(map(float, q))))  # type: ignore[arg-type]
    height, look = draw_appearance(world, objects[0].body, cfg, rng)
    first = placed[0]
    return SceneSpec(first.entry, first.scale, first.position, first.orientation, float(height), look,
                     bool(rested), int(steps + more), others=tuple(placed[1:]))


def _box(world: World, half_m: float) -> list[int]:
    """Four static walls around the square of half side ``half_m`` centred at the origin."""
    c, t, h = world.client, BOX_WALL_M / 2, BOX_HEIGHT_M / 2
    walls = []
    for sx, sy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ext = [t, half_m + 2 * t, h] if sx else [half_m + 2 * t, t, h]
        col = c.createCollisionShape(pybullet.GEOM_BOX, halfExtents=ext)
        walls.append(c.createMultiBody(0, col, -1, [sx * (half_m + t), sy * (half_m + t), h]))
    return walls


@SCENE_KINDS.register("pile")
def draw_pile(world: World, library: ObjectLibrary, entries: list[ObjectEntry], cfg: SimConfig,
              rng: np.random.Generator) -> SceneSpec:
    """``entries`` dropped one after another at random poses into a box, then the box removed."""
    world.reset()
    s = cfg.scene
    walls = _box(world, s.pile_box_half_m)
    objects: list[LoadedObject] = []
    steps, top = 0, 0.0
    for entry in entries:
        obj = library.load(world, entry, [0, 0, 2.0], random_quaternion(rng))
        lo, hi = body_aabb(world, obj.body)
        half = np.maximum(s.pile_box_half_m - 0.5 * (hi - lo)[:2], 0.0)
        x, y = rng.uniform(-half, half)
        top = _lift_onto(world, obj, float(x), float(y), top + DROP_GAP_M)
        objects.append(obj)
        _, k = world.settle([o.body for o in objects])
        steps += k
        top = max(float(body_aabb(world, o.body)[1][2]) for o in objects)
    for w in walls:
        world.client.removeBody(w)
    return _finish(world, objects, cfg, rng, steps)


def _overlaps(box: np.ndarray, boxes: list[np.ndarray], gap_m: float) -> bool:
    """True when the footprint ``box`` (x0, y0, x1, y1) comes within ``gap_m`` of any of ``boxes``."""
    return any(box[0] < b[2] + gap_m and b[0] < box[2] + gap_m and box[1] < b[3] + gap_m and b[1] < box[3] + gap_m
               for b in boxes)


def _upright(world: World, longest_axis: int, yaw_rad: float) -> list[float]:
    """The quaternion that stands an object on end (its longest side, axis ``longest_axis``
    of its file's frame, turned to world z) and turns it by ``yaw_rad`` about z."""
    tilt = {0: [0.0, np.pi / 2, 0.0], 1: [np.pi / 2, 0.0, 0.0], 2: [0.0, 0.0, 0.0]}[longest_axis]
    c = world.client
    return list(c.multiplyTransforms([0, 0, 0], c.getQuaternionFromEuler([0, 0, yaw_rad]),
                                     [0, 0, 0], c.getQuaternionFromEuler(tilt))[1])


@SCENE_KINDS.register("packed")
def draw_packed(world: World, library: ObjectLibrary, entries: list[ObjectEntry], cfg: SimConfig,
                rng: np.random.Generator) -> SceneSpec:
    """``entries`` upright side by side without overlap (left out when no place is free)."""
    world.reset()
    s = cfg.scene
    objects: list[LoadedObject] = []
    boxes: list[np.ndarray] = []
    for entry in entries:
        obj = library.load(world, entry, [0, 0, 2.0], [0, 0, 0, 1])
        lo, hi = body_aabb(world, obj.body)
        q = _upright(world, int(np.argmax(hi - lo)), rng.uniform(0, 2 * np.pi))
        world.client.resetBasePositionAndOrientation(obj.body, [0, 0, 2.0], q)
        lo, hi = body_aabb(world, obj.body)
        size = (hi - lo)[:2]
        half = np.maximum(s.packed_half_m - 0.5 * size, 0.0)
        for _ in range(s.packed_tries):
            x, y = rng.uniform(-half, half)
            box = np.array([x - size[0] / 2, y - size[1] / 2, x + size[0] / 2, y + size[1] / 2])
            if not _overlaps(box, boxes, s.packed_gap_m):
                _lift_onto(world, obj, float(x), float(y), 0.001)
                objects.append(obj)
                boxes.append(box)
                break
        else:
            world.client.removeBody(obj.body)
    if not objects:
        raise ValueError("packed scene: no object found a place")  # the first always fits an empty table
    return _finish(world, objects, cfg, rng, 0)
