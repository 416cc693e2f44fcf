"""The cell camera's model from a calibration: homography or pinhole, and the undistortion."""

import numpy as np
import pytest

from simgrasp.config import override
from simgrasp.geometry import GraspRect, PinholeCamera
from simgrasp.geometry.homography import HomographyCamera
from simgrasp.geometry.lens import RadialLens
from simgrasp.robots.cell_camera import Undistortion, camera_model, lens, pinhole_model
from simgrasp.robots.config import RobotConfig, load_robot_config

# A camera 600 mm above user (400, 0), looking straight down (W = 180), 640 x 480.
PINHOLE = {"intrinsics": [600.0, 600.0, 319.5, 239.5], "camera_pose_mm": [400.0, 0.0, 600.0, 180.0, 0.0, 0.0],
           "width": 640, "height": 480, "n_points": 60}


def pinhole_cfg(**calibration) -> RobotConfig:
    return override(RobotConfig(), {"calibration": {**PINHOLE, **calibration}}, "test")


def test_a_homography_calibration_gives_a_homography_camera(example_config):
    cam = camera_model(load_robot_config(example_config))
    assert isinstance(cam, HomographyCamera) and Undistortion.of(load_robot_config(example_config)) is None


def test_a_3d_calibration_gives_a_pinhole_camera_in_the_user_frame_in_metres():
    cam = camera_model(pinhole_cfg())
    assert isinstance(cam, PinholeCamera) and (cam.width, cam.height) == (640, 480)
    assert cam.T_world_cam[:3, 3] == pytest.approx([0.4, 0.0, 0.6])
    assert cam.pixel_on_plane(319.5, 239.5, 0.0) == pytest.approx([0.4, 0.0, 0.0])
    # the grasp height comes from depth: 20 mm below the top seen, never under grasp_height_mm
    depth = np.full((480, 640), 0.6, np.float32)
    depth[200:280, 280:360] = 0.56  # a box 40 mm high
    g = GraspRect(319.5, 239.5, 0.0, 30.0, 10.0)
    assert cam.image_to_world(g, depth).z_m == pytest.approx(0.020)
    assert cam.image_to_world(g, np.full((480, 640), 0.6, np.float32)).z_m == pytest.approx(0.015)
    assert cam.image_to_world(g, None).z_m == pytest.approx(0.015)  # no depth: the fixed height


def test_a_pinhole_without_its_pose_is_refused():
    with pytest.raises(ValueError, match="camera_pose_mm"):
        camera_model(pinhole_cfg(camera_pose_mm=[]))
    with pytest.raises(ValueError, match="calibrate"):
        camera_model(RobotConfig())


def test_undistortion_maps_the_seen_frame_onto_the_ideal_pinhole_image():
    cfg = pinhole_cfg(distortion=[-0.3, 0.0])
    k, barrel = pinhole_model(cfg).intrinsics, lens(cfg)
    assert barrel == RadialLens(-0.3, 0.0)
    # a dot where the ideal pinhole sees (600, 60) is seen through the lens closer to the centre
    seen_u, seen_v = barrel.source_map(k)[0][60, 600], barrel.source_map(k)[1][60, 600]
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[int(round(seen_v)) - 2 : int(round(seen_v)) + 3, int(round(seen_u)) - 2 : int(round(seen_u)) + 3] = 255
    depth = np.full((480, 640), 0.6, np.float32)
    ideal, d = Undistortion.of(cfg).apply(rgb, depth)
    vs, us = np.nonzero(ideal[:, :, 0] > 128)
    assert (us.mean(), vs.mean()) == pytest.approx((600.0, 60.0), abs=1.0)
    assert d.dtype == np.float32 and set(np.unique(d)) <= {0.0, np.float32(0.6)}  # nearest: no invented depths
    _, d = Undistortion.of(pinhole_cfg(distortion=[0.3, 0.0])).apply(rgb, depth)
    assert d[0, 0] == 0.0 and d[240, 320] == np.float32(0.6)  # a pincushion lens: the corners were never seen


def test_a_perfect_lens_leaves_frames_as_they_are():
    cfg = pinhole_cfg()
    rgb = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    out, d = Undistortion.of(cfg).apply(rgb, None)
    assert out is rgb and d is None
