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
    keyword arguments of ``getCameraImage`` (None: TinyRenderer's default light). A world
    with a table backdrop (:class:`~simgrasp.sim.world.World`) shades the objects only and
    shows the backdrop's pixels where the table is nearer (the same pixels, for light
    without shadows; with shadows the backdrop is not used)."""
    c = world.client
    T = camera.T_world_cam
    eye = T[:3, 3]
    forward = T[:3, 2]  # optical axis
    up = -T[:3, 1]  # image up is minus the camera's y
    view = c.computeViewMatrix(eye.tolist(), (eye + forward).tolist(), up.tolist())
    proj = c.computeProjectionMatrixFOV(cfg.fov_y_deg, cfg.width / cfg.height, cfg.near_m, cfg.far_m)
    kwargs = light or {}
    if world.backdrop is not None and kwargs.get("shadow", 0):
        raise ValueError("a world with a table backdrop cannot render shadows: build it with table_backdrop=False")

    def draw(client) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        _, _, rgba, zbuf, seg = client.getCameraImage(
            cfg.width, cfg.height, view, proj, renderer=pybullet.ER_TINY_RENDERER, **kwargs
        )
        return (np.asarray(rgba, dtype=np.uint8).reshape(cfg.height, cfg.width, 4),
                np.asarray(zbuf, dtype=np.float64).reshape(cfg.height, cfg.width),
                np.asarray(seg, dtype=np.int32).reshape(cfg.height, cfg.width))

    rgba, zbuf, seg = draw(c)
    n, f = cfg.near_m, cfg.far_m
    if world.backdrop is None:
        depth = (f * n / (f - (f - n) * zbuf)).astype(np.float32)  # OpenGL depth buffer -> metres
        return Rendered(np.ascontiguousarray(rgba[..., :3]), depth, seg, depth)

    def draw_table(client) -> tuple[np.ndarray, ...]:
        t_rgba, t_zbuf, t_seg = draw(client)
        t_depth = (f * n / (f - (f - n) * t_zbuf)).astype(np.float32)
        return np.ascontiguousarray(t_rgba[..., :3]), t_zbuf, np.where(t_seg >= 0, world.table_id, t_seg), t_depth

    key = (tuple(view), tuple(proj), cfg.width, cfg.height, tuple(sorted((k, str(v)) for k, v in kwargs.items())))
    t_rgb, t_zbuf, t_seg, t_depth = world.backdrop.frame(key, draw_table)
    # An object's pixel where it is nearer than the table (a part sunk below the top is not).
    on = (seg >= 0) & ~(t_zbuf < zbuf)
    rgb, depth, labels = t_rgb.copy(), t_depth.copy(), t_seg.copy()
    rgb[on] = rgba[..., :3][on]
    z = zbuf[on]
    depth[on] = (f * n / (f - (f - n) * z)).astype(np.float32)
    labels[on] = seg[on]
    return Rendered(rgb, depth, labels, depth)


def view_half_m(cfg: CameraConfig, z_m: float, height_m: float | None = None) -> tuple[float, float]:
    """Half sides (x, y) in metres of the table-parallel square the camera (``height_m``
    above the table, default ``cfg.height_m``) sees at height ``z_m``, centred below it."""
    h = (cfg.height_m if height_m is None else height_m) - z_m
    half_y = max(h, 0.0) * float(np.tan(0.5 * np.deg2rad(cfg.fov_y_deg)))
    return half_y * cfg.width / cfg.height, half_y
