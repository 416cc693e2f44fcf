"""A textured stand-in for the look of a mesh without texture coordinates.

TinyRenderer samples a texture at each vertex's UV; a mesh without UVs (every
``random_urdfs`` object, most raw meshes) would show one texel everywhere. A skin is a
visual-only copy of the object's meshes at its settled pose, with UVs projected along the
world z axis (the camera's view: a pattern seen from above is undistorted), shown in place
of the object, which is made invisible (alpha 0). The skin has no collision shape, so the
physics is untouched; it does not follow the object, so it only stands for the settled
scene that the camera renders at reset."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pybullet

from simgrasp.sim.world import World


def _mesh_visuals(world: World, body: int) -> list[tuple]:
    """The visual shapes of ``body`` when it is one link whose visuals are all mesh files, else []."""
    c = world.client
    shapes = c.getVisualShapeData(body)
    if c.getNumJoints(body) > 0 or not shapes or any(s[2] != pybullet.GEOM_MESH or not s[4] for s in shapes):
        return []
    return list(shapes)


def can_skin(world: World, body: int) -> bool:
    """True when :func:`build_skin` can stand in for ``body``."""
    return bool(_mesh_visuals(world, body))


@lru_cache(maxsize=64)
def _read_mesh(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, triangles, vertex normals) of a mesh file, in its own units (read once per process)."""
    import trimesh

    m = trimesh.load(path, force="mesh", process=False)
    return np.asarray(m.vertices), np.asarray(m.faces), np.asarray(m.vertex_normals)


def _rotate(client, quat, points: np.ndarray) -> np.ndarray:
    return points @ np.array(client.getMatrixFromQuaternion(quat)).reshape(3, 3).T


def build_skin(world: World, body: int, tile_m: float) -> int:
    """Make ``body`` invisible and add its skin: the same triangles in the world frame, the
    texture repeating every ``tile_m`` metres in x and y. Returns the skin's body id (the
    caller textures it and maps its segmentation id back to ``body``)."""
    c = world.client
    pos, orn = c.getBasePositionAndOrientation(body)
    verts, faces, normals = [], [], []
    for s in _mesh_visuals(world, body):
        name = s[4].decode() if isinstance(s[4], bytes) else str(s[4])
        mv, mf, mn = _read_mesh(name)
        local = _rotate(c, s[6], mv * np.asarray(s[3])) + np.asarray(s[5])
        faces.append(mf + sum(len(v) for v in verts))
        verts.append(_rotate(c, orn, local) + np.asarray(pos))
        normals.append(_rotate(c, orn, _rotate(c, s[6], mn)))
    v = np.concatenate(verts)
    vis = c.createVisualShape(
        pybullet.GEOM_MESH, vertices=v.tolist(), indices=np.concatenate(faces).reshape(-1).tolist(),
        uvs=(v[:, :2] / tile_m).tolist(), normals=np.concatenate(normals).tolist(),
    )
    skin = c.createMultiBody(0, -1, vis, [0, 0, 0])
    for link in sorted({s[1] for s in c.getVisualShapeData(body)}):
        c.changeVisualShape(body, link, rgbaColor=[1, 1, 1, 0])  # TinyRenderer skips alpha 0
    return skin
