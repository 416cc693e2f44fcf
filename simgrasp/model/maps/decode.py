"""From the four output maps to ranked image grasps, as the released code does it
(``post_process_output`` then ``detect_grasps``), in pure stages with their thresholds as
defaults:

1. :func:`smooth_maps`: the angle ``0.5 * atan2(sin, cos)`` and the opening ``width *
   width_scale_px``; then a Gaussian filter on each (sigma 2 px on quality and angle, 1 px
   on width; ``mode="nearest"``, truncated at 4 sigma: scikit-image's ``gaussian``, which the
   released code calls, is this very scipy filter);
2. :func:`find_peaks`: scikit-image's ``peak_local_max(q, min_distance=20,
   threshold_abs=0.2)``: pixels equal to the maximum of their (2 * 20 + 1) square, above the
   threshold, not within 20 px of the border, best first, none nearer than 20 px (Chebyshev)
   to a better one;
3. :func:`decode_maps`: one rectangle per peak, ``[col, row, angle, width, jaw_px]``.

The released evaluation keeps the best peak only; a policy ranks them all (the plate check
passes over the blocked ones). Two choices of this port, both off the released path unless
set: ``fallback`` (no peak above the threshold: the maximum of the quality map, so that a
policy always has a grasp) and ``min_width_px`` (an untrained network's width map can be
negative; rectangles need a positive opening).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from simgrasp.config import FINITE, FLAG, NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, Maybe, setting


@dataclass(frozen=True)
class DecodeConfig:
    """How output maps become grasps (pixels of the network input; released values)."""

    quality_sigma: float = setting(2.0, NON_NEGATIVE)
    """Gaussian filter on the quality map (0: none)."""
    angle_sigma: float = setting(2.0, NON_NEGATIVE)
    """Gaussian filter on the angle map (radians, filtered as they are, as released)."""
    width_sigma: float = setting(1.0, NON_NEGATIVE)
    """Gaussian filter on the width map (pixels)."""
    min_distance: int = setting(20, NON_NEGATIVE_INT)
    """Peaks are maxima of a (2 d + 1) square, at least ``d`` from the border and from one another."""
    threshold: float = setting(0.2, FINITE)
    """Peaks have quality above this."""
    exclude_border: bool = setting(True, FLAG)
    """Leave out peaks nearer the border than ``min_distance`` (scikit-image's default)."""
    max_grasps: int | None = setting(None, Maybe(POSITIVE_INT))
    """Keep the best this many peaks (None: all)."""
    fallback: bool = setting(False, FLAG)
    """With no peak above the threshold, return the quality map's maximum as the one grasp
    (False: no grasp, as released)."""
    min_width_px: float = setting(1.0, POSITIVE)
    """Openings below this are raised to it."""


def _gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter(image, sigma, mode="nearest", truncate=4.0) if sigma > 0 else image


def smooth_maps(maps: np.ndarray, width_scale_px: float, cfg: DecodeConfig = DecodeConfig()) -> tuple[np.ndarray, ...]:
    """``(quality, angle_rad, width_px)`` (S, S) float64 from one network output (4, S, S)
    of quality, cos 2θ, sin 2θ and width (see the module docstring, stage 1)."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3 or maps.shape[0] != 4:
        raise ValueError(f"expected maps (4, S, S) of quality, cos, sin and width, got shape {maps.shape}")
    angle = 0.5 * np.arctan2(maps[2], maps[1])
    return (
        _gaussian(maps[0], cfg.quality_sigma),
        _gaussian(angle, cfg.angle_sigma),
        _gaussian(maps[3] * width_scale_px, cfg.width_sigma),
    )


def find_peaks(
    quality: np.ndarray,
    min_distance: int = 20,
    threshold: float = 0.2,
    exclude_border: bool = True,
    max_peaks: int | None = None,
) -> np.ndarray:
    """(K, 2) int ``(row, col)`` of the peaks of a quality map, best first (ties in raster
    order); see the module docstring, stage 2."""
    q = np.asarray(quality, dtype=np.float64)
    d = int(min_distance)
    is_max = q == ndimage.maximum_filter(q, size=2 * d + 1, mode="nearest")
    if exclude_border and d > 0:
        border = np.zeros_like(is_max)
        border[d:-d, d:-d] = True
        is_max &= border
    is_max &= q > threshold
    rows, cols = np.nonzero(is_max)
    order = np.argsort(-q[rows, cols], kind="stable")
    rows, cols = rows[order], cols[order]
    if d <= 1:  # nothing to space out (scikit-image skips it too)
        return np.stack([rows, cols], axis=1)[:max_peaks]
    taken = np.zeros(q.shape, bool)  # within d - 1 of a kept peak: closer than d
    kept: list[tuple[int, int]] = []
    for r, c in zip(rows, cols):
        if taken[r, c]:
            continue
        kept.append((int(r), int(c)))
        if max_peaks is not None and len(kept) == max_peaks:
            break
        taken[max(r - d + 1, 0) : r + d, max(c - d + 1, 0) : c + d] = True
    return np.asarray(kept, dtype=np.int64).reshape(-1, 2)


def decode_maps(
    maps: np.ndarray, width_scale_px: float, jaw_px: float, cfg: DecodeConfig = DecodeConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """Grasps (K, 5) float32 ``[x, y, theta_deg, w, h]`` in network-input pixels, best
    first, and their quality (K,), from one network output (4, S, S); ``h`` is ``jaw_px``."""
    quality, angle, width = smooth_maps(maps, width_scale_px, cfg)
    peaks = find_peaks(quality, cfg.min_distance, cfg.threshold, cfg.exclude_border, cfg.max_grasps)
    if len(peaks) == 0 and cfg.fallback:
        peaks = np.array([np.unravel_index(int(np.argmax(quality)), quality.shape)], np.int64)
    rows, cols = peaks[:, 0], peaks[:, 1]
    theta = (np.degrees(angle[rows, cols]) + 90.0) % 180.0 - 90.0
    w = np.maximum(width[rows, cols], cfg.min_width_px)
    grasps = np.column_stack([cols, rows, theta, w, np.full(len(peaks), float(jaw_px))]).astype(np.float32)
    return grasps.reshape(-1, 5), quality[rows, cols].astype(np.float32)
