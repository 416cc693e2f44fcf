import numpy as np
import pytest

from simgrasp.geometry import Intrinsics
from simgrasp.geometry.lens import RadialLens

K = Intrinsics(320, 240, 400.0, 410.0, 161.0, 118.5)


def test_undistort_inverts_distort():
    lens = RadialLens(-0.3, 0.1)
    x, y = np.meshgrid(np.linspace(-0.4, 0.4, 9), np.linspace(-0.3, 0.3, 7))
    xd, yd = lens.distort(x, y)
    assert np.abs(xd - x).max() > 1e-2  # the lens moves points ...
    xu, yu = lens.undistort(xd, yd)
    assert np.abs(xu - x).max() < 1e-9 and np.abs(yu - y).max() < 1e-9  # ... and undistort puts them back


def test_a_perfect_lens_changes_nothing():
    lens = RadialLens()
    uv = np.array([[3.0, 7.0], [300.0, 200.0]])
    assert lens.perfect and lens.undistort_pixels(K, uv) == pytest.approx(uv)
    mu, mv = lens.source_map(K)
    assert mu[5, 7] == 7.0 and mv[5, 7] == 5.0


def test_the_source_map_points_at_where_the_sensor_sees_each_ideal_pixel():
    lens = RadialLens(-0.25, 0.0)
    mu, mv = lens.source_map(K)
    assert mu.shape == (240, 320) and mu.dtype == np.float32
    seen = np.array([[mu[20, 300], mv[20, 300]]], dtype=np.float64)
    assert lens.undistort_pixels(K, seen)[0] == pytest.approx([300.0, 20.0], abs=1e-3)
    assert seen[0, 0] < 300.0  # barrel: the sensor sees a corner pixel closer to the centre
