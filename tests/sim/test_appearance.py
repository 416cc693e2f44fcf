"""Appearance modes: seeded looks, records that rebuild the same pixels, the camera that
follows the jittered height, depth noise only when randomised, fixed mode untouched."""

from __future__ import annotations

import json

import numpy as np
import pybullet
import pytest

from simgrasp.backends import make_backend
from simgrasp.sim.appearance import APPEARANCE_MODES, draw_color, has_uvs
from simgrasp.sim.skin import can_skin
from simgrasp.sim.world import World
from simgrasp.sim.backend import SimBackend
from simgrasp.sim.camera import render
from simgrasp.sim.config import AppearanceConfig

GRASPABLE = "random_urdfs:900-902"
TEXTURED = "pybullet_objects:cube"  # a mesh with texture coordinates


@pytest.fixture(scope="module")
def randomized(tmp_path_factory):
    b = SimBackend(GRASPABLE, appearance="randomized", library={"cache_dir": str(tmp_path_factory.mktemp("cache"))})
    yield b
    b.close()


def test_modes_are_registered_and_a_bad_one_is_named():
    assert APPEARANCE_MODES.names() == ["fixed", "randomized"]
    with pytest.raises(ValueError, match="fixed, randomized.*'glossy'"):
        SimBackend(GRASPABLE, appearance="glossy")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"textures": ["marble"]}, "textures must be among checker, noise, stripes, wood, got \\['marble'\\]"),
        ({"shadow_p": 1.5}, "shadow_p must be in \\[0, 1\\], got 1.5"),
        ({"ambient": [0.8, 0.2]}, "ambient must be a \\(low, high\\) range"),
    ],
)
def test_bad_appearance_fields_are_named(fields, message):
    with pytest.raises(ValueError, match=message):
        SimBackend(GRASPABLE, appearance={"mode": "randomized", **fields})


def test_same_seed_same_images(randomized, tmp_path):
    other = SimBackend(GRASPABLE, appearance={"mode": "randomized"}, library={"cache_dir": str(tmp_path)})
    try:
        other.reset(0)  # a different history must not matter
        a, b = randomized.reset(1)[0], other.reset(1)[0]
        np.testing.assert_array_equal(a.rgb, b.rgb)
        np.testing.assert_array_equal(a.depth, b.depth)
        assert randomized.scene_record()["scene"] == other.scene_record()["scene"]
    finally:
        other.close()


def test_different_seeds_look_different(randomized):
    looks = []
    for seed in (3, 6, 9, 12):  # all show object 900, so only the look differs
        randomized.reset(seed)
        looks.append(randomized.scene.spec.appearance)
    assert len({lk.table_rgba for lk in looks}) == 4 and len({lk.object_rgba for lk in looks}) == 4
    assert len({lk.light.direction for lk in looks}) == 4 and len({lk.depth_noise.seed for lk in looks}) == 4


def test_record_rebuilds_identical_pixels(randomized):
    for seed in (1, 2):  # seed 1: a wood table, seed 2: a checker table (textures on a patch)
        obs, _ = randomized.reset(seed)
        assert randomized.scene.spec.appearance.table_texture is not None
        record = json.loads(json.dumps(randomized.scene_record()))
        other = SimBackend.from_record(record)
        try:
            np.testing.assert_array_equal(other.observation().rgb, obs.rgb)
            np.testing.assert_array_equal(other.observation().depth, obs.depth)
            np.testing.assert_array_equal(other.perfect_depth(), randomized.perfect_depth())
        finally:
            other.close()


def test_object_texture_needs_uvs_and_rebuilds(tmp_path):
    b = SimBackend(TEXTURED, appearance="randomized", library={"cache_dir": str(tmp_path)})
    try:
        b.reset(0)
        assert has_uvs(b.world, b.scene.obj.body)
        seeds = [s for s in range(12) if b.reset(s) and b.scene.spec.appearance.object_texture is not None]
        assert seeds, "no textured cube in 12 seeds"
        obs, _ = b.reset(seeds[0])
        mask = b.segmentation_mask()
        _, counts = np.unique(obs.rgb[mask], axis=0, return_counts=True)
        assert counts.max() < 0.9 * mask.sum()  # a pattern, not one flat colour
        assert not list((tmp_path / "textures").glob("*.png"))  # scratch files, deleted once loaded
        other = SimBackend.from_record(json.loads(json.dumps(b.scene_record())))
        np.testing.assert_array_equal(other.observation().rgb, obs.rgb)
        other.close()
    finally:
        b.close()


