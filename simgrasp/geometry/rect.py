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

from simgrasp.geometry.iou import angle_diff_deg, corners_batch, jaccard_match_batch, rect_iou_pairs

__all__ = ["GraspRect", "angle_diff_deg", "jaccard_match", "rect_corners", "rect_iou", "wrap_angle_deg"]


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


def rect_corners(x: float, y: float, theta_deg: float, w: float, h: float) -> np.ndarray:
    """Corners (4, 2) of a rectangle of side ``w`` along ``theta_deg`` and ``h`` across it."""
    return corners_batch(np.array([[x, y, theta_deg, w, h]], dtype=np.float64))[0]


def rect_iou(a: GraspRect, b: GraspRect) -> float:
    """Intersection over union of two grasp rectangles (in [0, 1])."""
    return float(rect_iou_pairs(a.as_array()[None], b.as_array()[None])[0])


def jaccard_match(
    pred: GraspRect,
    truths: Iterable[GraspRect],
    iou_threshold: float = 0.25,
    angle_threshold_deg: float = 30.0,
) -> bool:
    """The rectangle metric: ``pred`` matches when some ground truth is within
    ``angle_threshold_deg`` (modulo 180) and overlaps it with IoU above ``iou_threshold``."""
    rows = np.array([t.as_array() for t in truths]).reshape(-1, 5)
    return bool(jaccard_match_batch(pred.as_array()[None], rows, iou_threshold, angle_threshold_deg)[0])
