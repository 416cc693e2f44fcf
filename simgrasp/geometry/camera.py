"""Camera models: image grasps to world grasps and back.

Frames. World: z up, the table top at ``table_height_m``. Camera (OpenCV): x right, y down,
z along the optical axis; ``depth`` is the z distance in metres. ``T_world_cam`` maps
camera coordinates to world coordinates. Every camera model (the pinhole model here, the
table homography of a real cell) satisfies :class:`CameraModel`, so nothing above the
backends knows which one is in use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from simgrasp.geometry.iou import corners_batch
from simgrasp.geometry.rect import GraspRect, wrap_angle_deg


@dataclass(frozen=True)
class WorldGrasp:
    """A top-down grasp in the world frame.

    ``x_m, y_m``: grasp centre on the table in metres; ``z_m``: height of the jaw centres
    above the world origin in metres; ``yaw_rad``: direction of the opening axis about
    world z, folded into [-pi/2, pi/2); ``opening_m``: distance between the jaws;
    ``jaw_m``: size of the jaw plates across the opening axis."""

    x_m: float
    y_m: float
    z_m: float
    yaw_rad: float
    opening_m: float
    jaw_m: float

    def to_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in ("x_m", "y_m", "z_m", "yaw_rad", "opening_m", "jaw_m")}


@runtime_checkable
class CameraModel(Protocol):
    """What a policy's image grasp needs to become a world grasp, and back."""

    width: int
    height: int

    def image_to_world(self, grasp: GraspRect, depth: np.ndarray | None = None) -> WorldGrasp:
        """Map an image grasp to a world grasp (depth image in metres, or None)."""
        ...

    def world_to_image(self, grasp: WorldGrasp) -> GraspRect:
        """Project a world grasp into the image."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description from which the model can be rebuilt."""
        ...


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_fov(cls, width: int, height: int, fov_y_deg: float) -> "Intrinsics":
        """Square pixels with vertical field of view ``fov_y_deg`` and a centred principal point."""
        f = 0.5 * height / np.tan(0.5 * np.deg2rad(fov_y_deg))
        return cls(width, height, f, f, 0.5 * width, 0.5 * height)

    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1.0]])


def look_down_pose(x_m: float, y_m: float, height_m: float) -> np.ndarray:
    """``T_world_cam`` of a camera at ``(x, y, height)`` looking straight down, with image
    right along world +x and image down along world -y."""
    T = np.eye(4)
    T[:3, :3] = np.array([[1.0, 0, 0], [0, -1.0, 0], [0, 0, -1.0]])
    T[:3, 3] = [x_m, y_m, height_m]
    return T


