"""2x3 affine maps between image pixel frames, and grasps carried through them (numpy only).

The letterbox that fits an image into the network's square input, its inverse, and the
mapping of grasp rows ``[x, y, theta_deg, w, h]`` (see :mod:`simgrasp.geometry.rect`).
Pixel coordinates follow OpenCV: pixel (col, row) has its centre at (x, y) = (col, row)."""

from __future__ import annotations

import numpy as np


def resize_affine(src_hw: tuple[int, int], out_size: int) -> np.ndarray:
    """2x3 map from source pixels to an ``out_size`` square: scale by the longer side,
    centre (the test-time transform)."""
    h, w = src_hw
    s = out_size / max(h, w)
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    c = (out_size - 1) / 2.0
    return np.array([[s, 0.0, c - s * cx], [0.0, s, c - s * cy]])


def invert_affine(m: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine map (pixels to pixels)."""
    m = np.asarray(m, dtype=np.float64)
    lin = np.linalg.inv(m[:, :2])
    return np.column_stack([lin, -lin @ m[:, 2]])


def transform_grasps(grasps: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Apply a 2x3 similarity map (rotation, mirror, uniform scale, shift) to (N, 5)
    grasps ``[x, y, theta_deg, w, h]``; angles come back in [-90, 90)."""
    g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
    lin = np.asarray(m, dtype=np.float64)[:, :2]
    xy = g[:, :2] @ lin.T + m[:, 2]
    t = np.deg2rad(g[:, 2])
    d = np.stack([np.cos(t), np.sin(t)], -1) @ lin.T  # the opening axis, mapped
    theta = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    theta = (theta + 90.0) % 180.0 - 90.0
    scale = np.sqrt(abs(np.linalg.det(lin)))
    return np.column_stack([xy, theta, g[:, 3] * scale, g[:, 4] * scale]).astype(np.float32)
