"""Robot-driven calibration pairs: the arm shows a marker to the camera at known places.

The arm carries a small coloured ball whose centre is the origin of a tool frame
(``calibration.marker_tool``). It visits a grid of user-frame XY points at the grasp
height; at each, the camera's frame gives the ball's pixel and ``FRC_ReadCartesianPosition``
gives where the controller says the tool is. The pairs feed the homography fit exactly as
clicked or typed pairs do. Works on a real cell with such a tool, and on the twin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from simgrasp.robots.backend import open_session
from simgrasp.robots.camera import FrameSource
from simgrasp.robots.config import RobotConfig
from simgrasp.robots.rmi_protocol import Pose


@dataclass(frozen=True)
class MarkerColour:
    """Magenta, a colour tables and objects seldom have: red and blue both above ``floor``
    and ``ratio`` times green. A ratio, not a brightness, so the marker's shaded side counts
    too (a threshold on brightness keeps only the lit side and biases the centroid)."""

    floor: int = 40
    ratio: float = 2.5
    balance: float = 0.6  # min(red, blue) at least this fraction of max(red, blue)
    min_pixels: int = 6


def find_marker(rgb: np.ndarray, colour: MarkerColour = MarkerColour()) -> tuple[float, float, int] | None:
    """Pixel ``(u, v)`` of the marker's centroid in an RGB uint8 image and its pixel count,
    or None when fewer than ``colour.min_pixels`` pixels match."""
    r, g, b = (rgb[:, :, i].astype(np.float64) for i in range(3))
    lo, hi = np.minimum(r, b), np.maximum(r, b)
    mask = (lo > colour.floor) & (lo > colour.ratio * g) & (lo >= colour.balance * hi)
    vs, us = np.nonzero(mask)
    if us.size < colour.min_pixels:
        return None
    return float(us.mean()), float(vs.mean()), int(us.size)


def grid_points(x_mm: tuple[float, float], y_mm: tuple[float, float], n: int) -> np.ndarray:
    """``n`` x ``n`` user-frame XY points (mm) spanning the box, row by row."""
    if n < 2:
        raise ValueError(f"a calibration grid needs n >= 2 points per side, got {n}")
    xs, ys = np.linspace(*x_mm, n), np.linspace(*y_mm, n)
    return np.array([(x, y) for x in xs for y in ys])


def collect_pairs(
    cfg: RobotConfig, camera: FrameSource, points_mm: np.ndarray, clearance_mm: float = 50.0,
    colour: MarkerColour = MarkerColour(), say=print, min_visible: float = 0.75,
) -> tuple[np.ndarray, np.ndarray]:
    """Visit ``points_mm`` (N, 2) with the marker tool at the grasp height, coming down
    ``clearance_mm`` from above each one. Returns pixels (M, 2) and robot XY in mm (M, 2)
    for the M points where the whole marker was seen: a blob smaller than ``min_visible``
    of the median one is partly hidden (by an object or the arm) and its centroid biased,
    so it is dropped. The session is aborted and closed after."""
    c, m = cfg.calibration, cfg.motion
    if c.marker_tool <= 0:
        raise ValueError("calibration.marker_tool is 0: set the UTool number whose origin is the camera-visible marker")
    z = m.grasp_z_mm
    arm = replace(cfg.arm, utool=c.marker_tool)  # a motion names the tool frame it places
    px, xy, sizes = [], [], []
    client = open_session(cfg, c.marker_tool)
    try:
        for x, y in points_mm:
            above, at = Pose(x, y, z + clearance_mm, m.w_deg, m.p_deg, 0.0), Pose(x, y, z, m.w_deg, m.p_deg, 0.0)
            client.wait(client.move([above, at], m.speed, arm, m.cnt_value))
            uv = find_marker(camera.read(), colour)
            where = client.read_position()
            client.wait(client.move([above], m.speed, arm))
            if uv is None:
                say(f"  marker not seen at robot ({x:.1f}, {y:.1f}) mm: point skipped")
                continue
            px.append(uv[:2])
            xy.append((where.x, where.y))
            sizes.append(uv[2])
    finally:
        client.close()
    keep = np.asarray(sizes) >= min_visible * np.median(sizes) if sizes else np.zeros(0, bool)
    for (x, y), k in zip(xy, keep):
        if not k:
            say(f"  marker partly hidden at robot ({x:.1f}, {y:.1f}) mm: point skipped")
    px, xy = [p for p, k in zip(px, keep) if k], [q for q, k in zip(xy, keep) if k]
    return np.array(px, dtype=np.float64).reshape(-1, 2), np.array(xy, dtype=np.float64).reshape(-1, 2)
