"""The rendered images agree with the PinholeCamera the backend returns."""

from __future__ import annotations

import numpy as np
import pytest

from simgrasp.sim.backend import SimBackend
from simgrasp.sim.camera import make_camera
from simgrasp.sim.config import CameraConfig


@pytest.fixture(scope="module", params=["pybullet_objects:cube", "random_urdfs:904"])
def scene(request):
    b = SimBackend(request.param)
    obs, _ = b.reset(0)
    yield b, obs
    b.close()


def test_image_covers_a_table_patch_suited_to_10cm_objects():
    cam = make_camera(CameraConfig())
    left = cam.pixel_on_plane(-0.5, 159.5, 0.0)
    right = cam.pixel_on_plane(319.5, 159.5, 0.0)
    # ~0.27 m: a 10 cm object spans about a third of the image, several 16 px anchor cells
    assert 0.25 <= right[0] - left[0] <= 0.30


def test_object_projects_onto_its_mask(scene):
    b, obs = scene
    mask = b.segmentation_mask()
    p, _ = b.world.pose(b.scene.obj.body)
    u, v, _ = obs.camera.world_to_pixel(p)
    ys, xs = np.nonzero(mask)
    assert mask[int(round(v)), int(round(u))] or np.hypot(xs - u, ys - v).min() < 2.0
    # and the mask's centroid is near the projected centre of mass (objects are compact)
    assert np.hypot(xs.mean() - u, ys.mean() - v) < 15


def test_depth_is_metric_along_the_optical_axis(scene):
    b, obs = scene
    mask = b.segmentation_mask()
    table = obs.depth[~mask]
    assert np.median(table) == pytest.approx(b.config.camera.height_m, abs=2e-3)
    lo, hi = b.world.aabb(b.scene.obj.body)  # loose for meshes, tight for the cube
    top = b.config.camera.height_m - float(obs.depth[mask].min())
    assert 0.0 < top <= hi[2] + 1e-3
    if "cube" in b.library.spec:
        assert top == pytest.approx(0.05, abs=1e-3)  # the 5 cm cube's top face
    # back-projected object pixels land inside the object's bounds
    ys, xs = np.nonzero(mask)
    for i in np.linspace(0, len(xs) - 1, 20).astype(int):
        q = obs.camera.pixel_to_world(xs[i], ys[i], float(obs.depth[ys[i], xs[i]]))
        assert np.all(q >= lo - 0.01) and np.all(q <= hi + 0.01)


def test_image_axes_match_world_axes(scene):
    b, obs = scene
    cam = obs.camera
    c = cam.world_to_pixel(np.array([0.0, 0.0, 0.0]))
    east = cam.world_to_pixel(np.array([0.05, 0.0, 0.0]))
    north = cam.world_to_pixel(np.array([0.0, 0.05, 0.0]))
    assert c[:2] == pytest.approx((159.5, 159.5))
    assert east[0] > c[0] and north[1] < c[1]  # +x is image right, +y is image up