def test_meshes_without_uvs_are_textured_through_a_skin(randomized):
    obs, _ = randomized.reset(0)  # object 900 with a checker texture
    body = randomized.scene.obj.body
    assert not has_uvs(randomized.world, body) and can_skin(randomized.world, body)  # random_urdfs have no vt lines
    assert randomized.scene.spec.appearance.object_texture is not None and randomized.scene.skin is not None
    mask = randomized.segmentation_mask()
    _, counts = np.unique(obs.rgb[mask], axis=0, return_counts=True)
    assert counts.max() < 0.5 * mask.sum()  # the pattern shows
    # the object itself, shown again in place of its skin, covers the same pixels
    c = randomized.world.client
    c.changeVisualShape(body, -1, rgbaColor=[1, 1, 1, 1])
    c.changeVisualShape(randomized.scene.skin, -1, rgbaColor=[1, 1, 1, 0])
    seg = render(randomized.world, obs.camera, randomized.config.camera).segmentation
    assert (seg == randomized.scene.skin).sum() == 0
    assert ((seg == body) ^ mask).sum() <= 0.002 * mask.sum()


def test_only_one_link_objects_of_mesh_files_get_skins():
    world = World()
    try:
        c = world.client
        vis = c.createVisualShape(pybullet.GEOM_MESH, vertices=[[0, 0, 0], [1, 0, 0], [0, 1, 0]], indices=[0, 1, 2])
        assert not can_skin(world, c.createMultiBody(0, -1, vis, [0, 0, 0]))
        box = c.createVisualShape(pybullet.GEOM_BOX, halfExtents=[0.01] * 3)
        boxed = c.createMultiBody(0, -1, box, [0, 0, 0])
        assert has_uvs(world, boxed) and not can_skin(world, boxed)
    finally:
        world.close()


def test_camera_follows_the_jittered_height(randomized):
    heights = []
    for seed in (0, 1, 2):
        obs, _ = randomized.reset(seed)
        h = randomized.scene.spec.camera_height_m
        heights.append(h)
        assert obs.camera.T_world_cam[2, 3] == pytest.approx(h)
        table = ~randomized.segmentation_mask()
        assert np.median(randomized.perfect_depth()[table]) == pytest.approx(h - 1e-4, abs=2e-4)
        # the object's settled position projects into its silhouette
        p, _ = randomized.world.pose(randomized.scene.obj.body)
        u, v, _ = obs.camera.world_to_pixel(p)
        ys, xs = np.nonzero(randomized.segmentation_mask())
        assert np.hypot(xs - u, ys - v).min() < 2.0
        # a table point seen at pixel (u, v) maps back to itself through the observation's camera
        q = obs.camera.pixel_to_world(40.0, 60.0, float(randomized.perfect_depth()[60, 40]))
        assert q[2] == pytest.approx(1e-4, abs=1e-4)
        assert obs.camera.world_to_pixel(q)[:2] == pytest.approx((40.0, 60.0), abs=1e-6)
    jitter = randomized.config.appearance.camera_height_jitter_m
    assert len(set(heights)) == 3 and all(abs(h - 0.55) <= jitter for h in heights)


