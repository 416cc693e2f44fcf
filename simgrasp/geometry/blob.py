"""The minor-axis grasp of a silhouette: the one classical grasp every part of simgrasp uses
(the ``heuristic`` policy, the simulator's benchmark and its tests).

Pure numpy on a boolean mask in image pixels (x the column, y the row, y down; angles as in
:mod:`simgrasp.geometry.rect`)."""

from __future__ import annotations

import numpy as np

from simgrasp.geometry.rect import GraspRect


def minor_axis_grasp(
    mask: np.ndarray, margin_frac: float = 0.15, margin_px: float = 6.0, jaw_frac: float = 0.5
) -> GraspRect:
    """A grasp at the mask's centroid opening along its minor (principal) axis, in pixels.

    The opening is the mask's extent along the minor axis, times ``1 + margin_frac``, plus
    ``margin_px``; the jaw size is ``jaw_frac`` of its extent along the major axis (at
    least 4 px). The angle is folded into [-90, 90). Raises ValueError on an empty mask."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"expected a 2-D mask (H, W), got shape {m.shape}")
    ys, xs = np.nonzero(m)
    if xs.size == 0:
        raise ValueError("expected a mask with at least one pixel set, got an empty mask")
    pts = np.stack([xs, ys], 1).astype(np.float64)
    c = pts.mean(0)
    rel = pts - c
    cov = np.cov(rel.T) if len(pts) > 1 else np.eye(2)
    _, evecs = np.linalg.eigh(cov)  # ascending eigenvalues: column 0 is the minor axis
    minor, major = evecs[:, 0], evecs[:, 1]
    across, along = rel @ minor, rel @ major
    width_px = float(across.max() - across.min() + 1.0)  # +1: a pixel has an extent
    length_px = float(along.max() - along.min() + 1.0)
    theta = float(np.degrees(np.arctan2(minor[1], minor[0])))
    opening = width_px * (1.0 + margin_frac) + margin_px
    return GraspRect(float(c[0]), float(c[1]), theta, opening, max(4.0, jaw_frac * length_px)).normalized()
