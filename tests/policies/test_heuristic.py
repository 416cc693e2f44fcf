"""The heuristic in clutter: connected objects from depth, the highest one grasped."""

import numpy as np
import pytest

from simgrasp.backends.base import Observation
from simgrasp.geometry import Intrinsics, PinholeCamera, look_down_pose
from simgrasp.policies import policy_rng
from simgrasp.policies.heuristic import HeuristicPolicy, height_above_table, highest_blob, object_blobs


def _obs(depth: np.ndarray) -> Observation:
    h, w = depth.shape
    cam = PinholeCamera(Intrinsics.from_fov(w, h, 30.0), look_down_pose(0.0, 0.0, 0.6))
    return Observation(np.zeros((h, w, 3), np.uint8), depth.astype(np.float32), cam)


def test_two_boxes_are_two_objects_and_the_higher_is_taken():
    depth = np.full((80, 100), 0.6)
    depth[20:40, 10:30] -= 0.02  # low, large box
    depth[50:60, 60:90] -= 0.05  # high bar, 30 px along x
    blobs = object_blobs(height_above_table(depth) > 0.004)
    assert [int(b.sum()) for b in blobs] == [400, 300]
    top = highest_blob(blobs, height_above_table(depth))
    assert top[55, 75] and not top[30, 20]
    d = HeuristicPolicy().act(_obs(depth), policy_rng(0))
    assert (d.grasp.x, d.grasp.y) == pytest.approx((74.5, 54.5))
    assert abs(abs(d.grasp.theta_deg) - 90.0) < 1e-6  # across the bar
    assert d.info["objects_seen"] == 2


def test_one_object_gives_the_grasp_of_the_largest_blob():
    depth = np.full((80, 100), 0.6)
    depth[20:40, 10:50] -= 0.03
    depth[70:72, 90:92] -= 0.03  # 4 px of noise, below min_area_px
    d = HeuristicPolicy().act(_obs(depth), policy_rng(0))
    assert (d.grasp.x, d.grasp.y) == pytest.approx((29.5, 29.5)) and d.info["objects_seen"] == 1


def test_nothing_above_the_table_is_an_error():
    with pytest.raises(ValueError, match="no object found"):
        HeuristicPolicy().act(_obs(np.full((40, 40), 0.6)), policy_rng(0))
