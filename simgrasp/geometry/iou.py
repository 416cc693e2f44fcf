"""IoU of rotated grasp rectangles, their angle difference and the Jaccard match, batched
(numpy only). The one implementation: single pairs (:func:`simgrasp.geometry.rect_iou`)
and the model's training targets (64 predictions per image against every ground truth,
each iteration) both go through it.

The intersection of two convex quadrilaterals is the convex polygon of (a) the corners of
each inside the other and (b) the crossings of their edges: at most 24 candidate points,
kept by a mask, sorted by angle about their mean and measured with the shoelace formula.

Rows are ``[x, y, theta_deg, w, h]`` in pixels (image frame, y down; see
:mod:`simgrasp.geometry.rect`).
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-9


def angle_diff_deg(a_deg: float | np.ndarray, b_deg: float | np.ndarray) -> np.ndarray | float:
    """Smallest difference between two grasp angles modulo 180, in [0, 90] degrees
    (element-wise, broadcasting; a float for scalar inputs)."""
    d = np.abs((np.asarray(a_deg, dtype=np.float64) - np.asarray(b_deg, dtype=np.float64)) % 180.0)
    d = np.minimum(d, 180.0 - d)
    return float(d) if np.ndim(d) == 0 else d


def corners_batch(rects: np.ndarray) -> np.ndarray:
    """Corners of (N, 5) rectangles as (N, 4, 2) pixels: the side ``w`` along ``theta_deg``,
    ``h`` across it, counter-clockwise in (x, y) starting at ``-w/2, -h/2``."""
    r = np.asarray(rects, dtype=np.float64)
    t = np.deg2rad(r[:, 2])
    u = np.stack([np.cos(t), np.sin(t)], -1) * (0.5 * r[:, 3:4])  # half opening axis
    v = np.stack([-np.sin(t), np.cos(t)], -1) * (0.5 * r[:, 4:5])  # half jaw axis
    c = r[:, None, :2]
    signs = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)
    return c + signs[None, :, 0:1] * u[:, None, :] + signs[None, :, 1:2] * v[:, None, :]


def _ccw(poly: np.ndarray) -> np.ndarray:
    """Make (N, 4, 2) quadrilaterals counter-clockwise in (x, y)."""
    x, y = poly[..., 0], poly[..., 1]
    signed = (x * np.roll(y, -1, 1) - y * np.roll(x, -1, 1)).sum(1)
    return np.where((signed < 0)[:, None, None], poly[:, ::-1], poly)


def _inside(points: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """(N, P) mask of points (N, P, 2) inside CCW quadrilaterals (N, 4, 2), boundary included."""
    a = poly[:, None, :, :]  # (N, 1, 4, 2)
    e = np.roll(poly, -1, 1)[:, None] - a
    d = points[:, :, None, :] - a
    cross = e[..., 0] * d[..., 1] - e[..., 1] * d[..., 0]
    scale = np.abs(e).sum(-1) + 1.0
    return (cross >= -1e-7 * scale).all(-1)


def _edge_crossings(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crossing points (N, 16, 2) of every edge of ``a`` with every edge of ``b`` and
    their validity mask (N, 16)."""
    p, r = a[:, :, None, :], (np.roll(a, -1, 1) - a)[:, :, None, :]
    q, s = b[:, None, :, :], (np.roll(b, -1, 1) - b)[:, None, :, :]
    rxs = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    qp = q - p
    parallel = np.abs(rxs) < _EPS
    denom = np.where(parallel, 1.0, rxs)
    t = (qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]) / denom
    u = (qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]) / denom
    ok = ~parallel & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    pts = p + t[..., None] * r
    n = a.shape[0]
    return pts.reshape(n, 16, 2), ok.reshape(n, 16)


def rect_iou_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of rectangle ``a[i]`` with ``b[i]`` for (N, 5) arrays; returns (N,) in [0, 1]."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 5)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 5)
    if a.shape != b.shape:
        raise ValueError(f"expected two (N, 5) arrays of the same shape, got {a.shape} and {b.shape}")
    if len(a) == 0:
        return np.zeros(0)
    pa, pb = _ccw(corners_batch(a)), _ccw(corners_batch(b))
    cross_pts, cross_ok = _edge_crossings(pa, pb)
    pts = np.concatenate([pa, pb, cross_pts], 1)  # (N, 24, 2)
    ok = np.concatenate([_inside(pa, pb), _inside(pb, pa), cross_ok], 1)
    count = ok.sum(1)
    centre = (pts * ok[..., None]).sum(1) / np.maximum(count, 1)[:, None]
    ang = np.arctan2(pts[..., 1] - centre[:, None, 1], pts[..., 0] - centre[:, None, 0])
    ang = np.where(ok, ang, np.inf)  # invalid points sort last
    order = np.argsort(ang, axis=1, kind="stable")
    pts = np.take_along_axis(pts, order[..., None], 1)
    ok = np.take_along_axis(ok, order, 1)
    # Invalid points become copies of the first one: they add zero area to the shoelace sum.
    pts = np.where(ok[..., None], pts, pts[:, :1])
    x, y = pts[..., 0], pts[..., 1]
    inter = 0.5 * np.abs((x * np.roll(y, -1, 1) - y * np.roll(x, -1, 1)).sum(1))
    inter = np.where(count >= 3, inter, 0.0)
    union = a[:, 3] * a[:, 4] + b[:, 3] * b[:, 4] - inter
    return np.where(union > 0, inter / np.maximum(union, _EPS), 0.0)


def jaccard_match_batch(
    preds: np.ndarray,
    truths: np.ndarray,
    iou_threshold: float = 0.25,
    angle_threshold_deg: float = 30.0,
) -> np.ndarray:
    """For (N, 5) predictions and (G, 5) ground truths of one image, the (N,) boolean
    rectangle-metric match: some truth within ``angle_threshold_deg`` (modulo 180)
    overlapping with IoU above ``iou_threshold``. Pairs too far apart to overlap are skipped."""
    preds = np.asarray(preds, dtype=np.float64).reshape(-1, 5)
    truths = np.asarray(truths, dtype=np.float64).reshape(-1, 5)
    out = np.zeros(len(preds), dtype=bool)
    if len(preds) == 0 or len(truths) == 0:
        return out
    d = angle_diff_deg(preds[:, None, 2], truths[None, :, 2])
    radius_p = 0.5 * np.hypot(preds[:, 3], preds[:, 4])
    radius_t = 0.5 * np.hypot(truths[:, 3], truths[:, 4])
    dist = np.hypot(preds[:, None, 0] - truths[None, :, 0], preds[:, None, 1] - truths[None, :, 1])
    cand = (d < angle_threshold_deg) & (dist < radius_p[:, None] + radius_t[None, :])
    i, j = np.nonzero(cand)
    if len(i) == 0:
        return out
    iou = rect_iou_pairs(preds[i], truths[j])
    hit = i[iou > iou_threshold]
    out[hit] = True
    return out
