"""A table-plane homography: image pixels to world XY on the table, for a fixed RGB camera.

A real cell's camera looks down at a flat table and has no depth. Every grasp happens at
one configured height, so a plane-to-plane homography fitted from pixel / robot XY pairs
is the whole camera model: no intrinsics, no extrinsics, no lens model beyond what four
or more pairs can absorb.

Frames. Image: pixel column ``u``, row ``v``, y down (as in :mod:`simgrasp.geometry.rect`).
World: the robot's user frame, XY on the table; ``H`` maps homogeneous pixels
``(u, v, 1)`` to homogeneous world ``(x, y, 1)`` in whatever unit the pairs were given
(metres for :class:`HomographyCamera`). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simgrasp.geometry.camera import WorldGrasp
from simgrasp.geometry.rect import GraspRect, wrap_angle_deg


def normaliser(p: np.ndarray) -> np.ndarray:
    """Hartley's similarity for (N, d) points: centroid to the origin, mean distance
    sqrt(d); the (d + 1) x (d + 1) matrix acting on homogeneous points. Without it a DLT
    system mixes pixel values near 1e3 with ones and loses digits."""
    p = np.asarray(p, dtype=np.float64)
    n = p.shape[1]
    c = p.mean(axis=0)
    d = np.sqrt(((p - c) ** 2).sum(axis=1)).mean()
    if d < 1e-12:
        raise ValueError("calibration points all coincide; need >= 4 distinct points")
    s = np.sqrt(float(n)) / d
    T = np.eye(n + 1)
    T[:n, :n] *= s
    T[:n, n] = -s * c
    return T


def apply_homography(H: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map (N, 2) points through the 3x3 homography ``H``; returns (N, 2)."""
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    q = np.c_[p, np.ones(len(p))] @ np.asarray(H, dtype=np.float64).T
    if np.any(np.abs(q[:, 2]) < 1e-12):
        raise ValueError("a point maps to infinity through the homography (on its horizon line)")
    return q[:, :2] / q[:, 2:3]


def fit_homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares homography with ``dst ~ H src`` from >= 4 point pairs, by the
    normalised direct linear transform. ``src``, ``dst``: (N, 2) arrays. Returns ``H``
    scaled so that ``H[2, 2] == 1``. Raises ``ValueError`` for fewer than 4 pairs or a
    degenerate (collinear) set."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.ndim != 2 or src.shape[1] != 2 or src.shape != dst.shape:
        raise ValueError(f"expected two (N, 2) arrays of the same shape, got {src.shape} and {dst.shape}")
    n = len(src)
    if n < 4:
        raise ValueError(f"a homography needs at least 4 point pairs, got {n}")
    if not (np.all(np.isfinite(src)) and np.all(np.isfinite(dst))):
        raise ValueError("calibration points contain NaN or infinity")
    Ts, Td = normaliser(src), normaliser(dst)
    s = apply_homography(Ts, src)
    d = apply_homography(Td, dst)
    A = np.zeros((2 * n, 9))
    for i, ((x, y), (u, v)) in enumerate(zip(s, d)):
        A[2 * i] = [-x, -y, -1, 0, 0, 0, u * x, u * y, u]
        A[2 * i + 1] = [0, 0, 0, -x, -y, -1, v * x, v * y, v]
    _, sv, Vt = np.linalg.svd(A)
    # A rank below 8 means the points do not pin down a homography (three or more collinear
    # with only four pairs, or all on one line).
    if sv[7] < 1e-9 * sv[0]:
        raise ValueError("calibration points are degenerate (collinear?); spread them over the table")
    Hn = Vt[-1].reshape(3, 3)
    H = np.linalg.inv(Td) @ Hn @ Ts
    if abs(H[2, 2]) < 1e-12:
        raise ValueError("fitted homography is degenerate (H[2,2] = 0)")
    return H / H[2, 2]


