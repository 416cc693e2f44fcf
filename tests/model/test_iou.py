import numpy as np

from simgrasp.geometry import GraspRect, jaccard_match, rect_iou
from simgrasp.model.iou import corners_batch, jaccard_match_batch, rect_iou_pairs


def _random_rects(rng, n):
    return np.column_stack(
        [rng.uniform(0, 40, n), rng.uniform(0, 40, n), rng.uniform(-90, 90, n), rng.uniform(5, 40, n), rng.uniform(3, 20, n)]
    )


def test_pairwise_iou_matches_the_reference():
    rng = np.random.default_rng(0)
    a, b = _random_rects(rng, 400), _random_rects(rng, 400)
    got = rect_iou_pairs(a, b)
    want = [rect_iou(GraspRect.from_array(x), GraspRect.from_array(y)) for x, y in zip(a, b)]
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert (got > 0).sum() > 100  # the sample holds real overlaps, not only disjoint pairs


def test_special_cases():
    r = np.array([[10.0, 10.0, 0.0, 20.0, 10.0]])
    np.testing.assert_allclose(rect_iou_pairs(r, r), [1.0])
    np.testing.assert_allclose(rect_iou_pairs(r, r + [0, 0, 180.0, 0, 0]), [1.0])  # a half turn
    np.testing.assert_allclose(rect_iou_pairs(r, r + [100.0, 0, 0, 0, 0]), [0.0])
    inner = np.array([[10.0, 10.0, 0.0, 10.0, 5.0]])
    np.testing.assert_allclose(rect_iou_pairs(r, inner), [0.25])
    assert corners_batch(r).shape == (1, 4, 2)


def test_batched_jaccard_matches_the_reference():
    rng = np.random.default_rng(1)
    preds, truths = _random_rects(rng, 200), _random_rects(rng, 15)
    got = jaccard_match_batch(preds, truths, 0.25, 15.0)
    tr = [GraspRect.from_array(t) for t in truths]
    want = [jaccard_match(GraspRect.from_array(p), tr, 0.25, 15.0) for p in preds]
    np.testing.assert_array_equal(got, want)
    assert 0 < got.sum() < len(got)
    assert not jaccard_match_batch(preds, np.zeros((0, 5))).any()
