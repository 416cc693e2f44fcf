import numpy as np
import pytest

from simgrasp.geometry import minor_axis_grasp


def test_minor_axis_of_a_bar():
    mask = np.zeros((100, 100), bool)
    mask[45:55, 20:80] = True  # 60 px along x, 10 px along y
    g = minor_axis_grasp(mask, margin_frac=0.0, margin_px=0.0)
    assert (g.x, g.y) == pytest.approx((49.5, 49.5))
    assert abs(abs(g.theta_deg) - 90.0) < 1e-6  # opening along image y, across the bar
    assert g.w == pytest.approx(10.0)
    assert g.h == pytest.approx(30.0)  # half the bar's length


def test_margins_and_a_tilted_bar():
    mask = np.zeros((100, 100), bool)
    mask[40:60, 10:90] = True
    g = minor_axis_grasp(mask, margin_frac=0.5, margin_px=4.0)
    assert g.w == pytest.approx(20.0 * 1.5 + 4.0)
    diag = np.eye(60, dtype=bool) | np.eye(60, k=1, dtype=bool)  # a bar along +45 degrees (y down)
    t = minor_axis_grasp(diag).theta_deg
    assert min(abs(t - (-45.0)), abs(t - 135.0)) < 1.0  # opening across it


def test_bad_masks_are_refused():
    with pytest.raises(ValueError, match="empty mask"):
        minor_axis_grasp(np.zeros((10, 10), bool))
    with pytest.raises(ValueError, match="2-D mask"):
        minor_axis_grasp(np.ones((2, 2, 2), bool))