@dataclass(frozen=True, eq=False)
class PinholeCamera:
    """A pinhole camera above a table plane.

    ``grasp_depth_m``: how far below the highest point under the grasp the jaws go;
    ``min_clearance_m``: the jaw centres never go lower than this above the table."""

    intrinsics: Intrinsics
    T_world_cam: np.ndarray
    table_height_m: float = 0.0
    grasp_depth_m: float = 0.02
    min_clearance_m: float = 0.01
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return self.intrinsics.width

    @property
    def height(self) -> int:
        return self.intrinsics.height

    # -- points ---------------------------------------------------------------------
    def pixel_to_world(self, u: float, v: float, depth_m: float) -> np.ndarray:
        """World point (metres) seen at pixel (u, v) at optical depth ``depth_m``."""
        k = self.intrinsics
        p_cam = np.array([(u - k.cx) / k.fx * depth_m, (v - k.cy) / k.fy * depth_m, depth_m, 1.0])
        return (self.T_world_cam @ p_cam)[:3]

    def world_to_pixel(self, p_world: np.ndarray) -> tuple[float, float, float]:
        """Pixel (u, v) and optical depth in metres of a world point."""
        p = np.linalg.inv(self.T_world_cam) @ np.append(np.asarray(p_world, float), 1.0)
        k = self.intrinsics
        if p[2] <= 0:
            raise ValueError(f"point {p_world} is behind the camera (depth {p[2]:.3f} m)")
        return float(k.fx * p[0] / p[2] + k.cx), float(k.fy * p[1] / p[2] + k.cy), float(p[2])

    def pixel_on_plane(self, u: float, v: float, z_m: float) -> np.ndarray:
        """World point where the ray through pixel (u, v) meets the plane z = ``z_m``."""
        k = self.intrinsics
        d_cam = np.array([(u - k.cx) / k.fx, (v - k.cy) / k.fy, 1.0])
        R, o = self.T_world_cam[:3, :3], self.T_world_cam[:3, 3]
        d = R @ d_cam
        if abs(d[2]) < 1e-12:
            raise ValueError(f"the ray through pixel ({u}, {v}) is parallel to the plane z={z_m}")
        s = (z_m - o[2]) / d[2]
        return o + s * d

    # -- grasps ---------------------------------------------------------------------
    def grasp_height(self, grasp: GraspRect, depth: np.ndarray | None) -> float:
        """Height of the jaw centres in metres: ``grasp_depth_m`` below the highest
        point inside the rectangle when there is a depth image, else on the table."""
        floor = self.table_height_m + self.min_clearance_m
        if depth is None:
            return floor
        if depth.shape != (self.height, self.width):
            raise ValueError(f"depth image must be {(self.height, self.width)}, got {depth.shape}")
        c = grasp.corners()
        x0, y0 = np.clip(np.floor(c.min(0)).astype(int), 0, [self.width - 1, self.height - 1])
        x1, y1 = np.clip(np.ceil(c.max(0)).astype(int), 0, [self.width - 1, self.height - 1])
        patch = depth[y0 : y1 + 1, x0 : x1 + 1]
        patch = patch[np.isfinite(patch) & (patch > 0)]
        if patch.size == 0:
            return floor
        top = self.pixel_to_world(grasp.x, grasp.y, float(patch.min()))[2]
        return float(max(floor, top - self.grasp_depth_m))

    def image_to_world(self, grasp: GraspRect, depth: np.ndarray | None = None) -> WorldGrasp:
        z = self.grasp_height(grasp, depth)
        ends = [self.pixel_on_plane(u, v, z) for u, v in grasp.jaw_endpoints()]
        centre = self.pixel_on_plane(grasp.x, grasp.y, z)
        d = ends[1] - ends[0]
        yaw = float(np.arctan2(d[1], d[0]))
        yaw = (yaw + np.pi / 2) % np.pi - np.pi / 2
        t = np.deg2rad(grasp.theta_deg)
        across = np.array([-np.sin(t), np.cos(t)]) * 0.5 * grasp.h
        a = self.pixel_on_plane(grasp.x - across[0], grasp.y - across[1], z)
        b = self.pixel_on_plane(grasp.x + across[0], grasp.y + across[1], z)
        return WorldGrasp(
            float(centre[0]), float(centre[1]), z, yaw, float(np.linalg.norm(d)), float(np.linalg.norm(b - a))
        )

    def world_to_image(self, grasp: WorldGrasp) -> GraspRect:
        c = np.array([grasp.x_m, grasp.y_m, grasp.z_m])
        u = np.array([np.cos(grasp.yaw_rad), np.sin(grasp.yaw_rad), 0.0])
        v = np.array([-np.sin(grasp.yaw_rad), np.cos(grasp.yaw_rad), 0.0])
        p0 = np.array(self.world_to_pixel(c - 0.5 * grasp.opening_m * u)[:2])
        p1 = np.array(self.world_to_pixel(c + 0.5 * grasp.opening_m * u)[:2])
        q0 = np.array(self.world_to_pixel(c - 0.5 * grasp.jaw_m * v)[:2])
        q1 = np.array(self.world_to_pixel(c + 0.5 * grasp.jaw_m * v)[:2])
        pc = self.world_to_pixel(c)
        d = p1 - p0
        theta = wrap_angle_deg(float(np.degrees(np.arctan2(d[1], d[0]))))
        return GraspRect(pc[0], pc[1], theta, float(np.linalg.norm(d)), float(np.linalg.norm(q1 - q0)))

    # -- many grasps at once (the plate check's candidates) ----------------------------
    def planes_points(self, u: np.ndarray, v: np.ndarray, z_m: np.ndarray) -> np.ndarray:
        """World points (..., 3) where the rays through pixels ``(u, v)`` meet the planes
        z = ``z_m`` (arrays broadcast together): :meth:`pixel_on_plane` element-wise."""
        k = self.intrinsics
        R, o = self.T_world_cam[:3, :3], self.T_world_cam[:3, 3]
        du, dv = (np.asarray(u, float) - k.cx) / k.fx, (np.asarray(v, float) - k.cy) / k.fy
        d = [R[i, 0] * du + R[i, 1] * dv + R[i, 2] for i in range(3)]
        if np.any(np.abs(d[2]) < 1e-12):
            raise ValueError(f"a ray is parallel to the plane z={z_m}")
        s = (np.asarray(z_m, float) - o[2]) / d[2]
        return np.stack([o[i] + s * d[i] for i in range(3)], axis=-1)

    def grasp_heights(self, grasps: np.ndarray, depth: np.ndarray | None) -> np.ndarray:
        """:meth:`grasp_height` of each of the (N, 5) image grasps, metres (N,)."""
        g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
        floor = self.table_height_m + self.min_clearance_m
        out = np.full(len(g), float(floor))
        if depth is None or not len(g):
            return out
        if depth.shape != (self.height, self.width):
            raise ValueError(f"depth image must be {(self.height, self.width)}, got {depth.shape}")
        c = corners_batch(g)
        hi = [self.width - 1, self.height - 1]
        lo_xy = np.clip(np.floor(c.min(1)).astype(int), 0, hi)
        hi_xy = np.clip(np.ceil(c.max(1)).astype(int), 0, hi)
        seen = np.where(np.isfinite(depth) & (depth > 0), depth, np.inf)
        nearest = np.array([seen[y0 : y1 + 1, x0 : x1 + 1].min() for (x0, y0), (x1, y1) in zip(lo_xy, hi_xy)])
        k, T = self.intrinsics, self.T_world_cam
        d = nearest.astype(np.float64)
        top = T[2, 0] * ((g[:, 0] - k.cx) / k.fx * d) + T[2, 1] * ((g[:, 1] - k.cy) / k.fy * d) + T[2, 2] * d + T[2, 3]
        seen_any = np.isfinite(nearest)
        out[seen_any] = np.maximum(floor, top[seen_any] - self.grasp_depth_m)
        return out

    def image_to_world_batch(self, grasps: np.ndarray, depth: np.ndarray | None = None) -> np.ndarray:
        """:meth:`image_to_world` of (N, 5) image grasps at once: (N, 6) rows
        ``[x_m, y_m, z_m, yaw_rad, opening_m, jaw_m]`` (the :class:`WorldGrasp` fields)."""
        g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
        z = self.grasp_heights(g, depth)
        t = np.deg2rad(g[:, 2])
        cos, sin = np.cos(t), np.sin(t)
        half_w, half_h = 0.5 * g[:, 3], 0.5 * g[:, 4]
        us = np.stack([g[:, 0] - half_w * cos, g[:, 0] + half_w * cos, g[:, 0], g[:, 0] + half_h * sin,
                       g[:, 0] - half_h * sin], -1)
        vs = np.stack([g[:, 1] - half_w * sin, g[:, 1] + half_w * sin, g[:, 1], g[:, 1] - half_h * cos,
                       g[:, 1] + half_h * cos], -1)
        p = self.planes_points(us, vs, z[:, None])  # (N, 5, 3): jaw ends, centre, across ends
        d = p[:, 1] - p[:, 0]
        yaw = (np.arctan2(d[:, 1], d[:, 0]) + np.pi / 2) % np.pi - np.pi / 2
        return np.stack([p[:, 2, 0], p[:, 2, 1], z, yaw, np.sqrt((d * d).sum(-1)),
                         np.sqrt(((p[:, 4] - p[:, 3]) ** 2).sum(-1))], -1)

    def world_to_image_batch(self, worlds: np.ndarray) -> np.ndarray:
        """:meth:`world_to_image` of (N, 6) world grasp rows (as :meth:`image_to_world_batch`
        gives) at once: (N, 5) image grasps; ValueError when a point is behind the camera."""
        w = np.asarray(worlds, dtype=np.float64).reshape(-1, 6)
        cos, sin = np.cos(w[:, 3]), np.sin(w[:, 3])
        zero = np.zeros_like(cos)
        c = w[:, None, :3]
        axes = np.stack([np.stack([cos, sin, zero], -1), np.stack([-sin, cos, zero], -1)], 1)  # (N, 2, 3)
        half = 0.5 * np.stack([w[:, 4], w[:, 5]], -1)[..., None] * axes
        pts = np.concatenate([c - half[:, :1], c + half[:, :1], c - half[:, 1:], c + half[:, 1:], c], 1)  # (N, 5, 3)
        Ti = np.linalg.inv(self.T_world_cam)
        cam = [Ti[i, 0] * pts[..., 0] + Ti[i, 1] * pts[..., 1] + Ti[i, 2] * pts[..., 2] + Ti[i, 3] for i in range(3)]
        if np.any(cam[2] <= 0):
            raise ValueError("a point of the grasps is behind the camera")
        k = self.intrinsics
        px, py = k.fx * cam[0] / cam[2] + k.cx, k.fy * cam[1] / cam[2] + k.cy
        dx, dy = px[:, 1] - px[:, 0], py[:, 1] - py[:, 0]
        theta = (np.degrees(np.arctan2(dy, dx)) + 90.0) % 180.0 - 90.0
        return np.stack([px[:, 4], py[:, 4], theta, np.hypot(dx, dy), np.hypot(px[:, 3] - px[:, 2], py[:, 3] - py[:, 2])], -1)

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        k = self.intrinsics
        return {
            "model": "pinhole",
            "intrinsics": {"width": k.width, "height": k.height, "fx": k.fx, "fy": k.fy, "cx": k.cx, "cy": k.cy},
            "T_world_cam": np.asarray(self.T_world_cam).tolist(),
            "table_height_m": self.table_height_m,
            "grasp_depth_m": self.grasp_depth_m,
            "min_clearance_m": self.min_clearance_m,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PinholeCamera":
        if d.get("model") != "pinhole":
            raise ValueError(f"expected a camera dict with model 'pinhole', got model {d.get('model')!r}")
        return cls(
            Intrinsics(**d["intrinsics"]),
            np.asarray(d["T_world_cam"], dtype=np.float64),
            d["table_height_m"],
            d["grasp_depth_m"],
            d["min_clearance_m"],
        )
