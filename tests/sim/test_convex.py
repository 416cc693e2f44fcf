"""Every procedural kind's convex decomposition: closed convex parts whose union is the
visual mesh (checked both ways on sampled points), and the OBJ groups pybullet reads."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from simgrasp.sim.convex import angular_sectors, parts_obj
from simgrasp.sim.procedural import KINDS, generate


def winding_inside(mesh: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Whether each point is inside ``mesh`` by its generalised winding number (a union of
    overlapping closed parts counts once; needs no ray-tracing index)."""
    tri = mesh.triangles
    out = np.zeros(len(points), bool)
    for k in range(0, len(points), 400):
        a, b, c = (tri[None, :, j] - points[k:k + 400, None] for j in range(3))
        la, lb, lc = (np.linalg.norm(x, axis=2) for x in (a, b, c))
        num = np.einsum("ijk,ijk->ij", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("ijk,ijk->ij", a, b) * lc + np.einsum("ijk,ijk->ij", b, c) * la
               + np.einsum("ijk,ijk->ij", c, a) * lb)
        out[k:k + 400] = np.arctan2(num, den).sum(1) / (2 * np.pi) > 0.5
    return out


def hull_inside(hull: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    n = hull.face_normals
    return (points @ n.T - np.einsum("ij,ij->i", n, hull.triangles[:, 0]) <= 1e-9).all(1)


@pytest.mark.parametrize("kind", list(KINDS))
def test_parts_are_closed_convex_and_match_the_mesh(kind):
    rng = np.random.default_rng(0)
    for index in (0, 42):
        shape = generate(kind, index)
        hulls = [trimesh.convex.convex_hull(p) for p in shape.convex_parts()]
        assert all(h.is_watertight and h.volume > 0 for h in hulls), f"{kind} {index}"
        points = rng.uniform(*shape.mesh.bounds, size=(2000, 3))
        in_mesh = winding_inside(shape.mesh, points)
        in_parts = np.any([hull_inside(h, points) for h in hulls], axis=0)
        both = (in_mesh & in_parts).sum()
        assert both >= 0.95 * in_mesh.sum(), f"{kind} {index}: parts cover {both / in_mesh.sum():.3f} of the mesh"
        assert both >= 0.95 * in_parts.sum(), f"{kind} {index}: {both / in_parts.sum():.3f} of the parts is mesh"


def test_hollow_kinds_are_many_parts_and_convex_kinds_one():
    assert len(generate("torus", 0).convex_parts()) == 24
    assert len(generate("cup", 0).convex_parts()) == 21  # the base and 20 wall sectors
    assert len(generate("box", 0).convex_parts()) == 1
    assert len(generate("cross", 0).convex_parts()) >= 3


def test_angular_sectors_need_even_sections():
    ring = trimesh.creation.annulus(0.02, 0.03, 0.01, sections=8)
    assert len(angular_sectors(ring, 2)) == 4
    with pytest.raises(ValueError, match="do not split into parts of 3"):
        angular_sectors(ring, 3)


def test_obj_text_has_one_group_per_part_holding_its_hull():
    cube = trimesh.creation.box((1, 1, 1)).vertices
    inner = np.array([[0.5, 0.5, 0.5], [0.6, 0.5, 0.5]])  # inside the second cube: not on its hull
    lines = parts_obj([cube, np.vstack([cube + [3, 0, 0], inner + [2.5, -0.5, -0.5]])]).splitlines()
    assert [line for line in lines if line.startswith("o ")] == ["o part0", "o part1"]
    assert sum(line.startswith("v ") for line in lines) == 16 and sum(line.startswith("f ") for line in lines) == 24
    faces = np.array([line.split()[1:] for line in lines if line.startswith("f ")], int)
    assert faces[:12].max() == 8 and faces[12:].min() == 9  # each group indexes its own vertices
