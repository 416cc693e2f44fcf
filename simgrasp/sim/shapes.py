"""Builders of the procedural object kinds: each draws one object from an injected
``np.random.Generator`` and returns its mesh in metres, centred on its bounding box.

Sizes follow the gripper, not a fixed fit range: the width a grasp spans across the part
meant to be held (``grip_m``: a box's middle side, a can's diameter, a ring's rim, a tool's
handle) is drawn over the 10 cm hand's range, 1-9 cm for kinds whose whole body can be
that wide, narrower for handles and rims; long sides reach ``LONG_M`` where the shape has
a narrower part to hold. Each mesh is watertight except the three assembled from
overlapping closed parts (``mug``, ``hammer``, ``spatula``, ``dumbbell``), listed in ``ASSEMBLED``.

Each builder also returns the object's exact convex decomposition (:mod:`simgrasp.sim.convex`),
so loading it needs no V-HACD."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import trimesh
from trimesh import creation

from simgrasp.registry import Registry
from simgrasp.sim.convex import angular_sectors, radial_cones
from simgrasp.sim.extrude import extrude, extrude_parts, min_width

GRIP_M = (0.01, 0.09)  # the range of grasp widths drawn over (the hand opens 0.10 m)
LONG_M = 0.15  # longest side: dropped up to 5 cm off centre, it stays within the ~0.26 m view
CUP_SECTIONS, CUP_WALL_PARTS = 40, 20  # a cup's facets around, and its wall's convex parts (2 facets each)
ASSEMBLED = ("mug", "hammer", "spatula", "dumbbell")  # meshes that are unions of closed parts, not one closed surface


@dataclass(frozen=True)
class Shape:
    """A generated object: ``mesh`` in metres, centred on its bounding box, and ``grip_m``,
    the width (m) across the part a grasp is meant to hold; ``parts``, its convex
    decomposition as point sets (n, 3) in the mesh's frame whose hulls' union is the mesh
    (empty: the mesh is convex, its hull is the one part)."""

    mesh: trimesh.Trimesh
    grip_m: float
    parts: tuple[np.ndarray, ...] = ()

    def convex_parts(self) -> list[np.ndarray]:
        """The decomposition, the whole mesh's vertices as the one part of a convex shape."""
        return list(self.parts) or [self.mesh.vertices]


Builder = Callable[[np.random.Generator], Shape]
BUILDERS: Registry[Builder] = Registry("procedural kind")


def uniform(r: np.random.Generator, lo: float, hi: float) -> float:
    return float(r.uniform(lo, hi))


def wide(r: np.random.Generator, lo: float = GRIP_M[0], hi: float = GRIP_M[1]) -> float:
    """A grip width (m) in [lo, hi], its density rising linearly: kinds held across their
    whole body lean wide to balance the narrow handles and rims of the others, so that the
    family as a whole asks for openings over 1-9 cm about evenly."""
    return lo + (hi - lo) * float(np.sqrt(r.uniform()))


def log_uniform(r: np.random.Generator, lo: float, hi: float) -> float:
    """Log-uniform in [lo, hi]: proportions (ratios) spread evenly on both sides of 1."""
    return float(np.exp(r.uniform(np.log(lo), np.log(hi))))


def centred(mesh: trimesh.Trimesh, grip_m: float, parts: list[np.ndarray] = ()) -> Shape:
    """The shape of ``mesh`` and its convex ``parts`` (same frame), moved together so the
    mesh's bounding box is centred on the origin."""
    mesh = mesh.copy()
    shift = -mesh.bounds.mean(axis=0)
    mesh.apply_translation(shift)
    return Shape(mesh, float(grip_m), tuple(np.asarray(p, float) + shift for p in parts))


def slab(outline: np.ndarray, r: np.random.Generator, grip_m: float, lo: float = 0.008, hi: float = 0.04) -> Shape:
    """``outline`` (m) extruded to a thickness drawn in [lo, hi], at most the grip width
    again so that flat shapes rest flat."""
    thickness = uniform(r, lo, max(lo, min(hi, 1.5 * grip_m)))
    return centred(extrude(outline, thickness), grip_m, extrude_parts(outline, thickness))


