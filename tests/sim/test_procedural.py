"""The procedural family: determinism, sizes of every kind, the family-wise split, spec
resolution, the cache files, and a few objects settling in view in a SimBackend."""

from __future__ import annotations

import numpy as np
import pybullet
import pytest
import trimesh

from simgrasp.sim.backend import SimBackend
from simgrasp.sim.config import ObjectConfig, SimConfig
from simgrasp.sim.library import body_aabb, object_scale
from simgrasp.sim.mesh import collision_sibling
from simgrasp.sim.objects import resolve_objects
from simgrasp.sim.procedural import KINDS, PER_KIND, Kind, ensure_file, generate, object_path, procedural_entries, split_of
from simgrasp.sim.shapes import ASSEMBLED, BUILDERS, GRIP_M, LONG_M

SAMPLE = (0, 1, 17, 42, PER_KIND - 1)  # a few indices of each kind, enough to catch a bad draw


def test_every_kind_has_a_builder_and_held_out_kinds_have_training_siblings():
    assert sorted(KINDS) == BUILDERS.names()
    for name, kind in KINDS.items():
        for sibling in kind.siblings:
            assert not KINDS[sibling].held_out, f"{name}'s sibling {sibling} must be a training kind"
    assert {k for k in KINDS if KINDS[k].split == "test"} == {"torus", "mug", "cross", "wrench"}
    assert {k for k in KINDS if KINDS[k].split == "validation"} == {"frame", "dumbbell", "bottle"}


@pytest.mark.parametrize("split, siblings", [("test", ()), ("train", ("box",)), ("holdout", ("box",))])
def test_a_kind_is_held_out_with_siblings_or_trained_without(split, siblings):
    with pytest.raises(ValueError, match="a held-out kind names its split"):
        Kind("anything", siblings, split)


def test_same_seed_same_vertices_other_index_other_shape():
    for kind in ("blob", "star", "wrench", "mug"):
        a, b = generate(kind, 7), generate(kind, 7)
        np.testing.assert_array_equal(a.mesh.vertices, b.mesh.vertices)
        assert a.grip_m == b.grip_m
        assert not np.allclose(np.sort(a.mesh.extents), np.sort(generate(kind, 8).mesh.extents))


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_is_a_closed_mesh_at_gripper_size(kind):
    for i in SAMPLE:
        shape = generate(kind, i)
        m, ext = shape.mesh, np.sort(shape.mesh.extents)
        assert m.is_watertight, f"{kind} {i}"
        if kind not in ASSEMBLED:
            assert m.is_volume and m.volume > 0, f"{kind} {i}: not one consistent solid"
        assert 0.0025 <= ext[0] and ext[2] <= LONG_M + 1e-9, f"{kind} {i}: sides {ext}"
        assert 0.005 <= shape.grip_m <= GRIP_M[1], f"{kind} {i}: grip {shape.grip_m}"  # rims from 6 mm
        assert shape.grip_m <= ext[1] + 1e-9, f"{kind} {i}: grip wider than the object"
        np.testing.assert_allclose(m.bounds.mean(axis=0), 0.0, atol=1e-9)  # centred on its box


def test_training_grips_cover_the_opening_range():
    grips = np.array([generate(k, i).grip_m for k in KINDS if not KINDS[k].held_out for i in range(0, PER_KIND, 4)])
    counts = np.histogram(grips, bins=np.linspace(0.01, 0.09, 5))[0]
    assert counts.min() > 0.15 * len(grips), f"grip widths per 2 cm bin from 1 to 9 cm: {counts}"


def test_split_is_family_wise_and_disjoint(tmp_path):
    cache = str(tmp_path)
    sets = {s: {e.name for e in procedural_entries(s, cache)} for s in ("train", "validation", "test")}
    assert not (sets["train"] & sets["validation"]) and not (sets["train"] | sets["validation"]) & sets["test"]
    assert sum(map(len, sets.values())) == PER_KIND * len(KINDS)
    kinds_of = {s: {n.split("/")[1] for n in names} for s, names in sets.items()}
    test_kinds, val_kinds = ({k for k in KINDS if KINDS[k].split == s} for s in ("test", "validation"))
    assert kinds_of["test"] == test_kinds and kinds_of["train"] == set(KINDS) - test_kinds - val_kinds
    assert kinds_of["validation"] == set(KINDS) - test_kinds  # unseen kinds and unseen objects of seen kinds
    for kind in val_kinds:  # a validation kind is all validation, every index
        assert sum(n.split("/")[1] == kind for n in sets["validation"]) == PER_KIND
    assert all(n.endswith("9") for n in sets["validation"] if n.split("/")[1] in kinds_of["train"])
    assert split_of("ring", 19) == "validation" and split_of("ring", 18) == "train" and split_of("torus", 0) == "test"
    assert split_of("frame", 18) == "validation" and split_of("bottle", 19) == "validation"


