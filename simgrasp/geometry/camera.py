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