def fit_min_width(outline: np.ndarray, width_m: float) -> np.ndarray:
    """``outline`` scaled so its narrowest calliper width is ``width_m``, then squeezed
    along its longest direction if that exceeds ``LONG_M``."""
    w, ang = min_width(outline)
    p = outline * (width_m / w)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    p = p @ rot  # the narrow direction along x
    span = np.ptp(p[:, 1])
    if span > LONG_M:
        p[:, 1] *= LONG_M / span
    return p


# -- solids of revolution and boxes -----------------------------------------------------
@BUILDERS.register("box")
def box(r: np.random.Generator) -> Shape:
    """Cubes, bars and slabs: the middle side is the grip."""
    w = wide(r)
    length, height = min(LONG_M, w * log_uniform(r, 1.0, 4.0)), max(0.008, w * uniform(r, 0.25, 1.0))
    return centred(creation.box((length, w, height)), w)


@BUILDERS.register("cylinder")
def cylinder(r: np.random.Generator) -> Shape:
    """Discs, pucks, cans and rods: the diameter is the grip, lying or standing."""
    d = wide(r)
    h = float(np.clip(d * log_uniform(r, 0.25, 5.0), 0.008, LONG_M))
    return centred(creation.cylinder(d / 2, h, sections=int(r.choice([24, 40]))), d)


@BUILDERS.register("capsule")
def capsule(r: np.random.Generator) -> Shape:
    """Pills and pens: round-ended rods, diameter 1-7 cm."""
    d = uniform(r, 0.01, 0.07)
    length = min(LONG_M, d * log_uniform(r, 1.5, 5.0))
    return centred(creation.capsule(height=length - d, radius=d / 2, count=[16, 16]), d)


def _ellipsoid(r: np.random.Generator, unit: trimesh.Trimesh, star: bool = False) -> Shape:
    """``unit`` (about 1 wide) stretched so its sorted sides are w, up to 2 w and w x 0.35-1.
    ``star``: ``unit`` is star-shaped from the origin but not convex, so it is decomposed
    into :func:`radial_cones` (a stretch keeps it star-shaped)."""
    w = wide(r, 0.015)
    ext = unit.extents
    target = np.array([min(LONG_M, w * uniform(r, 1.0, 2.0)), w, w * uniform(r, 0.35, 1.0)])
    mesh = unit.copy()
    mesh.apply_scale(target / ext)
    return centred(mesh, w, radial_cones(mesh, np.zeros(3)) if star else ())


@BUILDERS.register("ellipsoid")
def ellipsoid(r: np.random.Generator) -> Shape:
    """Eggs, pebbles and lentils."""
    return _ellipsoid(r, creation.icosphere(subdivisions=2))


@BUILDERS.register("blob")
def blob(r: np.random.Generator) -> Shape:
    """A sphere with smooth random lumps and dents (star-shaped from its centre, so the
    surface never folds), then stretched like an ellipsoid."""
    sphere = creation.icosphere(subdivisions=3)
    dirs = sphere.vertices / np.linalg.norm(sphere.vertices, axis=1, keepdims=True)
    radius = np.ones(len(dirs))
    for _ in range(int(r.integers(2, 6))):
        axis = r.normal(size=3)
        amplitude, frequency, phase = uniform(r, 0.04, 0.12), uniform(r, 1.5, 4.5), uniform(r, 0, 2 * np.pi)
        radius += amplitude * np.cos(frequency * dirs @ (axis / np.linalg.norm(axis)) + phase)
    lumpy = trimesh.Trimesh(dirs * radius[:, None], sphere.faces, process=False)
    return _ellipsoid(r, lumpy, star=True)


@BUILDERS.register("cup")
def cup(r: np.random.Generator) -> Shape:
    """An open cup: a revolved wall and base, hollow inside; the outer diameter is the grip."""
    mesh, d, wall = cup_mesh(r)
    return centred(mesh, d, cup_parts(mesh, d, wall))


