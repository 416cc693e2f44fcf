"""Oriented grasp rectangles in the image, their overlap, and the Jaccard match.

Conventions (image frame): x is the pixel column, y the pixel row, y points down.
``theta_deg`` is the direction of the opening axis (the ``w`` side, along which the
jaws close) measured from the +x axis towards +y, in degrees. Because y points down,
a positive angle turns clockwise as the image is displayed. This is the convention of
Jacquard's ``grasps.txt`` files. A parallel gripper is symmetric, so angles are only
meaningful modulo 180 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np


@dataclass(frozen=True)
class GraspRect:
    """An image grasp: centre ``(x, y)`` in pixels, opening ``w`` and jaw size ``h`` in
    pixels, opening-axis angle ``theta_deg`` in degrees (see the module docstring)."""

    x: float
    y: float
    theta_deg: float
    w: float
    h: float

    def as_array(self) -> np.ndarray:
        """``[x, y, theta_deg, w, h]`` as float64 (the Gymnasium action layout)."""
        return np.array([self.x, self.y, self.theta_deg, self.w, self.h], dtype=np.float64)

    @classmethod
    def from_array(cls, a: Sequence[float]) -> "GraspRect":
        """Build from ``[x, y, theta_deg, w, h]``."""
        if len(a) != 5:
            raise ValueError(f"expected 5 values (x, y, theta_deg, w, h), got {len(a)}")
        x, y, t, w, h = (float(v) for v in a)
        return cls(x, y, t, w, h)

    def corners(self) -> np.ndarray:
        """The four corners as a (4, 2) array of (x, y) pixels, counter-clockwise in
        the (x, y) coordinate system."""
        return rect_corners(self.x, self.y, self.theta_deg, self.w, self.h)

    def normalized(self) -> "GraspRect":
        """The same grasp with its angle folded into [-90, 90)."""
        return GraspRect(self.x, self.y, wrap_angle_deg(self.theta_deg), self.w, self.h)

    def jaw_endpoints(self) -> np.ndarray:
        """The centres of the two jaws, (2, 2) array of (x, y) pixels, ``w`` apart."""
        t = np.deg2rad(self.theta_deg)
        d = 0.5 * self.w * np.array([np.cos(t), np.sin(t)])
        c = np.array([self.x, self.y])
        return np.stack([c - d, c + d])


def wrap_angle_deg(theta_deg: float) -> float:
    """Fold an angle in degrees into [-90, 90), the range of a symmetric gripper."""
    return float((theta_deg + 90.0) % 180.0 - 90.0)


def angle_diff_deg(a_deg: float | np.ndarray, b_deg: float | np.ndarray) -> np.ndarray | float:
    """Smallest difference between two grasp angles modulo 180, in [0, 90] degrees."""
    d = np.abs((np.asarray(a_deg) - np.asarray(b_deg)) % 180.0)
    d = np.minimum(d, 180.0 - d)
    return float(d) if np.ndim(d) == 0 else d


def rect_corners(x: float, y: float, theta_deg: float, w: float, h: float) -> np.ndarray:
    """Corners of a rectangle of side ``w`` along ``theta_deg`` and ``h`` across it."""
    t = np.deg2rad(theta_deg)
    u = np.array([np.cos(t), np.sin(t)])  # along the opening
    v = np.array([-np.sin(t), np.cos(t)])  # along the jaws
    c = np.array([x, y], dtype=np.float64)
    hw, hh = 0.5 * w, 0.5 * h
    return np.stack([c - hw * u - hh * v, c + hw * u - hh * v, c + hw * u + hh * v, c - hw * u + hh * v])


def _polygon_area(p: np.ndarray) -> float:
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _orient_ccw(p: np.ndarray) -> np.ndarray:
    x, y = p[:, 0], p[:, 1]
    signed = float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return p if signed >= 0 else p[::-1]


def _clip_convex(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman clipping of a convex polygon by a convex, CCW polygon."""
    out = subject
    n = len(clip)
    for i in range(n):
        if len(out) == 0:
            break
        a, b = clip[i], clip[(i + 1) % n]
        edge = b - a
        inp = out
        out_list = []
        side = edge[0] * (inp[:, 1] - a[1]) - edge[1] * (inp[:, 0] - a[0])  # >= 0: inside
        m = len(inp)
        for j in range(m):
            p, q = inp[j], inp[(j + 1) % m]
            sp, sq = side[j], side[(j + 1) % m]
            if sp >= 0:
                out_list.append(p)
            if (sp >= 0) != (sq >= 0):
                t = sp / (sp - sq)
                out_list.append(p + t * (q - p))
        out = np.array(out_list) if out_list else np.zeros((0, 2))
    return out


def polygon_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two convex polygons given as (N, 2) vertex arrays."""
    a, b = _orient_ccw(np.asarray(a, float)), _orient_ccw(np.asarray(b, float))
    inter = _polygon_area(_clip_convex(a, b))
    union = _polygon_area(a) + _polygon_area(b) - inter
    return inter / union if union > 0 else 0.0


def rect_iou(a: GraspRect, b: GraspRect) -> float:
    """Intersection over union of two grasp rectangles (in [0, 1])."""
    return polygon_iou(a.corners(), b.corners())


def jaccard_match(
    pred: GraspRect,
    truths: Iterable[GraspRect],
    iou_threshold: float = 0.25,
    angle_threshold_deg: float = 30.0,
) -> bool:
    """The rectangle metric: ``pred`` matches when some ground truth is within
    ``angle_threshold_deg`` (modulo 180) and overlaps it with IoU above ``iou_threshold``."""
    for t in truths:
        if angle_diff_deg(pred.theta_deg, t.theta_deg) < angle_threshold_deg and rect_iou(pred, t) > iou_threshold:
            return True
    return False
