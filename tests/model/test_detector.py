"""The detector's ranking rule and its depth input (simgrasp.model.detector)."""

import dataclasses

import numpy as np
import pytest
import torch

from simgrasp.model.detector import Detector, Prediction, rank
from simgrasp.model.network import GraspNet

PRIMARY = np.array([0.9, 0.8, 0.7, 0.1])
SCORER = np.array([0.2, 0.5, 0.3, 0.99])


def test_rank_all_or_the_primary_top_n():
    assert rank(PRIMARY, SCORER, "primary").tolist() == [0, 1, 2, 3]
    assert rank(PRIMARY, SCORER, "scorer").tolist() == [3, 1, 2, 0]  # the paper: all grasps
    assert rank(PRIMARY, SCORER, "scorer", 2).tolist() == [1, 0, 2, 3]  # the scorer within the top 2
    assert rank(PRIMARY, SCORER, "scorer", 3).tolist() == [1, 2, 0, 3]
    assert rank(PRIMARY, SCORER, "scorer", 10).tolist() == [3, 1, 2, 0]
    with pytest.raises(ValueError, match="scorer_candidates must be 0"):
        rank(PRIMARY, SCORER, "scorer", -1)
    with pytest.raises(ValueError, match="score must be one of"):
        rank(PRIMARY, SCORER, "best")


def test_detect_follows_scorer_candidates(net):
    image = np.random.default_rng(0).integers(0, 255, (80, 80, 3), np.uint8)
    pred = Detector(net).predict(image)[0]
    top = Detector(net, scorer_candidates=5).detect(image, top_k=5)[0]
    best5 = np.argsort(-pred.primary, kind="stable")[:5]
    assert sorted(s for _, s in top) == pytest.approx(sorted(pred.scorer[best5]))
    with pytest.raises(ValueError, match="scorer_candidates"):
        Detector(net, scorer_candidates=-2)


def test_a_depth_network_needs_depth_of_the_right_size(small):
    torch.manual_seed(0)
    det = Detector(GraspNet(dataclasses.replace(small, input="rgbd")))
    rgb = np.zeros((60, 80, 3), np.uint8)
    depth = np.full((60, 80), 0.7, np.float32)
    depth[20:40, 30:50] = 0.65
    assert det.needs_depth
    with pytest.raises(ValueError, match="reads input 'rgbd': expected a depth image"):
        det.predict(rgb)
    with pytest.raises(ValueError, match=r"depth 0: expected a depth image of shape \(60, 80\)"):
        det.predict(rgb, np.zeros((10, 10)))
    a, b = det.predict(rgb, depth)[0], det.predict(rgb, depth + 0.3)[0]  # camera 30 cm higher
    np.testing.assert_allclose(a.scorer, b.scorer, atol=1e-6)
    c = det.predict(rgb, np.full((60, 80), 0.7, np.float32))[0]
    assert not np.allclose(a.primary, c.primary, atol=1e-7)  # the depth reaches the network


def test_samples_pass_their_depth_when_the_network_reads_it(small, tried):
    from simgrasp.model.metrics import jaccard_accuracy

    torch.manual_seed(0)
    det = Detector(GraspNet(dataclasses.replace(small, input="depth")))
    samples = [tried[0], tried[1]]
    preds = det.predict_samples(samples)
    assert len(preds) == 2 and preds[0].scorer.shape == (4 * 4 * 6,)
    np.testing.assert_array_equal(preds[0].primary, det.predict(samples[0].rgb, samples[0].depth)[0].primary)
    assert jaccard_accuracy(det, tried, limit=2)["n"] == 2


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


def test_an_image_of_the_input_size_goes_in_as_the_warp_gives_it(small, monkeypatch):
    """Such an image is not warped (the letterbox map is the identity): the same network input."""
    import simgrasp.model.detector as detector
    from simgrasp.geometry.affine import resize_affine
    from simgrasp.model.augment import apply_affine
    from simgrasp.model.inputs import height_above_table, stack_channels

    det = Detector(GraspNet(dataclasses.replace(small, input="rgbd")))
    s = det.config.input_size
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 255, (s, s, 3), np.uint8)
    depth = rng.uniform(0.4, 0.6, (s, s)).astype(np.float32)
    m = resize_affine((s, s), s)
    none = np.zeros((0, 5), np.float32)
    warped = stack_channels(apply_affine(rgb, none, m, s)[0], apply_affine(height_above_table(depth), none, m, s)[0], "rgbd")
    warps = []
    monkeypatch.setattr(detector, "apply_affine", lambda *a: warps.append(1) or apply_affine(*a))
    assert np.array_equal(det._network_input(rgb, depth, m), warped) and not warps
    other = resize_affine((s + 10, s), s)  # a size that does warp still does
    tall = rng.integers(0, 255, (s + 10, s, 3), np.uint8)
    tall_depth = rng.uniform(0.4, 0.6, (s + 10, s)).astype(np.float32)
    want = stack_channels(apply_affine(tall, none, other, s)[0],
                          apply_affine(height_above_table(tall_depth), none, other, s)[0], "rgbd")
    assert np.array_equal(det._network_input(tall, tall_depth, other), want) and len(warps) == 2
