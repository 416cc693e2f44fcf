"""The 3-D calibration of a cell's camera: intrinsics, radial lens and pose in the user frame.

From marker positions (user frame, mm: where the arm put the ball, at several heights) and
the pixels the camera saw it at, :func:`fit_and_hold_out` fits a pinhole camera
(:func:`simgrasp.geometry.pinhole_fit.fit_pinhole`) on most points, with the radial lens
free and without it, and judges both at the points held out: reprojection in pixels, and
in mm where the ray through the seen pixel meets the ball's height (the error of a grasp
located there). :func:`pinhole_calibrated` writes the chosen fit into the robot config,
which :mod:`simgrasp.robots.cell_camera` turns back into the observation's camera.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from simgrasp.geometry.frames import matrix_wpr
from simgrasp.geometry.pinhole_fit import PinholeFit, fit_pinhole, plane_errors, reprojection_errors_px
from simgrasp.robots.config import RobotConfig

HOLD_OUT_EVERY = 5  # every 5th point is held out of the fit and judges it
# a fitted point whose residual is this many times the median one, and above the floor, is dropped, once
OUTLIER_FACTOR, OUTLIER_FLOOR_PX = 3.0, 0.25


@dataclass(frozen=True, eq=False)
class HeldOutFit:
    """One fit (``distortion``: the radial lens free, else fixed at none) and its errors
    at the held-out points: ``px`` reprojection in pixels, ``mm`` at each ball's height,
    ``grasp_plane_mm`` those of the held-out points at the lowest height (the grasp
    plane); ``n_fit`` points fitted after ``n_dropped`` outliers were dropped."""

    distortion: bool
    fit: PinholeFit
    n_fit: int
    n_dropped: int
    px: np.ndarray
    mm: np.ndarray
    grasp_plane_mm: np.ndarray


def held_out_mask(n: int, every: int = HOLD_OUT_EVERY) -> np.ndarray:
    """Which of ``n`` points (in collection order) are held out: every ``every``-th one."""
    return np.arange(n) % every == every // 2


def robust_fit(points_m: np.ndarray, pixels: np.ndarray, width: int, height: int, distortion: bool
               ) -> tuple[PinholeFit, np.ndarray]:
    """:func:`fit_pinhole`, then again without the points whose residual exceeds
    ``OUTLIER_FACTOR`` times the median and ``OUTLIER_FLOOR_PX`` (a marker partly hidden by
    the arm or an object still passes the size test, but its centroid is off). Returns the
    fit and which points it kept."""
    fit = fit_pinhole(points_m, pixels, width, height, distortion)
    r = reprojection_errors_px(fit, points_m, pixels)
    keep = r <= max(OUTLIER_FACTOR * float(np.median(r)), OUTLIER_FLOOR_PX)
    if keep.all() or keep.sum() < 6:
        return fit, np.ones(len(r), bool)
    return fit_pinhole(points_m[keep], pixels[keep], width, height, distortion), keep


def fit_and_hold_out(
    pixels: np.ndarray, points_mm: np.ndarray, width: int, height: int, every: int = HOLD_OUT_EVERY
) -> list[HeldOutFit]:
    """Pinhole fits of ``pixels`` (N, 2) / ``points_mm`` (N, 3, user frame) on the points
    not held out, with the lens and without it (in that order), each judged at the held-out
    ones. ValueError when too few remain on either side."""
    px, X = np.asarray(pixels, dtype=np.float64), np.asarray(points_mm, dtype=np.float64) / 1000.0
    held = held_out_mask(len(px), every)
    if held.sum() < 1 or (~held).sum() < 6:
        raise ValueError(f"a 3-D calibration needs at least 6 points to fit and 1 to hold out, got {len(px)} points")
    lowest = np.isclose(X[:, 2], X[:, 2].min(), atol=1e-4)
    out = []
    for distortion in (True, False):
        fit, kept = robust_fit(X[~held], px[~held], width, height, distortion)
        mm = plane_errors(fit, X[held], px[held]) * 1000.0
        out.append(HeldOutFit(distortion, fit, int(kept.sum()), int((~kept).sum()),
                              reprojection_errors_px(fit, X[held], px[held]), mm, mm[lowest[held]]))
    return out


def best(fits: list[HeldOutFit]) -> HeldOutFit:
    """The fit with the smaller mean held-out error in mm."""
    return min(fits, key=lambda f: float(f.mm.mean()))


def pinhole_calibrated(cfg: RobotConfig, chosen: HeldOutFit) -> RobotConfig:
    """``cfg`` with the 3-D calibration of ``chosen``: intrinsics, lens, the camera's pose
    in the user frame (mm, degrees) and its held-out errors, replacing any homography."""
    cam = chosen.fit.camera
    k = cam.intrinsics
    cal = dataclasses.replace(
        cfg.calibration,
        homography=(),  # the pinhole is now the model
        intrinsics=(k.fx, k.fy, k.cx, k.cy),
        distortion=(chosen.fit.lens.k1, chosen.fit.lens.k2) if chosen.distortion else (),
        camera_pose_mm=tuple(float(v) for v in matrix_wpr(cam.T_world_cam)),
        width=int(k.width),
        height=int(k.height),
        mean_error_mm=float(chosen.mm.mean()),
        max_error_mm=float(chosen.mm.max()),
        mean_error_px=float(chosen.px.mean()),
        n_points=chosen.n_fit,
    )
    return dataclasses.replace(cfg, calibration=cal)
