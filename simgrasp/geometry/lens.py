"""Radial lens distortion of a pinhole camera (OpenCV's model without tangential terms).

Normalised image coordinates ``(x, y) = ((u - cx) / fx, (v - cy) / fy)``. A lens maps the
ideal (undistorted) point to the one the sensor sees:
``(x_d, y_d) = (x, y) * (1 + k1 r^2 + k2 r^4)`` with ``r^2 = x^2 + y^2``. The inverse has no
closed form and is found by fixed-point iteration. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.geometry.camera import Intrinsics


@dataclass(frozen=True)
class RadialLens:
    """Radial distortion coefficients ``k1``, ``k2`` (dimensionless, on normalised
    coordinates); both 0 is a perfect lens."""

    k1: float = 0.0
    k2: float = 0.0

    @property
    def perfect(self) -> bool:
        return self.k1 == 0.0 and self.k2 == 0.0

    def distort(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the sensor sees ideal normalised points ``(x, y)``."""
        r2 = x * x + y * y
        s = 1.0 + self.k1 * r2 + self.k2 * r2 * r2
        return x * s, y * s

    def undistort(self, xd: np.ndarray, yd: np.ndarray, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """The ideal normalised points the sensor sees at ``(xd, yd)`` (fixed-point
        iteration of ``x = x_d / s(x)``; exact to ~1e-9 for the few-percent distortion of
        a camera lens)."""
        x, y = np.array(xd, dtype=np.float64), np.array(yd, dtype=np.float64)
        if self.perfect:
            return x, y
        for _ in range(iterations):
            r2 = x * x + y * y
            s = 1.0 + self.k1 * r2 + self.k2 * r2 * r2
            x, y = xd / s, yd / s
        return x, y

    def undistort_pixels(self, k: Intrinsics, uv: np.ndarray) -> np.ndarray:
        """Ideal pixels (N, 2) of the pixels ``uv`` (N, 2) seen through this lens."""
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        x, y = self.undistort((uv[:, 0] - k.cx) / k.fx, (uv[:, 1] - k.cy) / k.fy)
        return np.stack([x * k.fx + k.cx, y * k.fy + k.cy], axis=1)

    def source_map(self, k: Intrinsics) -> tuple[np.ndarray, np.ndarray]:
        """For every pixel of the ideal image (H, W), the sensor pixel ``(u, v)`` it is seen
        at: the maps that undistort a frame (``cv2.remap(frame, map_u, map_v, ...)``)."""
        v, u = np.mgrid[0 : k.height, 0 : k.width].astype(np.float64)
        xd, yd = self.distort((u - k.cx) / k.fx, (v - k.cy) / k.fy)
        return (xd * k.fx + k.cx).astype(np.float32), (yd * k.fy + k.cy).astype(np.float32)
