"""The raw-mesh path's own-decomposition convention: a ``X.collision.obj`` sibling is the
collision shape (one convex hull per group), V-HACD is skipped, and the cache follows it."""

from __future__ import annotations

import numpy as np
import pybullet
import trimesh

from simgrasp.sim.convex import parts_obj
from simgrasp.sim.mesh import collision_sibling, is_collision_file, prepare_mesh
from simgrasp.sim.objects import scan_directory
from simgrasp.sim.world import World

# A U of three boxes (centre, sides) in metres, open upwards: 10 cm wide, 6 cm tall, 8 cm gap.
U_BOXES = [((0.0, 0.0, 0.005), (0.1, 0.02, 0.01)), ((-0.045, 0.0, 0.03), (0.01, 0.02, 0.06)),
           ((0.045, 0.0, 0.03), (0.01, 0.02, 0.06))]


def _u_files(root):
    """``root/u.obj`` (the U as one mesh) and its sibling with the three boxes as parts."""
    boxes = []
    for centre, sides in U_BOXES:
        b = trimesh.creation.box(sides)
        b.apply_translation(centre)
        boxes.append(b)
    path = root / "u.obj"
    trimesh.util.concatenate(boxes).export(str(path))
    collision_sibling(path).write_text(parts_obj([b.vertices for b in boxes]))
    return path


def test_sibling_names():
    assert collision_sibling("a/b/mug.ply").as_posix() == "a/b/mug.collision.obj"
    assert collision_sibling("x.obj").name == "x.collision.obj"
    assert is_collision_file("a/x.collision.obj") and not is_collision_file("a/x.obj")


def test_sibling_replaces_vhacd_and_keys_the_cache(tmp_path):
    path = _u_files(tmp_path)
    world = World()
    try:
        def no_vhacd(*args, **kwargs):
            raise AssertionError("V-HACD must not run when the mesh brings its convex parts")

        world.client.vhacd = no_vhacd
        first = prepare_mesh(path, world.client, str(tmp_path / "cache"))
        assert first.collision_path == str(collision_sibling(path))
        np.testing.assert_allclose(first.extents, [0.02, 0.06, 0.1], atol=1e-9)
        collision_sibling(path).write_text(parts_obj([trimesh.creation.box((0.1, 0.02, 0.06)).vertices]))
        second = prepare_mesh(path, world.client, str(tmp_path / "cache"))
        assert len(list((tmp_path / "cache" / "meshes").iterdir())) == 2  # an edited sibling is a new entry
        assert second.collision_path == first.collision_path
    finally:
        world.close()


def test_each_group_is_its_own_hull_so_a_ball_falls_into_the_u(tmp_path):
    path = _u_files(tmp_path)
    world = World()  # gravity and a table plane at z = 0
    client = world.client
    try:
        shape = client.createCollisionShape(pybullet.GEOM_MESH, fileName=str(collision_sibling(path)))
        client.createMultiBody(1.0, shape)
        ball = client.createMultiBody(0.01, client.createCollisionShape(pybullet.GEOM_SPHERE, radius=0.01),
                                      basePosition=[0, 0, 0.1])
        for _ in range(240):
            client.stepSimulation()
        z = client.getBasePositionAndOrientation(ball)[0][2]
        assert z < 0.03, f"ball rests at {z:.3f} m: on a single hull it would stay above 0.07 m"
    finally:
        world.close()


def test_directory_scan_skips_collision_siblings(tmp_path):
    _u_files(tmp_path)
    assert [e.name for e in scan_directory(tmp_path)] == [f"{tmp_path.name}/u"]
