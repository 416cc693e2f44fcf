"""The twin's camera: the twin's scene rendered from a mounted, imperfect pose.

Not the sim backend's ideal camera straight above the table centre: this one is offset,
tilted a few degrees and optionally distorted (radial k1, k2), as a camera bolted over a
real cell is, so the homography calibration has real work to do. Frames: the world of
:mod:`simgrasp.rehearsal.twin`; the mount is given as the camera's position (metres) and a
tilt (degrees) about the camera's own x, y, z axes, applied to a look-down pose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.geometry import Intrinsics, PinholeCamera, look_down_pose
from simgrasp.geometry.frames import wpr_matrix
from simgrasp.rehearsal.twin import TwinCell
from simgrasp.sim.camera import render
from simgrasp.sim.config import CameraConfig


@dataclass(frozen=True)
class TwinCameraConfig:
    """A camera mounted above the twin's table."""

    width: int = 320  # pixels (the sim backend's, so policies see objects at the scale they know)
    height: int = 320
    fov_y_deg: float = 28.0  # vertical field of view
    position_m: tuple[float, float, float] = (0.015, -0.010, 0.56)  # optical centre in the world
    tilt_deg: tuple[float, float, float] = (2.5, -3.0, 4.0)  # turns about the camera's x, y, z after looking down
    k1: float = 0.0  # radial distortion, on normalised image coordinates (0: a perfect lens)
    k2: float = 0.0


def mounted_camera(cfg: TwinCameraConfig) -> PinholeCamera:
    """The pinhole model of the mounted camera (before distortion)."""
    f = 0.5 * cfg.height / np.tan(0.5 * np.deg2rad(cfg.fov_y_deg))
    k = Intrinsics(cfg.width, cfg.height, f, f, 0.5 * (cfg.width - 1), 0.5 * (cfg.height - 1))
    T = look_down_pose(*cfg.position_m) @ wpr_matrix(0.0, 0.0, 0.0, *cfg.tilt_deg)
    return PinholeCamera(k, T)


def distort(image: np.ndarray, camera: PinholeCamera, k1: float, k2: float) -> np.ndarray:
    """The image a lens with radial distortion (k1, k2) would give: each output pixel
    samples the ideal image where the undistorted ray lands (nearest-neighbour lookup)."""
    if k1 == 0.0 and k2 == 0.0:
        return image
    k = camera.intrinsics
    v, u = np.mgrid[0 : k.height, 0 : k.width].astype(np.float64)
    x, y = (u - k.cx) / k.fx, (v - k.cy) / k.fy
    # Invert r_d = r (1 + k1 r^2 + k2 r^4) by fixed-point iteration: the output pixel is
    # distorted, the source pixel in the ideal image is undistorted.
    xu, yu = x.copy(), y.copy()
    for _ in range(10):
        r2 = xu * xu + yu * yu
        s = 1.0 + k1 * r2 + k2 * r2 * r2
        xu, yu = x / s, y / s
    su = np.clip(np.rint(xu * k.fx + k.cx), 0, k.width - 1).astype(int)
    sv = np.clip(np.rint(yu * k.fy + k.cy), 0, k.height - 1).astype(int)
    return np.ascontiguousarray(image[sv, su])


class TwinCamera:
    """A frame source (see :mod:`simgrasp.robots.camera`) showing the twin as it is now."""

    def __init__(self, cell: TwinCell, cfg: TwinCameraConfig | None = None) -> None:
        self.cell, self.cfg = cell, cfg or TwinCameraConfig()
        self.camera = mounted_camera(self.cfg)
        self._render_cfg = CameraConfig(width=self.cfg.width, height=self.cfg.height, fov_y_deg=self.cfg.fov_y_deg)

    def read(self) -> np.ndarray:
        """RGB uint8 (H, W, 3) of the twin's current state."""
        with self.cell.lock:
            look = self.cell.scene.spec.appearance if self.cell.scene is not None else None
            light = look.light.render_kwargs() if look is not None else None  # a drawn look brings its light
            rgb = render(self.cell.world, self.camera, self._render_cfg, light).rgb
        return distort(rgb, self.camera, self.cfg.k1, self.cfg.k2)

    def close(self) -> None:
        pass