def test_spec_resolution_and_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMGRASP_CACHE", str(tmp_path))
    test = resolve_objects("procedural:test:0-1")
    assert [e.name for e in test[:4]] == ["procedural/torus/000", "procedural/mug/000", "procedural/cross/000",
                                          "procedural/wrench/000"]
    assert len(test) == 8 and all(e.kind == "mesh" and e.fixed_scale == 1.0 for e in test)
    assert test[0].path == str(object_path("torus", 0, str(tmp_path)))
    assert [e.name for e in resolve_objects("procedural:ring:validation")] == [
        f"procedural/ring/{i:03d}" for i in range(9, PER_KIND, 10)]
    assert len(resolve_objects("procedural:box:3, procedural:val:cup")) == 1 + PER_KIND // 10
    assert resolve_objects("procedural:mug:5")[0].to_dict()["fixed_scale"] == 1.0


@pytest.mark.parametrize("spec, message", [
    ("procedural:ring:test", "test split holds only the test kinds"),
    ("procedural:frame:train", "validation kinds frame, dumbbell, bottle are in no other split"),
    ("procedural:banana", "a kind"),
    ("procedural:0-80", "within 0-79"),
    ("procedural:train:test", "at most one of each"),
])
def test_bad_procedural_specs_raise(spec, message, tmp_path, monkeypatch):
    monkeypatch.setenv("SIMGRASP_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match=message):
        resolve_objects(spec)


def test_cache_file_is_written_once_and_reloads_to_the_same_mesh(tmp_path):
    path = ensure_file("star", 3, str(tmp_path))
    stamp = path.stat().st_mtime_ns
    assert ensure_file("star", 3, str(tmp_path)) == path and path.stat().st_mtime_ns == stamp
    assert not list(path.parent.glob("*.tmp"))
    assert collision_sibling(path).read_text().count("o part") == len(generate("star", 3).convex_parts())
    loaded = trimesh.load(str(path), force="mesh")
    np.testing.assert_allclose(np.sort(loaded.extents), np.sort(generate("star", 3).mesh.extents), atol=1e-6)


def test_objects_keep_their_size_and_settle_in_view(cache_dir, monkeypatch):
    monkeypatch.setenv("SIMGRASP_CACHE", cache_dir)
    # Cheap to decompose, each a different feature (a long bar, a small block, concave arms, a
    # thin plate), and each one the old fitting rule would have resized.
    spec = "procedural:box:1,procedural:box:3,procedural:l_shape:1,procedural:plate:0"
    backend = SimBackend(spec, SimConfig(library=ObjectConfig(cache_dir=cache_dir)))
    try:
        for seed, entry in enumerate(backend.objects):
            obs, _ = backend.reset(seed)
            scene = backend.scene
            assert scene.obj.scale == 1.0 and scene.spec.settled, entry.name
            kind, index = entry.name.split("/")[1:]
            mesh = generate(kind, int(index)).mesh
            assert abs(object_scale(mesh.extents, ObjectConfig()) - 1.0) > 0.05  # the fitting rule would resize it
            lo, hi = body_aabb(backend.world, scene.obj.body)
            rot = np.reshape(backend.world.client.getMatrixFromQuaternion(scene.spec.orientation), (3, 3))
            # Bullet's world box is the turned local box (plus a margin), not the tightest one.
            grown = (hi - lo) - np.ptp(trimesh.bounds.corners(mesh.bounds) @ rot.T, axis=0)
            assert np.all((grown > -0.002) & (grown < 0.012)), f"{entry.name}: world box minus mesh box {grown}"
            # On the table, its centre within the camera's 0.27 m square view.
            assert scene.spec.position[2] > 0 and np.abs(scene.spec.position[:2]).max() < 0.13, entry.name
            assert (obs.depth < obs.depth.max() - 0.002).sum() > 200, f"{entry.name} not seen by the camera"
    finally:
        backend.close()


def test_every_kind_loads_from_its_own_parts_and_settles_in_view(cache_dir, monkeypatch):
    def no_vhacd(*args, **kwargs):
        raise AssertionError("procedural objects bring their convex parts: V-HACD must not run")

    monkeypatch.setattr(pybullet, "vhacd", no_vhacd)  # BulletClient looks its methods up on the module
    monkeypatch.setenv("SIMGRASP_CACHE", cache_dir)
    spec = ",".join(f"procedural:{kind}:0" for kind in KINDS)
    backend = SimBackend(spec, SimConfig(library=ObjectConfig(cache_dir=cache_dir)))
    try:
        for seed, entry in enumerate(backend.objects):
            obs, _ = backend.reset(seed)
            assert backend.scene.spec.settled, entry.name
            assert backend.scene.spec.position[2] > 0 and np.abs(backend.scene.spec.position[:2]).max() < 0.13
            assert (obs.depth < obs.depth.max() - 0.002).sum() > 200, f"{entry.name} not seen by the camera"
    finally:
        backend.close()
