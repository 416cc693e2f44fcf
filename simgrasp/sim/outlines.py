"""Procedural kinds drawn as flat outlines and extruded (polygons, stars, notched bars,
L/T/U/cross shapes, wrenches, frames), and objects assembled from parts (hammer, spatula,
mug, dumbbell).
Metres; see :mod:`simgrasp.sim.shapes` for the size rules and the registry."""

from __future__ import annotations

import numpy as np
import trimesh
from trimesh import creation

from simgrasp.sim.extrude import extrude, extrude_parts
from simgrasp.sim.shapes import (
    BUILDERS, LONG_M, Shape, centred, cup_mesh, cup_parts, fit_min_width, log_uniform, slab, uniform, wide,
)


def _circle(n: int, a0: float = 0.0) -> np.ndarray:
    a = a0 + np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([np.cos(a), np.sin(a)], 1)


@BUILDERS.register("prism")
def prism(r: np.random.Generator) -> Shape:
    """Extruded convex polygons, 3 to 8 sides, up to 2:1: the narrowest width is the grip."""
    n = int(r.integers(3, 9))
    ang = np.sort(r.uniform(0, 2 * np.pi, n)) if n > 4 else np.linspace(0, 2 * np.pi, n, endpoint=False)
    pts = np.stack([uniform(r, 1.0, 2.0) * np.cos(ang), np.sin(ang)], 1)  # points on an ellipse: convex
    w = wide(r)
    return slab(fit_min_width(pts, w), r, w, hi=0.06)


@BUILDERS.register("star")
def star(r: np.random.Generator) -> Shape:
    """Stars of 4 to 8 points: concave; the whole star, 3-9 cm across, is the grip."""
    n = int(r.integers(4, 9))
    radius = np.where(np.arange(2 * n) % 2 == 0, 1.0, uniform(r, 0.35, 0.7))
    w = wide(r, 0.03)
    return slab(fit_min_width(_circle(2 * n) * radius[:, None], w), r, w)


@BUILDERS.register("notched")
def notched(r: np.random.Generator) -> Shape:
    """Bars with 1 to 3 rectangular notches cut into their long edges: the full width is
    the grip, the notches make the silhouette concave."""
    w = wide(r, 0.02)
    length = float(np.clip(w * log_uniform(r, 1.2, 3.0), 0.04, LONG_M))
    k = int(r.integers(1, 4))
    edges: dict[int, list[list[float]]] = {-1: [], 1: []}
    cell = length / (2 * k + 1)
    for j in range(k):  # notch j fills the odd cell 2j + 1, on a random side
        x0, x1, side = -length / 2 + (2 * j + 1) * cell, -length / 2 + (2 * j + 2) * cell, int(r.choice([-1, 1]))
        depth = w * uniform(r, 0.2, 0.45)
        y, yin = side * w / 2, side * (w / 2 - depth)
        edges[side] += [[x0, y], [x0, yin], [x1, yin], [x1, y]]
    bottom = [[-length / 2, -w / 2]] + edges[-1] + [[length / 2, -w / 2]]
    top = [[length / 2, w / 2]] + edges[1][::-1] + [[-length / 2, w / 2]]
    return slab(np.array(bottom + top), r, w)


def _arm(r: np.random.Generator) -> float:
    """Width of an arm of the L/T/U/cross shapes and of their grip: 1-6 cm."""
    return uniform(r, 0.01, 0.06)


@BUILDERS.register("l_shape")
def l_shape(r: np.random.Generator) -> Shape:
    """L shapes: two arms at a right angle; the arm width is the grip."""
    a = _arm(r)
    l1, l2 = uniform(r, a + 0.02, LONG_M * 0.8), uniform(r, a + 0.02, 0.12)
    return slab(np.array([[0, 0], [l1, 0], [l1, a], [a, a], [a, l2], [0, l2]]), r, a)


@BUILDERS.register("t_shape")
def t_shape(r: np.random.Generator) -> Shape:
    """T shapes: a bar on a stem of its own width (0.6-1.4 x); the narrower arm is the grip."""
    a = _arm(r)
    s = float(np.clip(a * uniform(r, 0.6, 1.4), 0.01, 0.06))
    bar, stem = uniform(r, max(2 * a, s + 0.03), 0.15), uniform(r, 0.02, 0.12)
    pts = [[-s / 2, -stem], [s / 2, -stem], [s / 2, 0], [bar / 2, 0],
           [bar / 2, a], [-bar / 2, a], [-bar / 2, 0], [-s / 2, 0]]
    return slab(np.array(pts), r, min(a, s))


