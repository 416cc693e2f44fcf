"""Scorer labels from the grasps tried in simulation (simgrasp.model.targets.simulation_targets)."""

import numpy as np
import pytest

from simgrasp.model.targets import SimMatch, simulation_targets

TESTED = np.array(
    [
        [100, 100, 0, 60, 20],  # success
        [100, 100, 90, 60, 20],  # failure, the other way round
        [200, 50, 45, 40, 20],  # failure
    ],
    np.float32,
)
SUCCESS = np.array([True, False, False])


def _labels(preds, tested=TESTED, success=SUCCESS, match=SimMatch()):
    return simulation_targets(np.asarray(preds, np.float32), tested, success, match)


def test_close_predictions_take_the_outcome_and_others_are_unknown():
    labels, known = _labels(
        [
            [102, 99, 10, 62, 15],  # near the success (jaw size not compared)
            [101, 100, -85, 60, 20],  # near the failure: 95 deg from the first, 5 from the second (mod 180)
            [199, 52, 40, 45, 20],  # near the third
            [110, 100, 0, 60, 20],  # 10 px off: no match
            [100, 100, 30, 60, 20],  # 30 deg off both: no match
        ]
    )
    assert known.tolist() == [True, True, True, False, False]
    assert labels.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert labels.dtype == np.float32


def test_a_narrower_opening_never_inherits_a_success():
    # 10 % narrower is inside the window, 20 % narrower is not; 25 % wider still matches.
    labels, known = _labels([[100, 100, 0, 54.5, 20], [100, 100, 0, 48, 20], [100, 100, 0, 75, 20], [100, 100, 0, 80, 20]])
    assert known.tolist() == [True, False, True, False]
    assert labels[known].tolist() == [1.0, 1.0]


def test_the_nearest_match_wins():
    tested = np.array([[100, 100, 0, 60, 20], [103, 100, 0, 60, 20]], np.float32)
    ok = np.array([False, True])
    labels, known = _labels([[102.6, 100, 0, 60, 20], [100.4, 100, 0, 60, 20]], tested, ok)
    assert known.all() and labels.tolist() == [1.0, 0.0]
    # Opening counts in the distance too: same centre and angle, the closer opening decides.
    tested = np.array([[100, 100, 0, 60, 20], [100, 100, 0, 70, 20]], np.float32)
    labels, known = _labels([[100, 100, 0, 69, 20], [100, 100, 0, 61, 20]], tested, ok)
    assert labels.tolist() == [1.0, 0.0]


def test_empty_inputs_and_bad_shapes():
    labels, known = _labels([[100, 100, 0, 60, 20]], np.zeros((0, 5), np.float32), np.zeros(0, bool))
    assert labels.tolist() == [0.0] and known.tolist() == [False]
    labels, known = _labels(np.zeros((0, 5)))
    assert labels.shape == known.shape == (0,)
    with pytest.raises(ValueError, match="one outcome per tested grasp.*3 grasps and 2 outcomes"):
        _labels([[100, 100, 0, 60, 20]], TESTED, SUCCESS[:2])
    # A degenerate tested opening matches nothing rather than dividing by zero.
    bad = np.array([[100, 100, 0, 0, 20]], np.float32)
    _, known = _labels([[100, 100, 0, 60, 20]], bad, np.array([True]))
    assert not known.any()