def cup_parts(mesh: trimesh.Trimesh, d: float, wall: float) -> list[np.ndarray]:
    """A :func:`cup_mesh` cup's convex parts: its base (the vertices below the inner floor)
    and its wall in ``CUP_WALL_PARTS`` sectors."""
    floor = float(mesh.vertices[np.hypot(mesh.vertices[:, 0], mesh.vertices[:, 1]) < 1e-9, 2].max())  # the inner one
    wall_parts = angular_sectors(mesh, CUP_SECTIONS // CUP_WALL_PARTS, min_radius=d / 2 - wall - 1e-9)
    return [mesh.vertices[mesh.vertices[:, 2] <= floor + 1e-9]] + wall_parts


def cup_mesh(r: np.random.Generator) -> tuple[trimesh.Trimesh, float, float]:
    """(cup on z = 0 around the z axis, outer diameter, wall thickness), metres."""
    d = wide(r, 0.03)
    h, wall, base = uniform(r, 0.03, 0.12), uniform(r, 0.003, 0.006), uniform(r, 0.004, 0.01)
    ro = d / 2
    profile = np.array([[0, 0], [ro, 0], [ro, h], [ro - wall, h], [ro - wall, base], [0, base]])
    return creation.revolve(profile, sections=CUP_SECTIONS), d, wall


@BUILDERS.register("bottle")
def bottle(r: np.random.Generator) -> Shape:
    """Bottles: a revolved body, a sloping shoulder and a narrow neck (0.3-0.55 of the body);
    the body diameter is the grip. Two convex parts: body with shoulder, and neck."""
    d = wide(r, 0.03)
    ro, neck_r = d / 2, d / 2 * uniform(r, 0.3, 0.55)
    shoulder, neck = ro * uniform(r, 0.3, 1.0), uniform(r, 0.015, 0.04)
    body = float(np.clip(d * uniform(r, 0.8, 2.5), 0.02, LONG_M - shoulder - neck))
    top = body + shoulder
    profile = np.array([[0, 0], [ro, 0], [ro, body], [neck_r, top], [neck_r, top + neck], [0, top + neck]])
    mesh = creation.revolve(profile, sections=40)
    z = mesh.vertices[:, 2]
    return centred(mesh, d, [mesh.vertices[z <= top + 1e-9], mesh.vertices[z >= top - 1e-9]])


@BUILDERS.register("plate")
def plate(r: np.random.Generator) -> Shape:
    """Thin plates (3-8 mm): rectangles and discs, 3-9 cm wide."""
    w, t = wide(r, 0.03), uniform(r, 0.003, 0.008)
    if r.integers(2):
        return centred(creation.cylinder(w / 2, t, sections=40), w)
    return centred(creation.box((min(LONG_M, w * uniform(r, 1.0, 2.0)), w, t)), w)


# -- holes ---------------------------------------------------------------------------------
def _rim(r: np.random.Generator) -> tuple[float, float]:
    """(rim width, outer diameter) in metres for rings and tori: the hole at least 2.4 cm
    across so a finger fits in it."""
    rim = uniform(r, 0.006, 0.035)
    return rim, uniform(r, 2 * rim + 0.024, LONG_M)


@BUILDERS.register("ring")
def ring(r: np.random.Generator) -> Shape:
    """Flat rings, washers and nuts (6 or 8 sides or round): the rim is the grip."""
    rim, outer = _rim(r)
    sections = int(r.choice([6, 8, 40]))
    mesh = creation.annulus(outer / 2 - rim, outer / 2, uniform(r, 0.008, 0.04), sections=sections)
    return centred(mesh, rim, angular_sectors(mesh, max(1, sections // 20)))


@BUILDERS.register("torus")
def torus(r: np.random.Generator) -> Shape:
    """Tori: the tube diameter is the grip."""
    tube, outer = _rim(r)
    mesh = creation.torus((outer - tube) / 2, tube / 2, major_sections=48, minor_sections=16)
    return centred(mesh, tube, angular_sectors(mesh, 2))
