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

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pybullet

from simgrasp.registry import Registry
from simgrasp.sim.appearance import draw_appearance
from simgrasp.sim.camera import view_half_m
from simgrasp.sim.config import SimConfig, split_scene_kind
from simgrasp.sim.library import LoadedObject, ObjectLibrary, body_aabb
from simgrasp.sim.objects import ObjectEntry
from simgrasp.sim.scene import PlacedObject, SceneSpec, draw_scene, random_quaternion
from simgrasp.sim.world import World

BOX_WALL_M = 0.01  # wall thickness of the pile's box
BOX_HEIGHT_M = 1.0  # wall height of the pile's box: above the stack the objects fall from
DROP_GAP_M = 0.02  # vertical gap between objects dropped into the box
VIEW_MARGIN_M = 0.004  # an object in view stays this far inside the image border


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
    name, n = split_scene_kind(text)
    if name not in SCENE_KINDS:
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


def load_for_clutter(world: World, library: ObjectLibrary, entry: ObjectEntry, cfg: SimConfig) -> LoadedObject:
    """Load ``entry`` away from the table at the library's scale, or smaller so its longest
    side is at most ``SceneConfig.clutter_longest_max_m`` (objects sized for the scene, as
    VGN sizes its object sets for its workspace). The longest side is measured the first
    time only (``library.longest_sides``): later scenes load the object once."""
    cap = cfg.scene.clutter_longest_max_m
    known = None if library.longest_sides is None else library.longest_sides.get(entry.path)
    if known is not None:  # measured before: loaded once, at the scale it ends at
        scale, longest = known
        return library.load(world, entry, [0, 0, 2.0], [0, 0, 0, 1], scale=None if longest <= cap else scale * cap / longest)
    obj = library.load(world, entry, [0, 0, 2.0], [0, 0, 0, 1])
    lo, hi = body_aabb(world, obj.body)
    longest = float(np.max(hi - lo))
    if library.longest_sides is not None:
        library.longest_sides[entry.path] = (obj.scale, longest)
    if longest <= cap:
        return obj
    world.client.removeBody(obj.body)
    return library.load(world, entry, [0, 0, 2.0], [0, 0, 0, 1], scale=obj.scale * cap / longest)



def _lift_onto(world: World, obj: LoadedObject, x: float, y: float, bottom_z: float) -> float:
    """Move ``obj`` (keeping its orientation) so its lowest point is at ``bottom_z`` above
    (x, y); returns the height of its top."""
    lo, hi = body_aabb(world, obj.body)
    base, q = world.pose(obj.body)
    pos = [x, y, base[2] - lo[2] + bottom_z]
    world.client.resetBasePositionAndOrientation(obj.body, pos, q.tolist())
    return float(bottom_z + hi[2] - lo[2])


def _finish(world: World, objects: list[LoadedObject], cfg: SimConfig, rng: np.random.Generator, steps: int,
            left_out: list[str] | None = None) -> SceneSpec:
    """Settle ``objects`` and describe them as a SceneSpec (the look drawn last, as for one
    object). An object other than the first that is then out of view (it toppled or rolled
    away) or still moving is taken out and named, with ``left_out``, in ``extra["left_out"]``; the first
    stays, and its scene fails the in-view check (the next draw is used)."""
    bodies = [o.body for o in objects]
    rested, more = world.settle(bodies)
    steps += more
    # An object other than the first still moving at the settling cap (rocking on another)
    # is taken out too, as one out of view.
    gone = [o for o in objects[1:] if not in_view(world, o.body, cfg) or not (rested or world.at_rest(o.body))]
    if gone:
        for o in gone:
            world.client.removeBody(o.body)
            objects.remove(o)
        rested, more = world.settle([o.body for o in objects])
        steps += more
    placed = []
    for o in objects:
        p, q = world.pose(o.body)
        placed.append(PlacedObject(o.entry, o.scale, tuple(map(float, p)), tuple(map(float, q))))  # type: ignore[arg-type]
    height, look = draw_appearance(world, objects[0].body, cfg, rng)
    first = placed[0]
    spec = SceneSpec(first.entry, first.scale, first.position, first.orientation, float(height), look,
                     bool(rested), int(steps), others=tuple(placed[1:]))
    spec.extra["left_out"] = [*(left_out or []), *(o.entry.name for o in gone)]
    return spec


def _box(world: World, half_m: float) -> list[int]:
    """Four static walls around the square of half side ``half_m`` centred at the origin."""
    c, t, h = world.client, BOX_WALL_M / 2, BOX_HEIGHT_M / 2
    walls = []
    for sx, sy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ext = [t, half_m + 2 * t, h] if sx else [half_m + 2 * t, t, h]
        col = c.createCollisionShape(pybullet.GEOM_BOX, halfExtents=ext)
        walls.append(c.createMultiBody(0, col, -1, [sx * (half_m + t), sy * (half_m + t), h]))
    return walls


