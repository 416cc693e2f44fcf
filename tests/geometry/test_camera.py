import numpy as np
import pytest

from simgrasp.geometry import GraspRect, Intrinsics, PinholeCamera, WorldGrasp, look_down_pose


def make_camera() -> PinholeCamera:
    return PinholeCamera(Intrinsics.from_fov(320, 320, 40.0), look_down_pose(0.0, 0.0, 0.7))


def test_pixel_world_round_trip():
    cam = make_camera()
    p = np.array([0.05, -0.03, 0.02])
    u, v, d = cam.world_to_pixel(p)
    np.testing.assert_allclose(cam.pixel_to_world(u, v, d), p, atol=1e-12)
    assert d == pytest.approx(0.68)


def test_image_axes_map_to_world_axes():
    cam = make_camera()
    centre = cam.pixel_on_plane(160, 160, 0.0)
    right = cam.pixel_on_plane(200, 160, 0.0)
    down = cam.pixel_on_plane(160, 200, 0.0)
    np.testing.assert_allclose(centre[:2], [0, 0], atol=1e-12)
    assert right[0] > 0 and abs(right[1]) < 1e-12  # image right = world +x
    assert down[1] < 0 and abs(down[0]) < 1e-12  # image down = world -y


def test_grasp_round_trip_without_depth():
    cam = make_camera()
    g = GraspRect(180.0, 140.0, 30.0, 60.0, 20.0)
    wg = cam.image_to_world(g)
    assert wg.z_m == pytest.approx(cam.table_height_m + cam.min_clearance_m)
    assert wg.yaw_rad == pytest.approx(np.deg2rad(-30.0))  # image y is down, world y is up
    back = cam.world_to_image(wg)
    np.testing.assert_allclose(back.as_array(), g.as_array(), atol=1e-6)


def test_grasp_height_uses_depth_under_the_rectangle():
    cam = make_camera()
    depth = np.full((320, 320), 0.7, np.float32)  # table at z=0
    depth[150:170, 150:170] = 0.64  # a 6 cm tall box in the middle
    wg = cam.image_to_world(GraspRect(160, 160, 0, 40, 10), depth)
    assert wg.z_m == pytest.approx(0.06 - cam.grasp_depth_m, abs=1e-6)
    # Far from the box, only the table is under the rectangle: clearance height.
    wg2 = cam.image_to_world(GraspRect(40, 40, 0, 20, 10), depth)
    assert wg2.z_m == pytest.approx(cam.min_clearance_m, abs=1e-6)


def test_opening_scales_with_pixels():
    cam = make_camera()
    a = cam.image_to_world(GraspRect(160, 160, 0, 40, 10))
    b = cam.image_to_world(GraspRect(160, 160, 0, 80, 10))
    assert b.opening_m == pytest.approx(2 * a.opening_m)


def test_dict_round_trip_and_bad_depth():
    cam = make_camera()
    cam2 = PinholeCamera.from_dict(cam.to_dict())
    g = GraspRect(100, 200, -45, 50, 15)
    assert cam2.image_to_world(g) == cam.image_to_world(g)
    with pytest.raises(ValueError, match="depth image must be"):
        cam.image_to_world(g, np.zeros((10, 10)))
    assert isinstance(WorldGrasp(0, 0, 0, 0, 0.05, 0.02).to_dict()["opening_m"], float)