@BUILDERS.register("u_shape")
def u_shape(r: np.random.Generator) -> Shape:
    """U shapes (staples, brackets): two arms on a base, a gap of at least 2 cm between them."""
    a = _arm(r)
    width, height = uniform(r, 2 * a + 0.02, max(2 * a + 0.03, 0.15)), uniform(r, a + 0.02, 0.12)
    pts = [[0, 0], [width, 0], [width, height], [width - a, height], [width - a, a], [a, a], [a, height], [0, height]]
    return slab(np.array(pts), r, a)


@BUILDERS.register("cross")
def cross(r: np.random.Generator) -> Shape:
    """Plus signs with four arms of one width and their own lengths; the arm width is the grip."""
    a = _arm(r)
    e, n, w, s = (uniform(r, a / 2 + 0.01, LONG_M / 2 - 0.005) for _ in range(4))
    h = a / 2
    pts = [[h, -h], [e, -h], [e, h], [h, h], [h, n], [-h, n], [-h, h], [-w, h], [-w, -h], [-h, -h], [-h, -s], [h, -s]]
    return slab(np.array(pts), r, a)


@BUILDERS.register("frame")
def frame(r: np.random.Generator) -> Shape:
    """Rectangular frames, up to 3:1, around a rectangular hole at least 2.4 cm across; each
    pair of opposite bars has its own width (0.6-3 cm), the narrower is the grip. Four
    mitred bars are its convex parts."""
    bars = np.array([uniform(r, 0.006, 0.03), uniform(r, 0.006, 0.03)])  # along x (the ends), along y (the sides)
    short = uniform(r, 2 * bars.max() + 0.024, 0.12)
    size = np.array([min(LONG_M, max(short, 2 * bars[0] + 0.024) * log_uniform(r, 1.0, 3.0)), short])
    outer = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * size / 2
    inner = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * (size / 2 - bars)
    faces = np.array([f for k in range(4) for f in ([k, (k + 1) % 4, 4 + (k + 1) % 4], [k, 4 + (k + 1) % 4, 4 + k])])
    thickness = uniform(r, 0.008, max(0.008, min(0.04, 1.5 * bars.min())))
    mesh = trimesh.creation.extrude_triangulation(np.vstack([outer, inner]), faces, thickness)
    bar_parts = []
    for k in range(4):
        quad = np.array([outer[k], outer[(k + 1) % 4], inner[(k + 1) % 4], inner[k]])
        bar_parts.append(np.vstack([np.c_[quad, np.zeros(4)], np.c_[quad, np.full(4, thickness)]]))
    return centred(mesh, bars.min(), bar_parts)


def _jaw_head(centre: float, radius: float, half_handle: float, half_jaw: float, depth: float, sign: int) -> list:
    """Outline points of an open-ended wrench head: a circle of ``radius`` at x = ``centre``
    with a slot of half-width ``half_jaw`` cut ``depth`` deep, facing ``sign`` (+1: +x),
    from where the handle's lower edge meets it to where its upper edge does."""
    beta, gamma = np.arcsin(half_handle / radius), np.arcsin(half_jaw / radius)
    pts = []
    lower = np.linspace(-(np.pi - beta), -gamma, 10)
    upper = np.linspace(gamma, np.pi - beta, 10)
    for arc, slot_y in ((lower, -half_jaw), (upper, half_jaw)):
        pts += [[centre + sign * radius * np.cos(t), radius * np.sin(t)] for t in arc]
        if slot_y < 0:  # the slot, between the two arcs
            mouth = centre + sign * radius * np.cos(gamma)
            pts += [[mouth - sign * depth, -half_jaw], [mouth - sign * depth, half_jaw]]
    return pts if sign > 0 else [[x, -y] for x, y in pts]


@BUILDERS.register("wrench")
def wrench(r: np.random.Generator) -> Shape:
    """Flat open-ended wrenches: a bar with a slotted round head at each end; the bar's
    width (1-3 cm) is the grip."""
    hw = uniform(r, 0.005, 0.015)
    length = uniform(r, 0.07, 0.10)
    pts = []
    for sign in (1, -1):  # right head (counter-clockwise from the lower edge), then the left one
        rh = uniform(r, max(1.6 * hw, 0.012), 0.025)
        half_jaw = rh * uniform(r, 0.35, 0.6)
        pts += _jaw_head(sign * length / 2, rh, hw, half_jaw, rh * uniform(r, 0.8, 1.3), sign)
    return slab(np.array(pts), r, 2 * hw, lo=0.005, hi=0.012)


