"""Robot-driven calibration pairs: the arm shows a marker to the camera at known places.

The arm carries a small coloured ball whose centre is the origin of a tool frame
(``calibration.marker_tool``). It visits a grid of user-frame XY points at the grasp
height; at each, the camera's frame gives the ball's pixel and ``FRC_ReadCartesianPosition``
gives where the controller says the tool is. The pairs feed the homography fit exactly as
clicked or typed pairs do. For a 3-D fit (a pinhole camera) the ball visits the grid at
several heights (``calibration.grid_heights_mm``), climbing each column of the grid before
it moves to the next. Works on a real cell with such a tool, and on the twin.
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


def grid_columns(x_mm: tuple[float, float], y_mm: tuple[float, float], n: int, z_mm: list[float]) -> np.ndarray:
    """The ``n`` x ``n`` grid of :func:`grid_points` at every height of ``z_mm`` (user
    frame, mm): (n * n * len(z_mm), 3), column by column, each climbing from its lowest."""
    return np.array([(x, y, z) for x, y in grid_points(x_mm, y_mm, n) for z in sorted(z_mm)])


def _visible(sizes: np.ndarray, z: np.ndarray, min_visible: float) -> np.ndarray:
    """Which blobs show the whole marker: at least ``min_visible`` of the median blob at
    the same height (a nearer ball looks larger, so heights are not compared)."""
    keep = np.zeros(len(sizes), bool)
    for level in np.unique(np.round(z, 1)):
        at = np.round(z, 1) == level
        keep[at] = sizes[at] >= min_visible * np.median(sizes[at])
    return keep


def collect_points(
    cfg: RobotConfig, camera: FrameSource, points_mm: np.ndarray, clearance_mm: float = 50.0,
    colour: MarkerColour = MarkerColour(), say=print, min_visible: float = 0.75,
) -> tuple[np.ndarray, np.ndarray]:
    """Visit ``points_mm`` (N, 3, user frame) with the marker tool, coming down
    ``clearance_mm`` from above each column and climbing straight up to the next point of
    the same column. Returns pixels (M, 2) and the tool positions the controller reports
    in mm (M, 3) for the M points where the whole marker was seen: a blob smaller than
    ``min_visible`` of the median one at its height is partly hidden (by an object or the
    arm) and its centroid biased, so it is dropped. The session is aborted and closed after."""
    c, m = cfg.calibration, cfg.motion
    if c.marker_tool <= 0:
        raise ValueError("calibration.marker_tool is 0: set the UTool number whose origin is the camera-visible marker")
    arm = replace(cfg.arm, utool=c.marker_tool)  # a motion names the tool frame it places
    pose = lambda x, y, z: Pose(x, y, z, m.w_deg, m.p_deg, 0.0)  # noqa: E731
    px, xyz, sizes = [], [], []
    client = open_session(cfg, c.marker_tool)
    try:
        last: tuple[float, float, float] | None = None
        for x, y, z in np.asarray(points_mm, dtype=np.float64).reshape(-1, 3):
            if last is not None and (x, y) == last[:2] and z >= last[2]:
                path = [pose(x, y, z)]  # up the same column
            else:
                if last is not None:
                    client.wait(client.move([pose(last[0], last[1], last[2] + clearance_mm)], m.speed, arm))
                path = [pose(x, y, z + clearance_mm), pose(x, y, z)]
            client.wait(client.move(path, m.speed, arm, m.cnt_value))
            last = (x, y, z)
            uv = find_marker(camera.read(), colour)
            where = client.read_position()
            if uv is None:
                say(f"  marker not seen at robot ({x:.1f}, {y:.1f}, {z:.1f}) mm: point skipped")
                continue
            px.append(uv[:2])
            xyz.append((where.x, where.y, where.z))
            sizes.append(uv[2])
        if last is not None:
            client.wait(client.move([pose(last[0], last[1], last[2] + clearance_mm)], m.speed, arm))
    finally:
        client.close()
    xyz_a = np.array(xyz, dtype=np.float64).reshape(-1, 3)
    keep = _visible(np.asarray(sizes, dtype=np.float64), xyz_a[:, 2], min_visible)
    for (x, y, z), k in zip(xyz_a, keep):
        if not k:
            say(f"  marker partly hidden at robot ({x:.1f}, {y:.1f}, {z:.1f}) mm: point skipped")
    return np.array(px, dtype=np.float64).reshape(-1, 2)[keep], xyz_a[keep]


def collect_pairs(
    cfg: RobotConfig, camera: FrameSource, points_mm: np.ndarray, clearance_mm: float = 50.0,
    colour: MarkerColour = MarkerColour(), say=print, min_visible: float = 0.75,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`collect_points` at the grasp height for XY ``points_mm`` (N, 2): pixels
    (M, 2) and robot XY in mm (M, 2), the pairs of a table homography."""
    p = np.asarray(points_mm, dtype=np.float64).reshape(-1, 2)
    pts = np.c_[p, np.full(len(p), cfg.motion.grasp_z_mm)]
    px, xyz = collect_points(cfg, camera, pts, clearance_mm, colour, say, min_visible)
    return px, xyz[:, :2]
