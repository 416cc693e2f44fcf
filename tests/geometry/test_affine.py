import numpy as np

from simgrasp.geometry import GraspRect
from simgrasp.geometry.affine import invert_affine, resize_affine, transform_grasps


def test_a_rotation_and_scale_carry_the_jaws_along():
    a = np.deg2rad(30.0)
    m = np.array([[0.5 * np.cos(a), -0.5 * np.sin(a), 10.0], [0.5 * np.sin(a), 0.5 * np.cos(a), -4.0]])
    src = np.array([[40.0, 30.0, 20.0, 16.0, 6.0]])
    dst = transform_grasps(src, m)[0]
    ends = GraspRect.from_array(src[0]).jaw_endpoints() @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(GraspRect.from_array(dst).jaw_endpoints(), ends, atol=1e-4)
    np.testing.assert_allclose(dst[2:], [50.0, 8.0, 3.0], atol=1e-4)


def test_mirror_flips_the_angle():
    m = np.array([[-1.0, 0.0, 99.0], [0.0, 1.0, 0.0]])
    g = transform_grasps(np.array([[10.0, 20.0, 30.0, 10.0, 5.0]]), m)
    np.testing.assert_allclose(g[0], [89.0, 20.0, -30.0, 10.0, 5.0], atol=1e-4)


def test_letterbox_and_its_inverse():
    m = resize_affine((100, 200), 50)  # a 200 x 100 image into a 50 px square
    np.testing.assert_allclose(m, [[0.25, 0.0, 24.5 - 0.25 * 99.5], [0.0, 0.25, 24.5 - 0.25 * 49.5]])
    inv = invert_affine(m)
    np.testing.assert_allclose(inv[:, :2], np.eye(2) * 4.0)
    corners = np.array([[0.0, 0.0, 1.0], [199.0, 99.0, 1.0]])
    np.testing.assert_allclose((np.vstack([inv, [0, 0, 1]]) @ np.vstack([m, [0, 0, 1]]) @ corners.T).T, corners)
