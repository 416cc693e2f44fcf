"""Top-down rendering with TinyRenderer, and the PinholeCamera that matches the images.

Pixel convention: pixel index (col, row) covers [col, col + 1) x [row, row + 1) of the
OpenGL viewport, so its centre, which TinyRenderer samples, sits at continuous coordinate
(col + 0.5, row + 0.5); the pinhole model uses pixel-index coordinates (the centre of pixel
(col, row) is at (col, row)), hence ``cx = (width - 1) / 2``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pybullet

from simgrasp.geometry import Intrinsics, PinholeCamera, look_down_pose
from simgrasp.sim.config import CameraConfig
from simgrasp.sim.world import World


def make_camera(cfg: CameraConfig, height_m: float | None = None) -> PinholeCamera:
    """The pinhole model of a camera ``height_m`` (default ``cfg.height_m``) above the
    table centre, looking straight down (image right = world +x, image down = world -y)."""
    h = cfg.height_m if height_m is None else height_m
    f = 0.5 * cfg.height / np.tan(0.5 * np.deg2rad(cfg.fov_y_deg))
    k = Intrinsics(cfg.width, cfg.height, f, f, 0.5 * (cfg.width - 1), 0.5 * (cfg.height - 1))
    return PinholeCamera(k, look_down_pose(0.0, 0.0, h))


@dataclass
class Rendered:
    """One frame: ``rgb`` uint8 (H, W, 3), ``depth`` float32 (H, W) metres along the optical
    axis as the camera reports it, ``segmentation`` int32 (H, W) body ids (-1 for none),
    ``perfect_depth`` the rendered depth before any sensor noise."""

    rgb: np.ndarray
    depth: np.ndarray
    segmentation: np.ndarray
    perfect_depth: np.ndarray


def render(world: World, camera: PinholeCamera, cfg: CameraConfig, light: dict | None = None) -> Rendered:
    """Render ``world`` as ``camera`` sees it (TinyRenderer, no window). ``light``: light
    keyword arguments of ``getCameraImage`` (None: TinyRenderer's default light)."""
    c = world.client
    T = camera.T_world_cam
    eye = T[:3, 3]
    forward = T[:3, 2]  # optical axis
    up = -T[:3, 1]  # image up is minus the camera's y
    view = c.computeViewMatrix(eye.tolist(), (eye + forward).tolist(), up.tolist())
    proj = c.computeProjectionMatrixFOV(cfg.fov_y_deg, cfg.width / cfg.height, cfg.near_m, cfg.far_m)
    _, _, rgba, zbuf, seg = c.getCameraImage(
        cfg.width, cfg.height, view, proj, renderer=pybullet.ER_TINY_RENDERER, **(light or {})
    )
    rgba = np.asarray(rgba, dtype=np.uint8).reshape(cfg.height, cfg.width, 4)
    zbuf = np.asarray(zbuf, dtype=np.float64).reshape(cfg.height, cfg.width)
    n, f = cfg.near_m, cfg.far_m
    depth = (f * n / (f - (f - n) * zbuf)).astype(np.float32)  # OpenGL depth buffer -> metres
    seg = np.asarray(seg, dtype=np.int32).reshape(cfg.height, cfg.width)
    return Rendered(np.ascontiguousarray(rgba[..., :3]), depth, seg, depth)


def view_half_m(cfg: CameraConfig, z_m: float, height_m: float | None = None) -> tuple[float, float]:
    """Half sides (x, y) in metres of the table-parallel square the camera (``height_m``
    above the table, default ``cfg.height_m``) sees at height ``z_m``, centred below it."""
    h = (cfg.height_m if height_m is None else height_m) - z_m
    half_y = max(h, 0.0) * float(np.tan(0.5 * np.deg2rad(cfg.fov_y_deg)))
    return half_y * cfg.width / cfg.height, half_y