def _lowest_camera_m(cfg: SimConfig) -> float:
    """The lowest height (m) the scene's camera can have once its look is drawn."""
    jitter = cfg.appearance.camera_height_jitter_m if cfg.appearance.mode != "fixed" else 0.0
    return cfg.camera.height_m - jitter


def in_view(world: World, body: int, cfg: SimConfig, margin_m: float = VIEW_MARGIN_M) -> bool:
    """True when ``body``'s world AABB lies on or above the table and ``margin_m`` inside
    what the camera sees at the AABB's top (at the lowest camera height the look can draw),
    its origin not below the table (AABBs of some files reach below it). Conservative: an
    object that passes shows wholly in the image."""
    lo, hi = body_aabb(world, body)
    hx, hy = view_half_m(cfg.camera, float(hi[2]), _lowest_camera_m(cfg))
    inside_x = max(abs(float(lo[0])), abs(float(hi[0]))) <= hx - margin_m
    inside_y = max(abs(float(lo[1])), abs(float(hi[1]))) <= hy - margin_m
    return bool(world.pose(body)[0][2] > -0.02 and inside_x and inside_y)


def _drop_into(world: World, obj: LoadedObject, half_m: float, bottom_z: float, rng: np.random.Generator) -> float:
    """Turn ``obj`` at random and put its lowest point at ``bottom_z`` above a point drawn
    in the square of half side ``half_m`` (less its own half size); returns its top (m)."""
    world.client.resetBasePositionAndOrientation(obj.body, [0, 0, 2.0], random_quaternion(rng).tolist())
    world.client.resetBaseVelocity(obj.body, [0, 0, 0], [0, 0, 0])
    lo, hi = body_aabb(world, obj.body)
    half = np.maximum(half_m - 0.5 * (hi - lo)[:2], 0.0)
    x, y = rng.uniform(-half, half)
    return _lift_onto(world, obj, float(x), float(y), bottom_z)


@SCENE_KINDS.register("pile")
def draw_pile(world: World, library: ObjectLibrary, entries: list[ObjectEntry], cfg: SimConfig,
              rng: np.random.Generator) -> SceneSpec:
    """``entries`` stacked at random poses above a box, dropped and settled together; the
    box is removed and the pile settles. An object that ends out of view is dropped again
    onto the middle of the pile (up to ``max_drops`` times); one of the others still out
    of view then is left out and named in ``extra["left_out"]`` (the first object never
    is: its scene fails the in-view check and the next draw is used)."""
    world.reset()
    s = cfg.scene
    walls = _box(world, s.pile_box_half_m)
    objects: list[LoadedObject] = []
    top = 0.0
    for entry in entries:
        obj = load_for_clutter(world, library, entry, cfg)
        top = _drop_into(world, obj, s.pile_box_half_m, top + DROP_GAP_M, rng)
        objects.append(obj)
    bodies = [o.body for o in objects]
    _, steps = world.settle(bodies)
    for w in walls:
        world.client.removeBody(w)
    _, more = world.settle(bodies)
    steps += more
    for _ in range(s.max_drops):
        out = [o for o in objects if not in_view(world, o.body, cfg)]
        if not out:
            break
        for o in out:
            top = max(float(body_aabb(world, b)[1][2]) for b in bodies)
            _drop_into(world, o, 0.5 * s.pile_box_half_m, top + DROP_GAP_M, rng)
        _, more = world.settle(bodies)
        steps += more
    return _finish(world, objects, cfg, rng, steps)


def _overlaps(box: np.ndarray, boxes: list[np.ndarray], gap_m: float) -> bool:
    """True when the footprint ``box`` (x0, y0, x1, y1) comes within ``gap_m`` of any of ``boxes``."""
    return any(box[0] < b[2] + gap_m and b[0] < box[2] + gap_m and box[1] < b[3] + gap_m and b[1] < box[3] + gap_m
               for b in boxes)


def _gap(xy: np.ndarray, size: np.ndarray, box: np.ndarray) -> float:
    """Distance (m) between the footprint of side ``size`` centred at ``xy`` and ``box``
    (x0, y0, x1, y1), 0 when they touch."""
    dx = max(box[0] - (xy[0] + size[0] / 2), (xy[0] - size[0] / 2) - box[2], 0.0)
    dy = max(box[1] - (xy[1] + size[1] / 2), (xy[1] - size[1] / 2) - box[3], 0.0)
    return float(np.hypot(dx, dy))