def reprojection_errors(H: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Distance between ``H src`` and ``dst`` for each pair, in the unit of ``dst``."""
    return np.linalg.norm(apply_homography(H, src) - np.asarray(dst, dtype=np.float64), axis=1)


@dataclass(frozen=True, eq=False)
class HomographyCamera:
    """A :class:`~simgrasp.geometry.CameraModel` for a top-down camera without depth.

    ``H_world_image``: 3x3, pixels -> world XY in metres on the table; ``grasp_z_m``: the
    height of the jaw centres in the world frame for every grasp (there is no depth to
    choose one per object); ``width``, ``height``: image size in pixels."""

    H_world_image: np.ndarray
    width: int
    height: int
    grasp_z_m: float = 0.0

    def __post_init__(self) -> None:
        H = np.asarray(self.H_world_image, dtype=np.float64)
        if H.shape != (3, 3) or not np.all(np.isfinite(H)) or abs(np.linalg.det(H)) < 1e-18:
            raise ValueError(f"H_world_image must be a finite invertible 3x3 matrix, got {H.tolist()}")
        object.__setattr__(self, "H_world_image", H)

    @property
    def H_image_world(self) -> np.ndarray:
        """World XY (metres) -> pixels."""
        return np.linalg.inv(self.H_world_image)

    def pixel_to_world(self, u: float, v: float) -> np.ndarray:
        """World XY in metres of pixel ``(u, v)`` on the table plane."""
        return apply_homography(self.H_world_image, np.array([[u, v]]))[0]

    def world_to_pixel(self, x_m: float, y_m: float) -> np.ndarray:
        """Pixel ``(u, v)`` of world point ``(x, y)`` in metres on the table plane."""
        return apply_homography(self.H_image_world, np.array([[x_m, y_m]]))[0]

    def image_to_world(self, grasp: GraspRect, depth: np.ndarray | None = None) -> WorldGrasp:
        """Centre through the homography; yaw and opening from the mapped jaw end points,
        yaw folded into [-pi/2, pi/2) (a parallel gripper is symmetric); the jaw size
        from the mapped points across the opening axis; z is ``grasp_z_m``. ``depth`` is
        ignored: the cell has none."""
        ends = apply_homography(self.H_world_image, grasp.jaw_endpoints())
        t = np.deg2rad(grasp.theta_deg)
        across = np.array([-np.sin(t), np.cos(t)]) * 0.5 * grasp.h
        c = np.array([grasp.x, grasp.y])
        jaw = apply_homography(self.H_world_image, np.stack([c - across, c + across]))
        centre = self.pixel_to_world(grasp.x, grasp.y)
        d = ends[1] - ends[0]
        yaw = float(np.arctan2(d[1], d[0]))
        yaw = (yaw + np.pi / 2) % np.pi - np.pi / 2
        return WorldGrasp(
            float(centre[0]),
            float(centre[1]),
            float(self.grasp_z_m),
            yaw,
            float(np.linalg.norm(d)),
            float(np.linalg.norm(jaw[1] - jaw[0])),
        )

    def world_to_image(self, grasp: WorldGrasp) -> GraspRect:
        """Project a world grasp onto the image through the inverse homography (its z is
        not used: every point is taken on the table plane)."""
        c = np.array([grasp.x_m, grasp.y_m])
        u = np.array([np.cos(grasp.yaw_rad), np.sin(grasp.yaw_rad)])
        v = np.array([-np.sin(grasp.yaw_rad), np.cos(grasp.yaw_rad)])
        Hi = self.H_image_world
        p = apply_homography(Hi, np.stack([c - 0.5 * grasp.opening_m * u, c + 0.5 * grasp.opening_m * u]))
        q = apply_homography(Hi, np.stack([c - 0.5 * grasp.jaw_m * v, c + 0.5 * grasp.jaw_m * v]))
        pc = apply_homography(Hi, c[None])[0]
        d = p[1] - p[0]
        theta = wrap_angle_deg(float(np.degrees(np.arctan2(d[1], d[0]))))
        return GraspRect(float(pc[0]), float(pc[1]), theta, float(np.linalg.norm(d)), float(np.linalg.norm(q[1] - q[0])))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "homography",
            "H_world_image": self.H_world_image.tolist(),
            "width": int(self.width),
            "height": int(self.height),
            "grasp_z_m": float(self.grasp_z_m),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "HomographyCamera":
        if d.get("model") != "homography":
            raise ValueError(f"expected a camera dict with model 'homography', got model {d.get('model')!r}")
        return cls(np.asarray(d["H_world_image"], dtype=np.float64), int(d["width"]), int(d["height"]), float(d["grasp_z_m"]))
