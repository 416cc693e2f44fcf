"""The cell camera's model, from the robot config's calibration.

Two models, one per kind of calibration (``python -m simgrasp.calibrate``):

- a table homography (colour-only cells): image grasps land on the table plane at the fixed
  ``motion.grasp_height_mm``;
- a pinhole camera (a 3-D calibration: intrinsics, radial lens, the camera's pose in the
  user frame): the observation's frames are undistorted to the ideal pinhole image, and the
  model, in the user frame in metres, grasps ``motion.grasp_depth_mm`` below the highest
  point the depth image shows under the grasp (never lower than ``grasp_height_mm`` above
  the table), so the plate check runs on the cell as in the sim.
"""

from __future__ import annotations

import numpy as np

from simgrasp.geometry import CameraModel, Intrinsics, PinholeCamera
from simgrasp.geometry.frames import wpr_matrix
from simgrasp.geometry.homography import HomographyCamera
from simgrasp.geometry.lens import RadialLens
from simgrasp.robots.config import RobotConfig

UNCALIBRATED = "the robot config holds no calibration; run python -m simgrasp.calibrate"


def camera_model(cfg: RobotConfig) -> CameraModel:
    """The image-to-user-frame model of a calibrated cell: a :class:`PinholeCamera` for a
    3-D calibration, else a :class:`HomographyCamera` (homography stored in mm)."""
    c = cfg.calibration
    if c.pinhole:
        return pinhole_model(cfg)
    if c.n_points < 4 or len(c.homography) != 9:
        raise ValueError(f"{UNCALIBRATED} (expected 9 homography values from >= 4 points, or intrinsics and "
                         "camera_pose_mm from a 3-D fit)")
    H_mm = np.asarray(c.homography, dtype=np.float64).reshape(3, 3)
    return HomographyCamera(np.diag([1e-3, 1e-3, 1.0]) @ H_mm, c.width, c.height, cfg.motion.grasp_z_mm / 1000.0)


def pinhole_model(cfg: RobotConfig) -> PinholeCamera:
    """The ideal (undistorted) pinhole camera of a 3-D calibration, in the user frame (m)."""
    c, m = cfg.calibration, cfg.motion
    if not c.pinhole or len(c.camera_pose_mm) != 6:
        raise ValueError(f"{UNCALIBRATED} --collect on an RGB-D cell (a 3-D calibration needs 4 intrinsics and "
                         f"the 6 values of camera_pose_mm, got {len(c.intrinsics)} and {len(c.camera_pose_mm)})")
    k = Intrinsics(c.width, c.height, *c.intrinsics)
    return PinholeCamera(k, wpr_matrix(*c.camera_pose_mm), table_height_m=m.table_z_mm / 1000.0,
                         grasp_depth_m=m.grasp_depth_mm / 1000.0, min_clearance_m=m.grasp_height_mm / 1000.0)


def lens(cfg: RobotConfig) -> RadialLens:
    """The calibrated radial lens (a perfect one for a homography or without distortion)."""
    d = cfg.calibration.distortion
    return RadialLens(*map(float, d)) if len(d) == 2 else RadialLens()


class Undistortion:
    """Turns frames seen through ``lens`` into the ideal pinhole image of intrinsics ``k``:
    colour by bilinear interpolation, depth by the nearest pixel (so that an edge mixes no
    foreground with background into depths nobody saw). Depth values along the optical
    axis do not change: the same ray, the same z."""

    def __init__(self, k: Intrinsics, lens: RadialLens) -> None:
        self.k, self.lens = k, lens
        self._maps = None if lens.perfect else lens.source_map(k)

    @classmethod
    def of(cls, cfg: RobotConfig) -> "Undistortion | None":
        """The cell's undistortion, None when its model has no lens to undo."""
        if not cfg.calibration.pinhole:
            return None
        return cls(pinhole_model(cfg).intrinsics, lens(cfg))

    def apply(self, rgb: np.ndarray, depth: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        if self._maps is None:
            return rgb, depth
        import cv2  # here: a homography cell or a perfect lens needs no OpenCV

        mu, mv = self._maps
        rgb = cv2.remap(rgb, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if depth is not None:
            # outside the sensor there is no depth: 0
            depth = cv2.remap(depth, mu, mv, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        return rgb, depth
