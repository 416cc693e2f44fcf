"""Label maps drawn from grasp rectangles: the middle third of each, as released."""

import numpy as np

from simgrasp.model.maps.targets import draw_maps


def test_the_middle_third_of_a_rectangle_is_marked_with_its_angle_and_opening():
    maps = draw_maps(np.array([[40.0, 30.0, 0.0, 30.0, 10.0]]), 64, 150.0)
    quality, cos, sin, width = maps
    rows, cols = np.nonzero(quality)
    # Pixel centres within w/6 = 5 px along the opening (x) and h/2 = 5 px across (y).
    assert (cols.min(), cols.max(), rows.min(), rows.max()) == (35, 45, 25, 35)
    inside = quality == 1
    assert np.allclose(cos[inside], 1.0) and np.allclose(sin[inside], 0.0) and np.allclose(width[inside], 30 / 150)
    assert np.allclose(cos[~inside], 1.0) and np.allclose(sin[~inside], 0.0) and np.all(width[~inside] == 0)


def test_angles_turn_the_marked_region_and_double_in_the_maps():
    maps = draw_maps(np.array([[32.0, 32.0, 90.0, 30.0, 10.0]]), 64, 150.0)
    rows, cols = np.nonzero(maps[0])
    assert (cols.min(), cols.max(), rows.min(), rows.max()) == (27, 37, 27, 37)  # 10 x 10 either way
    tall = draw_maps(np.array([[32.0, 32.0, 90.0, 60.0, 4.0]]), 64, 150.0)[0]
    rows, cols = np.nonzero(tall)
    assert cols.max() - cols.min() == 4 and rows.max() - rows.min() == 20  # the opening runs along y
    diagonal = draw_maps(np.array([[32.0, 32.0, 45.0, 30.0, 10.0]]), 64, 150.0)
    inside = diagonal[0] == 1
    assert np.allclose(diagonal[1][inside], 0.0, atol=1e-6) and np.allclose(diagonal[2][inside], 1.0)
    other = draw_maps(np.array([[32.0, 32.0, -45.0, 30.0, 10.0]]), 64, 150.0)
    assert np.allclose(other[2][other[0] == 1], -1.0)


def test_later_rectangles_overwrite_earlier_ones_and_openings_clip_at_the_scale():
    grasps = np.array([[32.0, 32.0, 0.0, 30.0, 10.0], [32.0, 32.0, 90.0, 300.0, 10.0], [np.nan, 5, 0, 10, 5]])
    maps = draw_maps(grasps, 64, 150.0)
    assert maps[3][32, 32] == 1.0 and np.isclose(maps[1][32, 32], -1.0)  # the second: 90 degrees, 300 px clipped
    assert np.isfinite(maps).all()


def test_rectangles_reaching_past_the_border_are_clipped():
    maps = draw_maps(np.array([[1.0, 1.0, 0.0, 30.0, 10.0], [200.0, 200.0, 0.0, 30.0, 10.0]]), 32, 150.0)
    rows, cols = np.nonzero(maps[0])
    assert rows.min() == 0 and cols.min() == 0 and rows.max() == 6 and cols.max() == 6
