"""Object specs, the scaling rule, raw meshes and their cache, skipped files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from simgrasp.sim import HELD_OUT_OBJECTS
from simgrasp.sim.backend import SimBackend
from simgrasp.sim.config import ObjectConfig
from simgrasp.sim.library import ObjectLibrary, body_aabb, object_scale
from simgrasp.sim.mesh import MeshError, prepare_mesh
from simgrasp.sim.objects import resolve_objects
from simgrasp.sim.world import World


def _shapenet_like(root: Path) -> Path:
    """<synset>/<id>/models/model_normalized.obj with a unit-sized box and a cylinder."""
    for i, mesh in enumerate([trimesh.creation.box((1.0, 0.5, 0.3)), trimesh.creation.cylinder(0.3, 0.8)]):
        d = root / "02876657" / f"id{i}" / "models"
        d.mkdir(parents=True)
        mesh.export(d / "model_normalized.obj")
    return root


def test_random_urdfs_split_and_ranges():
    assert len(resolve_objects("random_urdfs")) == 1000
    assert len(resolve_objects("random_urdfs:train")) == 800
    test = resolve_objects("random_urdfs:test")
    assert [e.name for e in test] == [e.name for e in resolve_objects("random_urdfs:900-999")]
    assert test[0].name == "random_urdfs/900" and test[0].kind == "urdf" and Path(test[0].path).is_file()
    assert len(resolve_objects("random_urdfs:5, random_urdfs:10-11")) == 3


def test_held_out_constant_is_the_test_split():
    assert [e.name for e in resolve_objects(HELD_OUT_OBJECTS)] == [e.name for e in resolve_objects("random_urdfs:test")]


def test_named_objects_exist():
    entries = resolve_objects("pybullet_objects")
    assert {"pybullet_objects/duck", "pybullet_objects/mug"} <= {e.name for e in entries}
    assert all(Path(e.path).is_file() for e in entries)


@pytest.mark.parametrize("spec, message", [
    ("random_urdfs:950-900", "start <= end"),
    ("random_urdfs:abc", "range like"),
    ("pybullet_objects:chair", "got 'chair'"),
    ("no/such/dir", "neither a set"),
    ("random_urdfs:", "'random_urdfs:' has an empty selector"),
    ("pybullet_objects, procedural: ", "'procedural:' has an empty selector"),
])
def test_bad_specs_raise(spec, message):
    with pytest.raises(ValueError, match=message):
        resolve_objects(spec)


def test_empty_spec_says_what_was_looked_for(tmp_path):
    (tmp_path / "notes.txt").write_text("no meshes here")
    with pytest.raises(ValueError, match=r"selects no objects.*\.obj.*\.stl.*recursively"):
        resolve_objects(str(tmp_path))


def test_directory_scan_finds_shapenet_layout(tmp_path):
    entries = resolve_objects(str(_shapenet_like(tmp_path / "shapenet")))
    assert [e.name for e in entries] == ["shapenet/02876657/id0/models", "shapenet/02876657/id1/models"]
    assert all(e.kind == "mesh" for e in entries)


def test_scaling_rule():
    cfg = ObjectConfig()
    assert object_scale(np.array([0.05, 0.16, 0.2]), cfg) == pytest.approx(0.07 / 0.16)  # middle side limits
    assert object_scale(np.array([0.3, 0.5, 1.0]), cfg) == pytest.approx(0.14)  # longest side to 0.15 ... then 0.07
    assert object_scale(np.array([0.01, 0.02, 0.04]), cfg) == pytest.approx(0.05 / 0.04)  # small ones grow
    assert object_scale(np.array([0.03, 0.05, 0.1]), cfg) == 1.0  # already fits


def test_raw_mesh_loads_at_scale_and_is_cached(tmp_path):
    root = _shapenet_like(tmp_path / "shapenet")
    cache = str(tmp_path / "cache")
    lib = ObjectLibrary(str(root), ObjectConfig(cache_dir=cache))
    world = World()
    try:
        obj = lib.load(world, lib.entries[0], [0, 0, 0.5], [0, 0, 0, 1])
        lo, hi = body_aabb(world, obj.body)
        side = np.sort(hi - lo)
        # AABBs carry pybullet's collision margin (a few mm per side)
        assert 0.05 <= side[2] <= 0.165 and side[1] <= 0.08  # fits the opening
        assert world.client.getDynamicsInfo(obj.body, -1)[0] > 0  # mass from size
        first = prepare_mesh(lib.entries[0].path, world.client, cache)
        assert Path(first.collision_path).is_file() and lib.skipped == []
        meta = list(Path(cache).rglob("meta.json"))
        assert len(meta) == 1
        stamp = meta[0].stat().st_mtime_ns
        assert prepare_mesh(lib.entries[0].path, world.client, cache) == first  # from the cache
        assert meta[0].stat().st_mtime_ns == stamp
    finally:
        world.close()


def test_bad_meshes_are_skipped_and_reported(tmp_path):
    root = _shapenet_like(tmp_path / "objs")
    (root / "garbage.obj").write_text("v 1 2\nf this is not a mesh\n")
    (root / "empty.stl").write_bytes(b"")
    trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], [[0, 1, 2], [1, 3, 2]]).export(root / "flat.ply")
    b = SimBackend(str(root), library={"cache_dir": str(tmp_path / "cache")})
    try:
        shown = {b.reset(seed)[1]["object_path"] for seed in range(len(b.objects))}
        assert all("02876657" in p for p in shown)  # every reset still showed a good object
        reasons = {s.path: s.reason for s in b.skipped_objects()}
        assert set(reasons) == {str(root / n) for n in ("garbage.obj", "empty.stl", "flat.ply")}
        assert reasons[str(root / "flat.ply")].startswith("degenerate")
        assert all(r.split(":")[0] in ("unreadable", "empty", "degenerate") for r in reasons.values())
    finally:
        b.close()


def test_mesh_error_names_the_problem(tmp_path):
    world = World()
    try:
        with pytest.raises(MeshError, match="no such file"):
            prepare_mesh(tmp_path / "missing.obj", world.client, str(tmp_path))
    finally:
        world.close()


MISSING_MESH_URDF = """<robot name="thing"><link name="base">
<inertial><mass value="0.1"/><inertia ixx="1e-4" iyy="1e-4" izz="1e-4" ixy="0" ixz="0" iyz="0"/></inertial>
<collision><geometry><mesh filename="{mesh}"/></geometry></collision></link></robot>"""


def _broken_folder(root: Path) -> Path:
    """A random-bytes OBJ, an empty STL and a URDF naming a missing mesh."""
    root.mkdir(parents=True)
    (root / "junk.obj").write_bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes())
    (root / "empty.stl").write_bytes(b"")
    (root / "thing.urdf").write_text(MISSING_MESH_URDF.format(mesh="missing.obj"))
    return root


def test_a_folder_where_no_object_loads_fails_at_once_naming_each_file(tmp_path):
    root = _broken_folder(tmp_path / "objs")
    with pytest.raises(ValueError) as e:
        SimBackend(str(root), library={"cache_dir": str(tmp_path / "cache")})
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"no usable object in {str(root)!r}: ")
    assert f"{root / 'junk.obj'}: " in msg and f"{root / 'empty.stl'}: empty" in msg
    assert f"{root / 'thing.urdf'}: the URDF names missing mesh file(s): {root / 'missing.obj'}" in msg


def test_meshes_no_urdf_names_are_objects_beside_the_urdf(tmp_path):
    root = _broken_folder(tmp_path / "objs")
    trimesh.creation.box((0.05, 0.04, 0.03)).export(root / "box.obj")
    (root / "part").mkdir()
    trimesh.creation.box((0.05, 0.04, 0.03)).export(root / "part" / "wheel.obj")
    (root / "car.urdf").write_text(MISSING_MESH_URDF.format(mesh="part/wheel.obj"))
    names = [e.name for e in resolve_objects(str(root))]
    assert names == ["objs/box", "objs/car", "objs/empty", "objs/junk", "objs/thing"]  # the wheel is the car's
    b = SimBackend(str(root), library={"cache_dir": str(tmp_path / "cache")})
    try:
        assert {s.path for s in b.skipped_objects()} == {str(root / n) for n in ("junk.obj", "empty.stl", "thing.urdf")}
        shown = {b.reset(seed)[1]["object"] for seed in range(5)}
        assert shown == {"objs/box", "objs/car"}
    finally:
        b.close()