# -- assembled from overlapping closed parts ------------------------------------------------
@BUILDERS.register("hammer")
def hammer(r: np.random.Generator) -> Shape:
    """A round handle with a box head across its end; the handle diameter is the grip."""
    d = uniform(r, 0.012, 0.035)
    side = uniform(r, d * 1.1, max(d * 1.1, 0.045))
    handle_len, head_len = uniform(r, 0.08, LONG_M - side), uniform(r, 0.05, 0.1)
    handle = creation.cylinder(d / 2, handle_len, sections=24)
    handle.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    head = creation.box((side, head_len, side))
    head.apply_translation([handle_len / 2 + side / 2 - 0.003, 0, 0])  # head overlaps the handle end
    return centred(trimesh.util.concatenate([handle, head]), d, [handle.vertices, head.vertices])


@BUILDERS.register("spatula")
def spatula(r: np.random.Generator) -> Shape:
    """A square-section handle and a thin blade resting on the table with it; the handle
    width (1-3 cm) is the grip."""
    hw, ht = uniform(r, 0.01, 0.03), uniform(r, 0.008, 0.02)
    handle_len, blade_len = uniform(r, 0.05, 0.09), uniform(r, 0.04, 0.07)
    blade_w, blade_t = uniform(r, 0.04, 0.09), uniform(r, 0.003, 0.006)
    handle = creation.box((handle_len, hw, ht))
    handle.apply_translation([-handle_len / 2 + 0.01, 0, ht / 2])
    blade = creation.box((blade_len, blade_w, blade_t))
    blade.apply_translation([blade_len / 2, 0, blade_t / 2])
    return centred(trimesh.util.concatenate([handle, blade]), hw, [handle.vertices, blade.vertices])


@BUILDERS.register("dumbbell")
def dumbbell(r: np.random.Generator) -> Shape:
    """A round bar (1-3 cm) between two heads, discs or balls 2.5-6 cm across and at least
    1.5 times the bar, that hold it off the table; the bar is the grip, 3-9 cm of it free
    between the heads."""
    d = uniform(r, 0.01, 0.03)
    head_d = uniform(r, max(1.5 * d, 0.025), 0.06)
    balls = bool(r.integers(2))
    head_len = head_d if balls else uniform(r, 0.015, 0.04)
    gap = min(uniform(r, 0.03, 0.09), LONG_M - 2 * head_len)
    along_x = trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0])
    bar = creation.cylinder(d / 2, gap + head_len, sections=24)
    bar.apply_transform(along_x)
    parts = [bar]
    for sign in (1, -1):
        head = creation.icosphere(subdivisions=2, radius=head_d / 2) if balls else creation.cylinder(
            head_d / 2, head_len, sections=32)
        if not balls:
            head.apply_transform(along_x)
        head.apply_translation([sign * (gap + head_len) / 2, 0, 0])
        parts.append(head)
    return centred(trimesh.util.concatenate(parts), d, [p.vertices for p in parts])


@BUILDERS.register("mug")
def mug(r: np.random.Generator) -> Shape:
    """A cup with a flat C-shaped handle on its side; the body diameter is the grip."""
    body, d, wall = cup_mesh(r)
    h = float(body.extents[2])
    reach, span = uniform(r, 0.015, 0.03), h * uniform(r, 0.5, 0.8)
    bar = min(uniform(r, 0.006, 0.012), span / 3, reach / 2)  # leaves a hole in the C
    thick = min(uniform(r, 0.008, 0.015), d / 2)
    c = [[0, 0], [reach, 0], [reach, span], [0, span],
         [0, span - bar], [reach - bar, span - bar], [reach - bar, bar], [0, bar]]
    handle = extrude(np.array(c), thick)  # in x-y, rising along z: turned upright below
    upright = trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0])
    upright[:3, 3] = [d / 2 - wall, thick / 2, (h - span) / 2]  # the open side sinks into the wall
    handle.apply_transform(upright)
    handle_parts = [trimesh.transform_points(p, upright) for p in extrude_parts(np.array(c), thick)]
    return centred(trimesh.util.concatenate([body, handle]), d, cup_parts(body, d, wall) + handle_parts)
