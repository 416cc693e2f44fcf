"""Training targets (section IV-C 2): angle matching for the primary score and the
regression, Jaccard matching for the scorer. numpy in, numpy out; no gradients here.

Ground truths are (G, 5) rows ``[x, y, theta_deg, w, h]`` in network-input pixels.
Grasp indices follow :mod:`simgrasp.model.anchors` (``n = (row * g + col) * k + a``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.config import FRACTION, NON_NEGATIVE, between, setting
from simgrasp.geometry.iou import jaccard_match_batch


@dataclass(frozen=True)
class AnchorTargets:
    """Angle-matching result for one image: ``positive`` flat grasp indices (P,) and the
    ground truth each is regressed to, ``matched`` (P, 5)."""

    positive: np.ndarray
    matched: np.ndarray


def angle_match(
    truths: np.ndarray,
    grid: int,
    stride: float,
    anchor_angles_deg: np.ndarray,
    threshold_deg: float | None = None,
) -> AnchorTargets:
    """Positive anchors of one image: an anchor is positive when its cell holds a ground
    truth's centre and its orientation is within ``threshold_deg`` (default: half the
    anchor spacing, 15 degrees for k = 6; inclusive, so a grasp exactly between two anchors
    makes both positive) of that grasp's angle, modulo 180.

    When several ground truths match one anchor, it regresses to the one closest in angle,
    then closest to the cell centre: a deterministic choice, so the target does not flicker
    between iterations."""
    k = len(anchor_angles_deg)
    if threshold_deg is None:
        threshold_deg = 90.0 / k
    t = np.asarray(truths, dtype=np.float64).reshape(-1, 5)
    inside = (t[:, 0] >= 0) & (t[:, 0] < grid * stride) & (t[:, 1] >= 0) & (t[:, 1] < grid * stride)
    t = t[inside]
    if len(t) == 0:
        return AnchorTargets(np.zeros(0, np.int64), np.zeros((0, 5), np.float32))
    col = np.clip((t[:, 0] // stride).astype(np.int64), 0, grid - 1)
    row = np.clip((t[:, 1] // stride).astype(np.int64), 0, grid - 1)
    diff = np.abs((t[:, 2:3] - np.asarray(anchor_angles_deg)[None, :]) % 180.0)
    diff = np.minimum(diff, 180.0 - diff)  # (G, k)
    gi, a = np.nonzero(diff <= threshold_deg + 1e-6)
    if len(gi) == 0:
        return AnchorTargets(np.zeros(0, np.int64), np.zeros((0, 5), np.float32))
    n = (row[gi] * grid + col[gi]) * k + a
    centre_dist = np.hypot(t[gi, 0] - (col[gi] + 0.5) * stride, t[gi, 1] - (row[gi] + 0.5) * stride)
    order = np.lexsort((centre_dist, diff[gi, a], n))
    n_sorted = n[order]
    first = np.unique(n_sorted, return_index=True)[1]
    pick = order[first]
    return AnchorTargets(n[pick].astype(np.int64), t[gi[pick]].astype(np.float32))


def anchor_cells(grasps: np.ndarray, grid: int, stride: float, anchor_angles_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each grasp (N, 5) ``[x, y, theta_deg, w, h]`` in network-input pixels sits
    among the anchors: flat indices ``(row * grid + col) * k + a`` (N,) int64 of the cell
    holding its centre and the anchor nearest its angle (modulo 180), and ``inside`` (N,)
    bool (False for a centre off the map, whose index is then 0)."""
    g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
    k = len(anchor_angles_deg)
    size = grid * stride
    inside = (g[:, 0] >= 0) & (g[:, 0] < size) & (g[:, 1] >= 0) & (g[:, 1] < size)
    col = np.clip(np.nan_to_num(g[:, 0] // stride), 0, grid - 1).astype(np.int64)
    row = np.clip(np.nan_to_num(g[:, 1] // stride), 0, grid - 1).astype(np.int64)
    diff = np.abs((g[:, 2:3] - np.asarray(anchor_angles_deg, np.float64)[None, :]) % 180.0)
    a = np.minimum(diff, 180.0 - diff).argmin(1) if len(g) else np.zeros(0, np.int64)
    index = np.where(inside, (row * grid + col) * k + a, 0).astype(np.int64)
    return index, inside


def hard_negatives(positive_prob: np.ndarray, positive: np.ndarray, ratio: int = 3, minimum: int = 3) -> np.ndarray:
    """Hard negative mining for one image: the ``ratio * P`` non-positive anchors (at
    least ``minimum``, so an image without grasps still teaches "nothing here") with the
    highest predicted positive probability. ``positive_prob`` is (N,); returns indices."""
    mask = np.ones(len(positive_prob), dtype=bool)
    mask[positive] = False
    candidates = np.nonzero(mask)[0]
    count = min(len(candidates), max(ratio * len(positive), minimum))
    if count == 0:
        return np.zeros(0, np.int64)
    top = np.argpartition(-positive_prob[candidates], count - 1)[:count]
    return candidates[top].astype(np.int64)


def scorer_targets(
    grasps: np.ndarray, truths: np.ndarray, angle_threshold_deg: float = 15.0, iou_threshold: float = 0.25
) -> np.ndarray:
    """Jaccard-matching labels (T,) float32 for decoded grasps (T, 5) of one image: 1 when
    some ground truth is within ``angle_threshold_deg`` and overlaps with IoU above
    ``iou_threshold`` (the paper trains the scorer with 15 degrees and 25 %)."""
    return jaccard_match_batch(grasps, truths, iou_threshold, angle_threshold_deg).astype(np.float32)


@dataclass(frozen=True)
class SimMatch:
    """When a tested grasp says something about a predicted one (network-input pixels).

    Physics is less forgiving than overlap: a grasp a little narrower than a successful one
    can land a jaw on the object during the approach, so the opening window is asymmetric,
    and a narrow prediction never inherits a wide grasp's success."""

    centre_px: float = setting(4.0, NON_NEGATIVE)
    """Largest distance between the two centres."""
    angle_deg: float = setting(15.0, between(0, 90))
    """Largest angle difference, modulo 180 degrees."""
    narrower: float = setting(0.1, FRACTION)
    """Largest fraction by which the predicted opening may be narrower than the tested one."""
    wider: float = setting(0.3, NON_NEGATIVE)
    """Largest fraction by which the predicted opening may be wider than the tested one."""


def simulation_targets(
    grasps: np.ndarray, tested: np.ndarray, success: np.ndarray, match: SimMatch = SimMatch()
) -> tuple[np.ndarray, np.ndarray]:
    """Scorer labels (T,) float32 and their mask ``known`` (T,) bool for decoded grasps
    (T, 5) of one image from the grasps tried in simulation on it, ``tested`` (M, 5) with
    outcomes ``success`` (M,) bool, all rows ``[x, y, theta_deg, w, h]`` in the same pixels.

    A prediction matches a tested grasp when their centres, angles and openings are within
    ``match`` (jaw sizes are not compared: the gripper's plates are what they are). It takes
    the outcome of the nearest match in the normalised distance
    ``sqrt((d_centre / centre_px)^2 + (d_angle / angle_deg)^2 + (d_open / tol)^2)`` with
    ``d_open = |log(w_pred / w_tested)|`` and ``tol = log(1 + wider)`` or
    ``-log(1 - narrower)`` by side; with no match its label is unknown (``known`` False,
    label 0), to be left out of the loss."""
    g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
    t = np.asarray(tested, dtype=np.float64).reshape(-1, 5)
    ok = np.asarray(success, dtype=bool).reshape(-1)
    if len(ok) != len(t):
        raise ValueError(f"expected one outcome per tested grasp, got {len(t)} grasps and {len(ok)} outcomes")
    labels, known = np.zeros(len(g), np.float32), np.zeros(len(g), bool)
    if len(g) == 0 or len(t) == 0:
        return labels, known
    d_centre = np.hypot(g[:, None, 0] - t[None, :, 0], g[:, None, 1] - t[None, :, 1])
    d_angle = np.abs((g[:, None, 2] - t[None, :, 2]) % 180.0)
    d_angle = np.minimum(d_angle, 180.0 - d_angle)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(g[:, None, 3] / t[None, :, 3])  # > 0: the prediction is wider
    tol = np.where(log_ratio >= 0, np.log1p(match.wider), -np.log1p(-match.narrower))
    d_open = np.abs(log_ratio) / tol
    dist = np.sqrt((d_centre / match.centre_px) ** 2 + (d_angle / match.angle_deg) ** 2 + d_open**2)
    inside = (d_centre <= match.centre_px) & (d_angle <= match.angle_deg) & (d_open <= 1.0) & np.isfinite(dist)
    dist = np.where(inside, dist, np.inf)
    nearest = dist.argmin(1)
    known = inside.any(1)
    labels[known] = ok[nearest[known]]
    return labels, known
