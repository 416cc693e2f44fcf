import numpy as np
import pytest

from simgrasp.model.detector import Prediction


def _prediction() -> Prediction:
    grasps = np.array(
        [
            [10, 10, 0, 5, 5],  # inside
            [-1, 10, 0, 5, 5],  # centre left of the image
            [10, 10, 0, 0, 5],  # no opening
            [30, 19, 0, 5, 5],  # inside
            [10, 20, 0, 5, 5],  # centre below a 20-row image
        ],
        np.float32,
    )
    return Prediction(grasps, primary=np.array([0.1, 0.9, 0.8, 0.2, 0.7]), scorer=np.array([0.5, 0.4, 0.3, 0.5, 0.9]))


def test_ranked_orders_by_the_named_score_with_stable_ties():
    p = _prediction()
    np.testing.assert_array_equal(p.ranked("primary"), [1, 2, 4, 3, 0])
    np.testing.assert_array_equal(p.ranked("scorer"), [4, 0, 3, 1, 2])  # 0 before 3: equal scores keep order
    np.testing.assert_array_equal(p.ranked("scorer", top_k=2), [4, 0])


def test_ranked_inside_an_image_keeps_only_mappable_grasps():
    p = _prediction()
    np.testing.assert_array_equal(p.ranked("primary", image_size=(40, 20)), [3, 0])
    assert p.ranked("primary", image_size=(5, 5)).size == 0


def test_bad_ranking_arguments():
    with pytest.raises(ValueError, match="score must be one of"):
        _prediction().ranked("best")
    with pytest.raises(ValueError, match="top_k must be positive"):
        _prediction().ranked("scorer", top_k=0)
