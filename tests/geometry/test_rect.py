import numpy as np
import pytest

from simgrasp.geometry import GraspRect, angle_diff_deg, jaccard_match, rect_iou, wrap_angle_deg


def test_identical_rectangles_have_iou_one():
    g = GraspRect(50, 40, 30, 60, 20)
    assert rect_iou(g, g) == pytest.approx(1.0)


def test_half_shifted_rectangles():
    a = GraspRect(0, 0, 0, 10, 4)
    b = GraspRect(5, 0, 0, 10, 4)  # overlap 5x4 = 20, union 60
    assert rect_iou(a, b) == pytest.approx(20 / 60)


def test_disjoint_rectangles_have_iou_zero():
    assert rect_iou(GraspRect(0, 0, 0, 10, 4), GraspRect(100, 0, 0, 10, 4)) == 0.0


def test_crossed_rectangles():
    # Two 10x2 bars crossing at right angles: intersection 2x2 = 4, union 36.
    assert rect_iou(GraspRect(0, 0, 0, 10, 2), GraspRect(0, 0, 90, 10, 2)) == pytest.approx(4 / 36)


def test_angle_wraps_at_180():
    assert angle_diff_deg(89, -89) == pytest.approx(2)
    assert angle_diff_deg(0, 180) == pytest.approx(0)
    assert angle_diff_deg(10, 370) == pytest.approx(0)
    assert wrap_angle_deg(90) == -90
    assert wrap_angle_deg(-91) == pytest.approx(89)
    # A rectangle turned by 180 degrees is the same rectangle.
    assert rect_iou(GraspRect(5, 5, 20, 30, 10), GraspRect(5, 5, 200, 30, 10)) == pytest.approx(1.0)


def test_jaccard_match_needs_both_overlap_and_angle():
    truth = [GraspRect(100, 100, 0, 60, 20)]
    assert jaccard_match(GraspRect(102, 101, 10, 55, 20), truth)
    assert not jaccard_match(GraspRect(100, 100, 45, 60, 20), truth)  # angle off by 45
    assert not jaccard_match(GraspRect(200, 100, 0, 60, 20), truth)  # no overlap
    assert jaccard_match(GraspRect(100, 100, 178, 60, 20), truth)  # 2 degrees modulo 180
    assert not jaccard_match(GraspRect(100, 100, 20, 60, 20), truth, angle_threshold_deg=15)


def test_corners_follow_theta_convention():
    # theta=90 puts the opening axis along +y (down in the image).
    g = GraspRect(0, 0, 90, 10, 2)
    ends = g.jaw_endpoints()
    np.testing.assert_allclose(ends, [[0, -5], [0, 5]], atol=1e-9)
    c = g.corners()
    assert np.ptp(c[:, 1]) == pytest.approx(10)
    assert np.ptp(c[:, 0]) == pytest.approx(2)


def test_array_round_trip_and_bad_length():
    g = GraspRect(1, 2, 3, 4, 5)
    assert GraspRect.from_array(g.as_array()) == g
    with pytest.raises(ValueError, match="expected 5 values"):
        GraspRect.from_array([1, 2, 3])
