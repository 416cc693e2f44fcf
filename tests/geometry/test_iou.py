import numpy as np
import pytest

from simgrasp.geometry import angle_diff_deg, corners_batch, jaccard_match_batch, rect_corners, rect_iou_pairs


def _random_rects(rng, n):
    return np.column_stack(
        [rng.uniform(0, 40, n), rng.uniform(0, 40, n), rng.uniform(-90, 90, n), rng.uniform(5, 40, n), rng.uniform(3, 20, n)]
    )


def _inside(rect: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Points (P, 2) inside one [x, y, theta_deg, w, h] rectangle, from its own axes."""
    x, y, t, w, h = rect
    t = np.deg2rad(t)
    d = pts - [x, y]
    along = d @ [np.cos(t), np.sin(t)]
    across = d @ [-np.sin(t), np.cos(t)]
    return (np.abs(along) <= w / 2) & (np.abs(across) <= h / 2)


def _raster_iou(a: np.ndarray, b: np.ndarray, step: float = 0.2) -> float:
    """IoU counted on a grid of points over both rectangles: an estimate independent of
    the polygon clipping."""
    reach = 0.5 * max(np.hypot(a[3], a[4]), np.hypot(b[3], b[4]))
    lo = np.minimum(a[:2], b[:2]) - reach
    hi = np.maximum(a[:2], b[:2]) + reach
    gx, gy = (np.arange(lo[i], hi[i], step) + step / 2 for i in (0, 1))
    pts = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    ia, ib = _inside(a, pts), _inside(b, pts)
    union = (ia | ib).sum()
    return float((ia & ib).sum() / union) if union else 0.0


def test_pairwise_iou_matches_a_raster_count():
    rng = np.random.default_rng(0)
    a, b = _random_rects(rng, 60), _random_rects(rng, 60)
    got = rect_iou_pairs(a, b)
    want = [_raster_iou(x, y) for x, y in zip(a, b)]
    np.testing.assert_allclose(got, want, atol=0.02)
    assert (got > 0.05).sum() > 10  # the sample holds real overlaps, not only disjoint pairs


def test_special_cases():
    r = np.array([[10.0, 10.0, 0.0, 20.0, 10.0]])
    np.testing.assert_allclose(rect_iou_pairs(r, r), [1.0])
    np.testing.assert_allclose(rect_iou_pairs(r, r + [0, 0, 180.0, 0, 0]), [1.0])  # a half turn
    np.testing.assert_allclose(rect_iou_pairs(r, r + [100.0, 0, 0, 0, 0]), [0.0])
    inner = np.array([[10.0, 10.0, 0.0, 10.0, 5.0]])
    np.testing.assert_allclose(rect_iou_pairs(r, inner), [0.25])
    np.testing.assert_allclose(corners_batch(r)[0], [[0, 5], [20, 5], [20, 15], [0, 15]])
    np.testing.assert_allclose(rect_corners(10, 10, 0, 20, 10), corners_batch(r)[0])
    assert rect_iou_pairs(np.zeros((0, 5)), np.zeros((0, 5))).shape == (0,)
    with pytest.raises(ValueError, match="same shape"):
        rect_iou_pairs(r, np.zeros((2, 5)))


def test_angle_difference_is_modulo_180_and_batched():
    assert angle_diff_deg(89, -89) == pytest.approx(2)
    np.testing.assert_allclose(angle_diff_deg(np.array([0.0, 10.0, 100.0]), 180.0), [0.0, 10.0, 80.0])


def test_batched_jaccard_equals_every_pair_checked():
    rng = np.random.default_rng(1)
    preds, truths = _random_rects(rng, 200), _random_rects(rng, 15)
    got = jaccard_match_batch(preds, truths, 0.25, 15.0)
    # Without the distance shortcut: every (prediction, truth) pair through the IoU.
    i, j = np.meshgrid(np.arange(len(preds)), np.arange(len(truths)), indexing="ij")
    iou = rect_iou_pairs(preds[i.ravel()], truths[j.ravel()]).reshape(i.shape)
    close = angle_diff_deg(preds[:, None, 2], truths[None, :, 2]) < 15.0
    np.testing.assert_array_equal(got, (close & (iou > 0.25)).any(1))
    assert 0 < got.sum() < len(got)
    assert not jaccard_match_batch(preds, np.zeros((0, 5))).any()