def test_depth_noise_only_when_randomized(randomized):
    fixed = SimBackend(GRASPABLE)
    try:
        obs, _ = fixed.reset(0)
        np.testing.assert_array_equal(obs.depth, fixed.perfect_depth())
        assert fixed.scene.spec.appearance is None and fixed.scene_record()["scene"]["appearance"] is None
    finally:
        fixed.close()
    obs, _ = randomized.reset(0)
    perfect, noisy = randomized.perfect_depth(), obs.depth
    look = randomized.scene.spec.appearance.depth_noise
    ok = noisy > 0
    resid = (noisy - perfect)[ok]
    assert np.std(resid) == pytest.approx(look.sigma_m * 0.55**2, rel=0.2)
    holes = ~ok
    assert holes.sum() > 10
    gy, gx = np.gradient(perfect)
    assert np.all(np.hypot(gx, gy)[holes] > 0.005)  # holes only at depth edges


def test_appearance_does_not_change_the_physics(randomized, minor_axis_grasp):
    fixed = SimBackend(GRASPABLE)
    try:
        a, _ = fixed.reset(1)
        randomized.reset(1)  # a skin on the object, a patch on the table: neither collides
        assert randomized.scene.skin is not None
        assert fixed.scene.spec.position == randomized.scene.spec.position
        g = a.camera.image_to_world(minor_axis_grasp(fixed.segmentation_mask()), a.depth)
        fa, ra = fixed.execute(g).to_dict(), randomized.execute(g).to_dict()
        fa.pop("timings_s"), ra.pop("timings_s")
        assert fa == ra
    finally:
        fixed.close()


def test_fixed_is_the_default_and_renders_as_before():
    a = make_backend("sim", objects=GRASPABLE)
    b = SimBackend(GRASPABLE, appearance="fixed")
    try:
        assert a.config.appearance == AppearanceConfig()
        oa, ob = a.reset(1)[0], b.reset(1)[0]
        np.testing.assert_array_equal(oa.rgb, ob.rgb)
        # the fixed table colour, lit by TinyRenderer's default light, where the object is not
        table = oa.rgb[~a.segmentation_mask()]
        assert np.all(table == table[0]) and table[0].tolist() == [179, 171, 162]
    finally:
        a.close(), b.close()


def test_object_colours_cover_the_whole_range():
    rng, cfg = np.random.default_rng(0), AppearanceConfig()
    table = np.array([0.6, 0.5, 0.4])
    c = np.array([draw_color(rng, cfg, table) for _ in range(4000)])
    grey = np.ptp(c, axis=1) < 1e-9
    near = np.linalg.norm(c - table, axis=1) < 0.2
    assert grey.mean() == pytest.approx(cfg.grey_p, abs=0.03)
    assert (c[grey].max(1) > 0.95).any() and (c[grey].max(1) < 0.1).any()  # whites and blacks
    assert near.mean() > cfg.near_table_p * 0.8
    sat = (c.max(1) - c.min(1)) / np.maximum(c.max(1), 1e-9)
    assert (sat > 0.9).mean() > 0.05 and c.min() >= 0.0 and c.max() <= 1.0


def test_records_from_before_appearance_still_rebuild(tmp_path):
    fixed = SimBackend(GRASPABLE)
    try:
        obs, _ = fixed.reset(0)
        record = json.loads(json.dumps(fixed.scene_record()))
    finally:
        fixed.close()
    old = json.loads(json.dumps(record))  # as main wrote them: switches off, look fields null
    del old["scene"]["appearance"], old["config"]["appearance"]
    old["scene"].update(light_direction=None, table_rgba=None, object_rgba=None)
    old["config"]["camera"].update(height_jitter_m=0.0, randomize_light=False)
    old["config"]["scene"]["randomize_table_color"] = False
    old["config"]["library"]["randomize_color"] = False
    rebuilt = SimBackend.from_record(old)
    try:
        np.testing.assert_array_equal(rebuilt.observation().rgb, obs.rgb)
    finally:
        rebuilt.close()
    old["config"]["library"]["randomize_color"] = True
    with pytest.raises(ValueError, match="library.randomize_color=True from a retired randomisation"):
        SimBackend.from_record(old)
    old["scene"]["table_rgba"] = [0.5, 0.5, 0.5, 1.0]
    with pytest.raises(ValueError, match="table_rgba=.*expected null"):
        SimBackend.from_record(record | {"scene": old["scene"]})
