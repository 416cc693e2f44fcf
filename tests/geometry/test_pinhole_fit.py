import numpy as np
import pytest

from simgrasp.geometry import Intrinsics, PinholeCamera, look_down_pose
from simgrasp.geometry.frames import wpr_matrix
from simgrasp.geometry.lens import RadialLens
from simgrasp.geometry.pinhole_fit import (
    PinholeFit, decompose_projection, fit_pinhole, fit_projection, plane_errors, reprojection_errors_px,
)

K_TRUE = Intrinsics(320, 320, 648.0, 652.0, 161.5, 157.0)
T_TRUE = look_down_pose(0.015, -0.01, 0.56) @ wpr_matrix(0, 0, 0, 2.5, -3.0, 4.0)  # tilted, offset


def truth(k1: float = 0.0, k2: float = 0.0) -> PinholeFit:
    return PinholeFit(PinholeCamera(K_TRUE, T_TRUE), RadialLens(k1, k2), 0.0)


def ball_positions(heights=(0.015, 0.065, 0.115), n=5) -> np.ndarray:
    g = np.linspace(-0.1, 0.1, n)
    return np.array([(x, y, z) for z in heights for x in g for y in g])


def held_out(n=40, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).uniform((-0.1, -0.1, 0.015), (0.1, 0.1, 0.015), (n, 3))


def test_the_dlt_recovers_a_perfect_camera_exactly():
    X = ball_positions()
    K, T_cam_world = decompose_projection(fit_projection(X, truth().project(X)))
    assert K == pytest.approx(K_TRUE.matrix(), abs=1e-6)
    assert np.linalg.inv(T_cam_world) == pytest.approx(T_TRUE, abs=1e-9)


@pytest.mark.parametrize("k1, k2", [(0.0, 0.0), (-0.3, 0.1)])
def test_a_fit_with_the_lens_recovers_intrinsics_pose_and_distortion(k1, k2):
    X = ball_positions()
    px = truth(k1, k2).project(X) + np.random.default_rng(0).normal(0, 0.05, (len(X), 2))  # centroid noise
    fit = fit_pinhole(X, px, 320, 320, distortion=True)
    k = fit.camera.intrinsics
    assert [k.fx, k.fy, k.cx, k.cy] == pytest.approx([K_TRUE.fx, K_TRUE.fy, K_TRUE.cx, K_TRUE.cy], abs=3.0)
    assert fit.lens.k1 == pytest.approx(k1, abs=0.03)
    assert np.abs(fit.camera.T_world_cam[:3, 3] - T_TRUE[:3, 3]).max() < 0.003  # metres
    assert fit.rms_px < 0.1
    Xh = held_out()
    assert reprojection_errors_px(fit, Xh, truth(k1, k2).project(Xh)).mean() < 0.05
    assert plane_errors(fit, Xh, truth(k1, k2).project(Xh)).mean() < 0.0001  # 0.1 mm at the grasp plane


def test_without_the_lens_a_distorted_camera_is_fitted_worse():
    X, Xh, cam = ball_positions(), held_out(), truth(-0.3, 0.1)
    on = fit_pinhole(X, cam.project(X), 320, 320, distortion=True)
    off = fit_pinhole(X, cam.project(X), 320, 320, distortion=False)
    assert off.lens.perfect and not on.lens.perfect
    err_on = plane_errors(on, Xh, cam.project(Xh)).mean()
    err_off = plane_errors(off, Xh, cam.project(Xh)).mean()
    assert err_off > 10 * err_on and err_off > 1e-4


def test_points_on_one_plane_or_too_few_are_refused():
    X = ball_positions(heights=(0.015,))
    with pytest.raises(ValueError, match="two or more heights"):
        fit_pinhole(X, truth().project(X), 320, 320)
    with pytest.raises(ValueError, match="at least 6"):
        fit_pinhole(ball_positions()[:5], truth().project(ball_positions()[:5]), 320, 320)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        fit_projection(np.zeros((8, 2)), np.zeros((8, 2)))


def test_on_plane_is_where_the_seen_pixel_meets_the_height():
    cam = truth(-0.2, 0.0)
    X = held_out(5)
    assert cam.on_plane(cam.project(X), X[:, 2]) == pytest.approx(X, abs=1e-9)
