import numpy as np
import pytest

from simgrasp.geometry import GraspRect, InvalidGrasp, check_grasp, grasp_array, grasps_in_image


@pytest.mark.parametrize(
    "values, message",
    [
        ([True, False, True, True, True], "real numbers"),
        (np.array([1, 2, 3, 4, 5], complex), "real numbers"),
        (["1", "2", "3", "4", "5"], "real numbers"),
        ("x y t w h", "real numbers"),
        ([1, 2, [3], 4, 5], "real numbers"),
        ([1.0, 2.0, 3.0, 4.0], "shape"),
        (np.zeros((1, 5)), "shape"),
        ([np.nan, 1, 0, 5, 5], "finite"),
        ([1, 1, np.inf, 5, 5], "finite"),
    ],
)
def test_values_that_are_not_five_finite_reals_are_refused(values, message):
    with pytest.raises(InvalidGrasp, match=message):
        grasp_array(values)
    assert issubclass(InvalidGrasp, ValueError)


def test_integers_and_rects_are_accepted():
    np.testing.assert_array_equal(grasp_array([1, 2, 3, 4, 5]), [1.0, 2.0, 3.0, 4.0, 5.0])
    assert grasp_array(GraspRect(1, 2, 3, 4, 5)).dtype == np.float64


@pytest.mark.parametrize(
    "values, message",
    [
        ([-0.1, 5, 0, 5, 5], "outside the 40x20 image"),
        ([39.5, 5, 0, 5, 5], "x in \\[0, 39\\]"),  # past the last pixel's centre
        ([5, 19.01, 0, 5, 5], "y in \\[0, 19\\]"),
        ([5, 5, 0, 0, 5], "positive"),
        ([5, 5, 0, 5, -1], "positive"),
        ([5, 5, 0, 1e9, 5], "at most 100"),
    ],
)
def test_grasps_outside_the_image_or_without_size_are_refused(values, message):
    with pytest.raises(InvalidGrasp, match=message):
        check_grasp(values, 40, 20, max_size_px=100.0)


def test_a_grasp_on_the_last_pixel_is_executable():
    assert check_grasp([39, 19, 170.0, 5, 5], 40, 20) == GraspRect(39.0, 19.0, 170.0, 5.0, 5.0)
    assert check_grasp([0, 0, 0, 1e9, 5], 40, 20).w == 1e9  # no size bound unless asked for


def test_the_mask_agrees_with_the_check():
    rng = np.random.default_rng(0)
    g = np.column_stack([rng.uniform(-5, 45, 300), rng.uniform(-5, 25, 300), rng.uniform(-90, 90, 300),
                         rng.uniform(-2, 120, 300), rng.uniform(-2, 10, 300)])
    g[::17, 3] = np.nan
    mask = grasps_in_image(g, 40, 20, max_size_px=100.0)
    for row, ok in zip(g, mask):
        try:
            check_grasp(row, 40, 20, max_size_px=100.0)
            accepted = True
        except InvalidGrasp:
            accepted = False
        assert accepted == ok, row
    assert 0 < mask.sum() < len(mask)
