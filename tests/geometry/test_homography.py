import numpy as np
import pytest

from simgrasp.geometry import CameraModel, GraspRect, WorldGrasp
from simgrasp.geometry.homography import (
    HomographyCamera,
    apply_homography,
    fit_homography,
    reprojection_errors,
)

# A camera 1 m above the table, slightly tilted and rotated: pixels -> robot XY in mm.
H_TRUE = np.array([[0.0, -1.05, 700.0], [-1.02, 0.03, 330.0], [1e-5, -2e-5, 1.0]])


def grid_pixels(n: int = 5) -> np.ndarray:
    u, v = np.meshgrid(np.linspace(40, 600, n), np.linspace(30, 450, n))
    return np.c_[u.ravel(), v.ravel()]


def test_fit_recovers_known_homography():
    px = grid_pixels()
    xy = apply_homography(H_TRUE, px)
    H = fit_homography(px, xy)
    np.testing.assert_allclose(H, H_TRUE / H_TRUE[2, 2], rtol=1e-7, atol=1e-9)
    assert reprojection_errors(H, px, xy).max() < 1e-6  # mm


def test_four_pairs_are_enough():
    px = np.array([[10.0, 10], [600, 20], [620, 460], [15, 470]])
    H = fit_homography(px, apply_homography(H_TRUE, px))
    np.testing.assert_allclose(apply_homography(H, [[300, 200]]), apply_homography(H_TRUE, [[300, 200]]), atol=1e-6)


def test_noisy_pairs_give_a_sensible_error():
    rng = np.random.default_rng(0)
    px = grid_pixels(6)
    xy = apply_homography(H_TRUE, px) + rng.normal(0, 0.5, (len(px), 2))  # 0.5 mm per axis
    H = fit_homography(px, xy)
    err = reprojection_errors(H, px, xy)
    assert 0.2 < err.mean() < 1.0  # of the order of the noise, not zero, not wild
    # Away from the calibration points the fit still holds within a few noise sigmas.
    probe = np.array([[333.0, 222.0]])
    assert np.linalg.norm(apply_homography(H, probe) - apply_homography(H_TRUE, probe)) < 1.0


@pytest.mark.parametrize(
    "px, why",
    [
        (np.array([[0.0, 0], [1, 1], [2, 2]]), "at least 4"),
        (np.array([[0.0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]), "degenerate"),
    ],
)
def test_bad_point_sets_are_refused(px, why):
    with pytest.raises(ValueError, match=why):
        fit_homography(px, px * 2.0)


def make_camera() -> HomographyCamera:
    mm_to_m = np.diag([1e-3, 1e-3, 1.0])
    return HomographyCamera(mm_to_m @ H_TRUE, 640, 480, grasp_z_m=0.05)


def test_camera_satisfies_the_protocol_and_round_trips():
    cam = make_camera()
    assert isinstance(cam, CameraModel)
    g = GraspRect(320.0, 240.0, 25.0, 60.0, 20.0)
    wg = cam.image_to_world(g)
    assert wg.z_m == 0.05
    assert -np.pi / 2 <= wg.yaw_rad < np.pi / 2
    back = cam.world_to_image(wg)
    np.testing.assert_allclose(back.as_array(), g.as_array(), atol=1e-6)
    again = HomographyCamera.from_dict(cam.to_dict())
    assert again.image_to_world(g) == wg


def test_symmetric_angles_give_the_same_world_yaw():
    cam = make_camera()
    a = cam.image_to_world(GraspRect(300, 200, 80.0, 50, 20))
    b = cam.image_to_world(GraspRect(300, 200, -100.0, 50, 20))
    assert a.yaw_rad == pytest.approx(b.yaw_rad)


def test_opening_is_measured_in_metres_on_the_table():
    # 1 px = 1 mm, image x along world x, image y along world -y.
    cam = HomographyCamera(np.array([[1e-3, 0, 0], [0, -1e-3, 0.48], [0, 0, 1.0]]), 640, 480)
    wg = cam.image_to_world(GraspRect(100, 100, 90.0, 40, 10))
    assert wg.opening_m == pytest.approx(0.04)
    assert wg.jaw_m == pytest.approx(0.01)
    assert abs(wg.yaw_rad) == pytest.approx(np.pi / 2)  # image down = world -y, folded
    assert (wg.x_m, wg.y_m) == pytest.approx((0.1, 0.38))
    w = WorldGrasp(0.2, 0.2, 0.0, 0.0, 0.05, 0.01)
    assert cam.world_to_image(w).w == pytest.approx(50.0)


def test_invalid_matrix_is_refused():
    with pytest.raises(ValueError, match="invertible"):
        HomographyCamera(np.zeros((3, 3)), 10, 10)