def _upright(world: World, longest_axis: int, yaw_rad: float) -> list[float]:
    """The quaternion that stands an object on end (its longest side, axis ``longest_axis``
    of its file's frame, turned to world z) and turns it by ``yaw_rad`` about z."""
    tilt = {0: [0.0, np.pi / 2, 0.0], 1: [np.pi / 2, 0.0, 0.0], 2: [0.0, 0.0, 0.0]}[longest_axis]
    c = world.client
    return list(c.multiplyTransforms([0, 0, 0], c.getQuaternionFromEuler([0, 0, yaw_rad]),
                                     [0, 0, 0], c.getQuaternionFromEuler(tilt))[1])


def _footprint(world: World, obj: LoadedObject, q: list[float]) -> np.ndarray:
    """Sides (x, y) in metres of ``obj``'s AABB when turned to quaternion ``q``."""
    world.client.resetBasePositionAndOrientation(obj.body, [0, 0, 2.0], q)
    lo, hi = body_aabb(world, obj.body)
    return (hi - lo)[:2]


def _free_place(world: World, obj: LoadedObject, turns: list[list[float]], boxes: list[np.ndarray], half_m: float,
                cfg: SimConfig, rng: np.random.Generator) -> tuple[float, float, list[float]] | None:
    """A place (x, y, quaternion) for ``obj`` whose footprint keeps ``packed_gap_m`` from
    ``boxes`` and lies in what the camera sees (at most ``half_m`` from the centre): of one
    position drawn per turn in ``turns``, the free one nearest the boxes (any when there
    are none); None when none is free."""
    best, best_gap = None, np.inf
    for q in turns:
        size = _footprint(world, obj, q)
        lo, hi = body_aabb(world, obj.body)
        seen = np.array(view_half_m(cfg.camera, float(hi[2] - lo[2]), _lowest_camera_m(cfg))) - VIEW_MARGIN_M
        half = np.maximum(np.minimum(half_m, seen) - 0.5 * size, 0.0)
        p = rng.uniform(-half, half)
        box = np.r_[p - size / 2, p + size / 2]
        if _overlaps(box, boxes, cfg.scene.packed_gap_m):
            continue
        gap = min((_gap(p, size, b) for b in boxes), default=0.0)
        if gap < best_gap:
            best, best_gap = (float(p[0]), float(p[1]), q), gap
            if not boxes:
                break
    return best


@SCENE_KINDS.register("packed")
def draw_packed(world: World, library: ObjectLibrary, entries: list[ObjectEntry], cfg: SimConfig,
                rng: np.random.Generator) -> SceneSpec:
    """``entries`` upright side by side without overlap: each is stood on end with
    ``packed_tries`` random turns about z, each at a position drawn in the square (shrunk
    to what the camera sees at its top); of the free ones, the one nearest the objects
    already standing is taken, so the scene packs tight. An object with no free place is
    left out and named in ``extra["left_out"]``."""
    world.reset()
    s = cfg.scene
    objects: list[LoadedObject] = []
    boxes: list[np.ndarray] = []
    left_out: list[str] = []
    axes: dict[int, int] = {}  # body -> the axis of its file's frame that stands vertical
    for entry in entries:
        obj = load_for_clutter(world, library, entry, cfg)
        lo, hi = body_aabb(world, obj.body)
        axis = axes[obj.body] = int(np.argmax(hi - lo))
        turns = [_upright(world, axis, rng.uniform(0, 2 * np.pi)) for _ in range(s.packed_tries)]
        place = _free_place(world, obj, turns, boxes, s.packed_half_m, cfg, rng)
        if place is None:
            left_out.append(entry.name)
            world.client.removeBody(obj.body)
            continue
        x, y, q = place
        size = _footprint(world, obj, q)
        _lift_onto(world, obj, x, y, 0.001)
        objects.append(obj)
        boxes.append(np.array([x - size[0] / 2, y - size[1] / 2, x + size[0] / 2, y + size[1] / 2]))
    if not objects or objects[0].entry is not entries[0]:
        raise ValueError(f"packed scene: {entries[0].name} found no place")  # the first always fits an empty table
    _, steps = world.settle([o.body for o in objects])
    for _ in range(s.max_drops):  # an object that toppled out of view stands again at a free place
        out = [o for o in objects[1:] if not in_view(world, o.body, cfg)]
        if not out:
            break
        for o in out:
            boxes = [np.r_[lo[:2], hi[:2]] for lo, hi in (body_aabb(world, b.body) for b in objects if b is not o)]
            turns = [_upright(world, axes[o.body], rng.uniform(0, 2 * np.pi)) for _ in range(s.packed_tries)]
            place = _free_place(world, o, turns, boxes, s.packed_half_m, cfg, rng)
            if place is not None:
                world.client.resetBasePositionAndOrientation(o.body, [0, 0, 2.0], place[2])
                world.client.resetBaseVelocity(o.body, [0, 0, 0], [0, 0, 0])
                _lift_onto(world, o, place[0], place[1], 0.001)
        _, more = world.settle([o.body for o in objects])
        steps += more
    return _finish(world, objects, cfg, rng, steps, left_out)
