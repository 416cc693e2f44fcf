"""The twin's camera: the twin's scene rendered from a mounted, imperfect pose.

Not the sim backend's ideal camera straight above the table centre: this one is offset,
tilted a few degrees and optionally distorted (radial k1, k2), as a camera bolted over a
real cell is, so the homography calibration has real work to do. Frames: the world of
:mod:`simgrasp.rehearsal.twin`; the mount is given as the camera's position (metres) and a
tilt (degrees) about the camera's own x, y, z axes, applied to a look-down pose.

It is an RGB-D camera too: the depth image is rendered from the same pose, through the same
lens (registered to the colour image), with the stereo-like noise and edge holes of
:mod:`simgrasp.sim.depth_noise`: a scene with a drawn look (appearance ``randomized``) brings
its own noise, as the sim's observation does; otherwise the config's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.geometry import Intrinsics, PinholeCamera, look_down_pose
from simgrasp.geometry.frames import wpr_matrix
from simgrasp.geometry.lens import RadialLens
from simgrasp.rehearsal.twin import TwinCell
from simgrasp.sim.camera import render
from simgrasp.sim.config import CameraConfig
from simgrasp.sim.depth_noise import noisy_depth


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
    depth_sigma_m: float = 0.002  # depth noise at 1 m, growing with depth squared (a scene's drawn look overrides)
    depth_edge_dropout: float = 0.5  # share of the pixels at depth edges left without depth (0)


def mounted_camera(cfg: TwinCameraConfig) -> PinholeCamera:
    """The pinhole model of the mounted camera (before distortion)."""
    f = 0.5 * cfg.height / np.tan(0.5 * np.deg2rad(cfg.fov_y_deg))
    k = Intrinsics(cfg.width, cfg.height, f, f, 0.5 * (cfg.width - 1), 0.5 * (cfg.height - 1))
    T = look_down_pose(*cfg.position_m) @ wpr_matrix(0.0, 0.0, 0.0, *cfg.tilt_deg)
    return PinholeCamera(k, T)


def distort(image: np.ndarray, camera: PinholeCamera, k1: float, k2: float) -> np.ndarray:
    """The image a lens with radial distortion (k1, k2) would give: each output pixel
    samples the ideal image where the undistorted ray lands (nearest-neighbour lookup)."""
    lens = RadialLens(k1, k2)
    if lens.perfect:
        return image
    k = camera.intrinsics
    v, u = np.mgrid[0 : k.height, 0 : k.width].astype(np.float64)
    # the output pixel is distorted; the source pixel in the ideal image is undistorted
    xu, yu = lens.undistort((u - k.cx) / k.fx, (v - k.cy) / k.fy)
    su = np.clip(np.rint(xu * k.fx + k.cx), 0, k.width - 1).astype(int)
    sv = np.clip(np.rint(yu * k.fy + k.cy), 0, k.height - 1).astype(int)
    return np.ascontiguousarray(image[sv, su])


class TwinCamera:
    """A frame source (see :mod:`simgrasp.robots.camera`) showing the twin as it is now."""

    def __init__(self, cell: TwinCell, cfg: TwinCameraConfig | None = None) -> None:
        self.cell, self.cfg = cell, cfg or TwinCameraConfig()
        self.camera = mounted_camera(self.cfg)
        self._render_cfg = CameraConfig(width=self.cfg.width, height=self.cfg.height, fov_y_deg=self.cfg.fov_y_deg)

        self._depth_frames: dict[int, int] = {}  # depth frames served per scene seed (seeds their noise)

    def _render(self, depth: bool) -> tuple[np.ndarray, np.ndarray | None]:
        with self.cell.lock:
            look = self.cell.scene.spec.appearance if self.cell.scene is not None else None
            light = look.light.render_kwargs() if look is not None else None  # a drawn look brings its light
            frame = render(self.cell.world, self.camera, self._render_cfg, light)
            seed = int(self.cell.info.get("seed", 0))
        rgb = distort(frame.rgb, self.camera, self.cfg.k1, self.cfg.k2)
        if not depth:
            return rgb, None
        sigma, dropout = self.cfg.depth_sigma_m, self.cfg.depth_edge_dropout
        if look is not None:
            sigma, dropout = look.depth_noise.sigma_m, look.depth_noise.edge_dropout
        n = self._depth_frames[seed] = self._depth_frames.get(seed, -1) + 1
        # the sensor's noise falls on the image it sees: after the lens
        perfect = distort(frame.perfect_depth, self.camera, self.cfg.k1, self.cfg.k2)
        return rgb, noisy_depth(perfect, np.random.default_rng([seed, n]), sigma, dropout)

    def read(self) -> np.ndarray:
        """RGB uint8 (H, W, 3) of the twin's current state."""
        return self._render(depth=False)[0]

    def read_rgbd(self) -> tuple[np.ndarray, np.ndarray]:
        """The colour frame and its registered depth, float32 (H, W) metres along the optical
        axis, 0 in the holes; from one render."""
        rgb, depth = self._render(depth=True)
        assert depth is not None
        return rgb, depth

    def read_depth(self) -> np.ndarray:
        """The depth frame alone (what the console serves at ``/depth.png``)."""
        return self.read_rgbd()[1]

    def close(self) -> None:
        pass
