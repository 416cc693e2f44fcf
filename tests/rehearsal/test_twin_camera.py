import numpy as np
import pytest

from simgrasp.rehearsal.twin_camera import TwinCameraConfig, distort, mounted_camera
from simgrasp.sim.camera import make_camera
from simgrasp.sim.config import CameraConfig


def test_the_mounted_camera_is_not_the_ideal_top_down_one():
    ideal, mounted = make_camera(CameraConfig()), mounted_camera(TwinCameraConfig())
    assert mounted.width == ideal.width and mounted.height == ideal.height
    # the table centre is seen away from the image centre, and the optical axis is tilted
    u, v, _ = mounted.world_to_pixel(np.zeros(3))
    assert np.hypot(u - 159.5, v - 159.5) > 10.0
    tilt = np.degrees(np.arccos(-mounted.T_world_cam[2, 2]))
    assert 2.0 < tilt < 6.0


def test_without_distortion_the_image_is_untouched_and_with_it_pixels_move():
    cam = mounted_camera(TwinCameraConfig())
    img = np.zeros((320, 320, 3), np.uint8)
    img[150:170, 280:300] = 255  # a patch near the right edge
    assert distort(img, cam, 0.0, 0.0) is img
    barrel = distort(img, cam, -1.0, 0.0)
    centre = lambda a: np.argwhere(a[:, :, 0] > 0).mean(0)  # noqa: E731
    assert centre(barrel)[1] < centre(img)[1] - 2.0  # barrel distortion pulls edges inwards
    assert barrel[160, 160].tolist() == img[160, 160].tolist()  # the centre stays


def test_the_twin_camera_sees_the_staged_object(twin_rig):
    twin_rig.cell.reset_scene(2)
    rgb = twin_rig.camera.read()
    assert rgb.shape == (320, 320, 3) and rgb.dtype == np.uint8
    cam = twin_rig.camera.camera
    u, v, _ = cam.world_to_pixel(twin_rig.cell.object_position())
    table = np.median(rgb.reshape(-1, 3), axis=0)
    assert np.abs(rgb[int(v), int(u)].astype(int) - table).sum() > 30  # the object, not the table
    assert pytest.approx(table, abs=3) == rgb[5, 5]


def test_the_twin_camera_gives_a_depth_image_registered_to_its_colour_frame(twin_rig):
    twin_rig.cell.reset_scene(2)
    rgb, depth = twin_rig.camera.read_rgbd()
    assert rgb.shape[:2] == depth.shape and depth.dtype == np.float32
    cam = twin_rig.camera.camera
    u, v, d_obj = cam.world_to_pixel(twin_rig.cell.object_position())
    table = np.median(depth[depth > 0])
    assert depth[int(v), int(u)] < table - 0.01  # the object stands above the table where the colour shows it
    # the table is where the camera model says: z = 0 at the border pixels, within the noise
    z = [cam.pixel_to_world(c, r, float(depth[r, c]))[2] for r, c in ((5, 5), (5, 314), (314, 5), (314, 314))]
    assert np.abs(z).max() < 0.004


def test_the_twin_depth_has_stereo_noise_and_holes_at_edges_only(twin_rig):
    from simgrasp.sim.camera import render

    twin_rig.cell.reset_scene(2)
    cam = twin_rig.camera
    with twin_rig.cell.lock:
        perfect = render(twin_rig.cell.world, cam.camera, cam._render_cfg).perfect_depth
    _, a = cam.read_rgbd()
    _, b = cam.read_rgbd()
    holes = a == 0
    gy, gx = np.gradient(perfect)
    near_edge = np.hypot(gx, gy) > 0.005
    assert holes.any() and not (holes & ~near_edge).any()
    ok = ~holes & ~near_edge
    noise = (a - perfect)[ok]
    assert 0.0002 < noise.std() < 0.002  # sigma 2 mm at 1 m, times 0.56^2
    assert not np.array_equal(a, b)  # a new frame, new noise


def test_a_scene_with_a_drawn_look_brings_its_own_depth_noise(twin_rig, monkeypatch):
    from types import SimpleNamespace

    twin_rig.cell.reset_scene(2)
    look = SimpleNamespace(light=SimpleNamespace(render_kwargs=lambda: {}),
                           depth_noise=SimpleNamespace(sigma_m=0.0, edge_dropout=0.0))
    monkeypatch.setattr(twin_rig.cell.scene, "spec", SimpleNamespace(appearance=look))  # what the camera reads of it
    _, depth = twin_rig.camera.read_rgbd()
    assert (depth > 0).all()  # no dropout, no holes
