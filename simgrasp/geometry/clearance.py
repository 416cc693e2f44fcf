"""Will the fingers come down free? A check of an image grasp against the depth image.

A top-down parallel-plate grasp fails at once when a finger lands on the object: the hand
opens a little wider than the grasp (``opening_margin_m``), descends, and each plate sweeps
a ``finger_m`` x ``jaw_m`` footprint just outside the opening down to its tips,
``tip_below_m`` below the grasp point. The footprint of each plate, grown by ``inflate_m``
on every side, is projected into the image at the tips' height and the surface seen there is
compared with the tips' height: where more than ``max_blocked_frac`` of the footprint's
valid pixels (by default: any) stand more than ``tolerance_m`` above the tips, the plate
would hit something before reaching its depth.

What the check uses is what a real cell has: the depth image, the calibrated camera and the
gripper's dimensions. Pixels without depth (0 or not finite, such as stereo holes at edges)
and footprint parts outside the image are not counted: what the camera does not see cannot
be judged. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.geometry.camera import PinholeCamera, WorldGrasp
from simgrasp.geometry.rect import GraspRect


@dataclass(frozen=True)
class JawSpec:
    """The plates of a parallel-plate gripper as they come down on a top-down grasp (metres)."""

    finger_m: float = 0.01  # plate thickness along the opening axis
    jaw_m: float = 0.025  # plate width across the opening axis
    opening_margin_m: float = 0.02  # the hand opens this much wider than the grasp before descending
    tip_below_m: float = 0.008  # the plate tips reach this far below the grasp point
    max_opening_m: float | None = 0.10  # the pre-grasp opening is clipped to this (None: no limit)
    inflate_m: float = 0.003  # footprints grown by this on every side (calibration and pixel error)
    tolerance_m: float = 0.003  # surface this little above the tips is not counted (depth noise)
    max_blocked_frac: float = 0.0  # share of a footprint's pixels allowed above the tips (raise for flying pixels)

    def __post_init__(self) -> None:
        for name in ("finger_m", "jaw_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"JawSpec.{name} must be a positive number of metres, got {getattr(self, name)!r}")
        for name in ("opening_margin_m", "tip_below_m", "inflate_m", "tolerance_m"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"JawSpec.{name} must be >= 0 metres, got {getattr(self, name)!r}")
        if self.max_opening_m is not None and not self.max_opening_m > 0:
            raise ValueError(f"JawSpec.max_opening_m must be positive or None, got {self.max_opening_m!r}")
        if not 0 <= self.max_blocked_frac < 1:
            raise ValueError(f"JawSpec.max_blocked_frac must be in [0, 1), got {self.max_blocked_frac!r}")


@dataclass(frozen=True)
class Clearance:
    """The check's answer: ``clear`` when neither plate is blocked; ``blocked_frac`` the
    larger of the two footprints' shares of pixels above the tips; ``rise_m`` how far the
    highest surface seen under a plate stands above the tips (0 when none does, or nothing
    was seen)."""

    clear: bool
    blocked_frac: float
    rise_m: float


def footprint_pixels(rect: GraspRect, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixel coordinates ``(u, v)`` whose centres lie inside ``rect`` and inside a
    ``width`` x ``height`` image."""
    c = rect.corners()
    u0, v0 = np.maximum(np.floor(c.min(0)).astype(int), 0)
    u1, v1 = np.minimum(np.ceil(c.max(0)).astype(int), [width - 1, height - 1])
    if u1 < u0 or v1 < v0:
        return np.zeros(0, int), np.zeros(0, int)
    v, u = np.mgrid[v0 : v1 + 1, u0 : u1 + 1]
    t = np.deg2rad(rect.theta_deg)
    du, dv = u - rect.x, v - rect.y
    along = du * np.cos(t) + dv * np.sin(t)
    across = -du * np.sin(t) + dv * np.cos(t)
    inside = (np.abs(along) <= 0.5 * rect.w) & (np.abs(across) <= 0.5 * rect.h)
    return u[inside], v[inside]


