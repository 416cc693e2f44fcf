"""Decoding maps into grasps: smoothing, peaks as scikit-image finds them, rectangles."""

import numpy as np
import pytest

from simgrasp.geometry import angle_diff_deg
from simgrasp.model.maps.decode import DecodeConfig, decode_maps, find_peaks, smooth_maps
from simgrasp.model.maps.targets import draw_maps


def test_drawn_rectangles_decode_back():
    # Middle thirds small enough that the smoothed quality peaks at their centres (a larger
    # one is a plateau of 1.0, whose first pixel in raster order is the peak, as released).
    truths = np.array([[150.0, 120.0, 30.0, 42.0, 12.0], [80.0, 220.0, -60.0, 45.0, 14.0], [230.0, 70.0, 88.0, 36.0, 10.0]])
    grasps, quality = decode_maps(draw_maps(truths, 300, 150.0), 150.0, jaw_px=12.0)
    assert len(grasps) == 3 and np.all(np.diff(quality) <= 0)
    for t in truths:
        g = grasps[np.argmin(np.hypot(*(grasps[:, :2] - t[:2]).T))]
        assert np.hypot(*(g[:2] - t[:2])) <= 1.0
        assert abs(angle_diff_deg(g[2], t[2])) < 2.0  # the angle map is smoothed with the 0 around it, as released
        assert g[3] == pytest.approx(t[3], abs=1.0) and g[4] == 12.0


def test_angles_come_from_half_the_angle_of_cos_and_sin():
    maps = np.zeros((4, 16, 16))
    maps[1], maps[2] = np.cos(np.deg2rad(2 * 70)), np.sin(np.deg2rad(2 * 70))
    _, angle, width = smooth_maps(maps, 150.0)
    assert np.allclose(np.degrees(angle), 70.0)
    maps[3] = 0.5
    assert np.allclose(smooth_maps(maps, 150.0)[2], 75.0)


def _brute_force_peaks(q, d, threshold):
    """The peaks by definition: maxima of their (2d+1) window (edges replicated), above the
    threshold, at least d from the border, best first, none closer than d to a better one."""
    s = q.shape[0]
    padded = np.pad(q, d, mode="edge")
    cands = [(q[r, c], r, c) for r in range(d, s - d) for c in range(d, s - d)
             if q[r, c] > threshold and q[r, c] == padded[r : r + 2 * d + 1, c : c + 2 * d + 1].max()]
    kept = []
    for _, r, c in sorted(cands, key=lambda t: -t[0]):
        if all(max(abs(r - a), abs(c - b)) >= d for a, b in kept):
            kept.append((r, c))
    return kept


@pytest.mark.parametrize("seed", range(3))
def test_peaks_are_those_the_definition_gives(seed):
    from scipy import ndimage

    q = ndimage.gaussian_filter(np.random.default_rng(seed).random((48, 48)), 2.0)
    for d, threshold in ((5, 0.5), (3, 0.45), (8, 0.0)):
        assert [tuple(p) for p in find_peaks(q, d, threshold)] == _brute_force_peaks(q, d, threshold)


def test_peaks_near_the_border_below_the_threshold_or_near_a_better_one_are_left_out():
    q = np.zeros((100, 130))
    q[50, 50], q[50, 60], q[50, 85], q[10, 50], q[30, 30] = 0.9, 0.8, 0.7, 1.0, 0.2
    # (50, 60) is within 20 px of a better one, (10, 50) within 20 px of the border, (30, 30) not above 0.2.
    assert find_peaks(q, 20, 0.2).tolist() == [[50, 50], [50, 85]]
    assert find_peaks(q, 20, 0.2, exclude_border=False).tolist() == [[10, 50], [50, 50], [50, 85]]
    assert find_peaks(q, 20, 0.2, max_peaks=1).tolist() == [[50, 50]]
    plateau = np.zeros((60, 60))
    plateau[25:35, 25:35] = 0.5  # every pixel a maximum of its window: the first one stands for all
    assert find_peaks(plateau, 5, 0.2).tolist() == [[25, 25], [25, 30], [30, 25], [30, 30]]


def test_no_peak_gives_no_grasp_unless_the_maximum_is_asked_for():
    maps = np.zeros((4, 64, 64))
    maps[0, 40, 20], maps[3] = 0.1, 0.2
    assert decode_maps(maps, 150.0, 10.0)[0].shape == (0, 5)
    grasps, quality = decode_maps(maps, 150.0, 10.0, DecodeConfig(fallback=True))
    assert grasps[0, :2].tolist() == [20.0, 40.0] and len(quality) == 1
    maps[3] = -1.0  # an untrained width map
    assert decode_maps(maps, 150.0, 10.0, DecodeConfig(fallback=True, min_width_px=2.0))[0][0, 3] == 2.0
    with pytest.raises(ValueError, match=r"expected maps \(4, S, S\)"):
        decode_maps(maps[:3], 150.0, 10.0)
