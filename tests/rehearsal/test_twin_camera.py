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