def surface_height(camera: PinholeCamera, u: np.ndarray, v: np.ndarray, depth_m: np.ndarray) -> np.ndarray:
    """World z (metres) of the surface seen at pixels ``(u, v)`` at optical depths ``depth_m``."""
    k = camera.intrinsics
    p = np.stack([(u - k.cx) / k.fx * depth_m, (v - k.cy) / k.fy * depth_m, depth_m], axis=-1)
    return p @ camera.T_world_cam[2, :3] + camera.T_world_cam[2, 3]


def plate_footprints(world: WorldGrasp, spec: JawSpec, z_m: float) -> list[WorldGrasp]:
    """The two plates' footprints at height ``z_m``, each as a world rectangle whose
    ``opening_m`` is the plate's thickness and ``jaw_m`` its width, both grown by
    ``spec.inflate_m`` on each side."""
    opening = world.opening_m + spec.opening_margin_m
    if spec.max_opening_m is not None:
        opening = min(opening, spec.max_opening_m)
    axis = np.array([np.cos(world.yaw_rad), np.sin(world.yaw_rad)])
    offset = 0.5 * opening + 0.5 * spec.finger_m
    return [
        WorldGrasp(world.x_m + s * offset * axis[0], world.y_m + s * offset * axis[1], z_m, world.yaw_rad,
                   spec.finger_m + 2 * spec.inflate_m, spec.jaw_m + 2 * spec.inflate_m)
        for s in (-1.0, 1.0)
    ]


def jaw_clearance(
    camera: PinholeCamera,
    depth: np.ndarray,
    grasp: GraspRect,
    spec: JawSpec = JawSpec(),
    world: WorldGrasp | None = None,
) -> Clearance:
    """Whether both plates of ``grasp`` (image pixels) come down free in ``depth`` (metres,
    the camera's image size); see the module docstring. ``world``: the grasp already mapped
    by ``camera.image_to_world(grasp, depth)``, when the caller has it."""
    if depth.shape != (camera.height, camera.width):
        raise ValueError(f"depth image must be {(camera.height, camera.width)}, got {depth.shape}")
    if world is None:
        world = camera.image_to_world(grasp, depth)
    tips = world.z_m - spec.tip_below_m
    worst_frac, worst_rise = 0.0, 0.0
    for plate in plate_footprints(world, spec, tips):
        u, v = footprint_pixels(camera.world_to_image(plate), camera.width, camera.height)
        d = depth[v, u].astype(np.float64)
        ok = np.isfinite(d) & (d > 0)
        if not ok.any():
            continue
        rise = surface_height(camera, u[ok], v[ok], d[ok]) - tips
        worst_frac = max(worst_frac, float(np.mean(rise > spec.tolerance_m)))
        worst_rise = max(worst_rise, float(rise.max()))
    return Clearance(worst_frac <= spec.max_blocked_frac, worst_frac, max(worst_rise, 0.0))


def executable_grasps(
    order: np.ndarray,
    grasps: np.ndarray,
    camera: object,
    depth: np.ndarray | None,
    max_opening_m: float | None,
    spec: JawSpec | None,
    keep: int | None = None,
) -> tuple[np.ndarray, int, int | None]:
    """The grasps of ``order`` (indices into ``grasps`` (N, 5), image pixels), in that
    order, that a gripper can make: opening at most ``max_opening_m`` (None: any) and, when
    ``spec`` is given and the camera is a :class:`PinholeCamera` with a ``depth`` image,
    plates clear (:func:`jaw_clearance`). Stops after ``keep`` (None: all). Returns the kept
    indices (K,) int64 and how many were passed over as too wide and as blocked (None when
    the plates could not be checked)."""
    check_jaws = spec is not None and depth is not None and isinstance(camera, PinholeCamera)
    kept: list[int] = []
    wide = blocked = 0
    for j in order:
        rect = GraspRect.from_array(grasps[j])
        world = camera.image_to_world(rect, depth)  # one mapping serves both checks
        if max_opening_m is not None and world.opening_m > max_opening_m:
            wide += 1
            continue
        if check_jaws and not jaw_clearance(camera, depth, rect, spec, world).clear:
            blocked += 1
            continue
        kept.append(int(j))
        if keep is not None and len(kept) == keep:
            break
    return np.asarray(kept, np.int64), wide, (blocked if check_jaws else None)
