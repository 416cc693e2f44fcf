"""Exact convex decompositions of the procedural shapes, built with them instead of
searched for afterwards (V-HACD takes seconds to minutes on rings and tori).

A part is an (n, 3) array of points (metres, the object's frame) whose convex hull is one
convex piece of the object; a decomposition is a list of parts whose hulls' union is the
object. :func:`parts_obj` writes them as the ``X.collision.obj`` sibling that
:mod:`simgrasp.sim.mesh` loads in place of V-HACD's output."""

from __future__ import annotations

import numpy as np
import trimesh


def angular_sectors(mesh: trimesh.Trimesh, per_part: int, min_radius: float = 0.0) -> list[np.ndarray]:
    """Parts of a body of revolution about the z axis (a ring, a torus, a cup's wall) built
    of identical sections: the vertices (at radius >= ``min_radius``) of ``per_part``
    consecutive sections each. Neighbouring parts share their boundary vertices, so the
    parts close up; each part's hull spans its sections' chords, which bulge into the hole
    by the sagitta of ``per_part`` sections only."""
    v = mesh.vertices[np.hypot(mesh.vertices[:, 0], mesh.vertices[:, 1]) >= min_radius]
    ang = np.arctan2(v[:, 1], v[:, 0])
    levels = np.unique(np.round(ang, 6))
    step = 2 * np.pi / len(levels)
    if not np.allclose(np.diff(levels), step, atol=1e-5):
        raise ValueError(f"angular_sectors needs evenly spaced sections, got angles {levels.tolist()}")
    if len(levels) % per_part:
        raise ValueError(f"{len(levels)} sections do not split into parts of {per_part}")
    slot = np.round((ang - levels[0]) / step).astype(int) % len(levels)  # section index of every vertex
    parts = []
    for first in range(0, len(levels), per_part):
        near = (slot - first) % len(levels) <= per_part  # sections first .. first + per_part
        parts.append(v[near])
    return parts


def radial_cones(mesh: trimesh.Trimesh, centre: np.ndarray, directions: int = 32) -> list[np.ndarray]:
    """Parts of a body star-shaped from ``centre`` (every ray from it leaves once): faces
    grouped by the nearest of ``directions`` spread directions, each group's vertices with
    ``centre`` making one part. Each face's cone from the centre lies in its part, so the
    parts cover the body; each overhangs it only by the dents inside one group."""
    k = np.arange(directions) + 0.5
    polar, azimuth = np.arccos(1 - 2 * k / directions), np.pi * (1 + 5**0.5) * k  # a Fibonacci sphere
    dirs = np.stack([np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)], 1)
    towards = mesh.triangles_center - centre
    group = np.argmax(towards @ dirs.T, axis=1)
    return [np.vstack([centre[None], mesh.vertices[np.unique(mesh.faces[group == g])]])
            for g in range(directions) if (group == g).any()]


def parts_obj(parts: list[np.ndarray]) -> str:
    """OBJ text of the parts' convex hulls, one ``o`` group each (pybullet's compound format)."""
    lines, offset = [], 1
    for k, points in enumerate(parts):
        hull = trimesh.convex.convex_hull(np.asarray(points, float))
        lines.append(f"o part{k}")
        lines += [f"v {x:.7f} {y:.7f} {z:.7f}" for x, y, z in hull.vertices]
        lines += [f"f {a + offset} {b + offset} {c + offset}" for a, b, c in hull.faces]
        offset += len(hull.vertices)
    return "\n".join(lines) + "\n"
