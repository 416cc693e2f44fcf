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
from simgrasp.geometry.iou import corners_batch
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


def plate_footprints_batch(worlds: np.ndarray, spec: JawSpec, z_m: np.ndarray) -> np.ndarray:
    """:func:`plate_footprints` of (N, 6) world grasp rows (see
    :meth:`~simgrasp.geometry.camera.PinholeCamera.image_to_world_batch`) at heights
    ``z_m`` (N,): (N, 2, 6) rows, the plate at minus the opening axis first."""
    w = np.asarray(worlds, dtype=np.float64).reshape(-1, 6)
    opening = w[:, 4] + spec.opening_margin_m
    if spec.max_opening_m is not None:
        opening = np.minimum(opening, spec.max_opening_m)
    offset = 0.5 * opening + 0.5 * spec.finger_m
    ax, ay = np.cos(w[:, 3]), np.sin(w[:, 3])
    out = np.empty((len(w), 2, 6))
    for i, s in enumerate((-1.0, 1.0)):
        out[:, i] = np.stack([w[:, 0] + s * offset * ax, w[:, 1] + s * offset * ay, np.broadcast_to(z_m, len(w)), w[:, 3],
                              np.full(len(w), spec.finger_m + 2 * spec.inflate_m),
                              np.full(len(w), spec.jaw_m + 2 * spec.inflate_m)], -1)
    return out


def footprint_masks(rects: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`footprint_pixels` of (M, 5) image rectangles at once, on windows of one size
    (Sv, Su) that lie inside the image (the largest bounding box): ``(u0, v0, inside)``, the
    windows' first column and row (M,) and (M, Sv, Su) True at the pixels
    :func:`footprint_pixels` gives for that rectangle (pixel ``(u0 + j, v0 + i)`` at ``[:, i, j]``)."""
    r = np.asarray(rects, dtype=np.float64).reshape(-1, 5)
    c = corners_batch(r)
    lo_u = np.maximum(np.floor(c[..., 0].min(1)).astype(int), 0)
    lo_v = np.maximum(np.floor(c[..., 1].min(1)).astype(int), 0)
    hi_u = np.minimum(np.ceil(c[..., 0].max(1)).astype(int), width - 1)
    hi_v = np.minimum(np.ceil(c[..., 1].max(1)).astype(int), height - 1)
    su = int(min(width, max(1, (hi_u - lo_u).max(initial=0) + 1)))
    sv = int(min(height, max(1, (hi_v - lo_v).max(initial=0) + 1)))
    u0, v0 = np.clip(lo_u, 0, width - su), np.clip(lo_v, 0, height - sv)
    u = u0[:, None, None] + np.arange(su)[None, None, :]  # (M, 1, Su): columns
    v = v0[:, None, None] + np.arange(sv)[None, :, None]  # (M, Sv, 1): rows
    t = np.deg2rad(r[:, 2])[:, None, None]
    cos, sin = np.cos(t), np.sin(t)
    du, dv = u - r[:, 0, None, None], v - r[:, 1, None, None]
    # The products on the window's sides, their sums on the whole window: the same values as
    # footprint_pixels' grid, for less work.
    inside = np.abs(du * cos + dv * sin) <= 0.5 * r[:, 3, None, None]
    inside &= np.abs(-du * sin + dv * cos) <= 0.5 * r[:, 4, None, None]
    inside &= (u >= lo_u[:, None, None]) & (u <= hi_u[:, None, None])
    inside &= (v >= lo_v[:, None, None]) & (v <= hi_v[:, None, None])
    return u0, v0, inside


def jaw_clearance_batch(
    camera: PinholeCamera, depth: np.ndarray, grasps: np.ndarray, spec: JawSpec = JawSpec(),
    worlds: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`jaw_clearance` of (N, 5) image grasps at once, with one projection for all:
    ``(clear, blocked_frac, rise_m)``, each (N,), the fields of each grasp's
    :class:`Clearance`. ``worlds``: the grasps already mapped by
    ``camera.image_to_world_batch(grasps, depth)``, when the caller has them."""
    if depth.shape != (camera.height, camera.width):
        raise ValueError(f"depth image must be {(camera.height, camera.width)}, got {depth.shape}")
    g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
    if worlds is None:
        worlds = camera.image_to_world_batch(g, depth)
    n = len(g)
    if n == 0:
        return np.zeros(0, bool), np.zeros(0), np.zeros(0)
    tips = worlds[:, 2] - spec.tip_below_m
    plates = plate_footprints_batch(worlds, spec, tips).reshape(2 * n, 6)
    u0, v0, inside = footprint_masks(camera.world_to_image_batch(plates), camera.width, camera.height)
    sv, su = inside.shape[1:]
    d = np.lib.stride_tricks.sliding_window_view(depth, (sv, su))[v0, u0].astype(np.float64)
    ok = inside & np.isfinite(d) & (d > 0)
    k, T = camera.intrinsics, camera.T_world_cam
    # surface_height's sum, in its order; for the look-down camera the first two terms are
    # 0 and add nothing, so they are left out: the same values.
    if T[2, 0] == 0 and T[2, 1] == 0:
        z = T[2, 2] * d
    else:
        x = ((u0[:, None, None] + np.arange(su)[None, None, :]) - k.cx) / k.fx * d
        y = ((v0[:, None, None] + np.arange(sv)[None, :, None]) - k.cy) / k.fy * d
        z = T[2, 0] * x + T[2, 1] * y + T[2, 2] * d
    rise = (z + T[2, 3]) - np.repeat(tips, 2)[:, None, None]
    seen = ok.sum((1, 2))
    above = (ok & (rise > spec.tolerance_m)).sum((1, 2))
    frac = np.where(seen > 0, above / np.maximum(seen, 1), 0.0).reshape(n, 2)
    rise[~ok] = -np.inf
    top = rise.max((1, 2)).reshape(n, 2)
    worst_frac = frac.max(1)
    worst_rise = np.maximum(top.max(1), 0.0)
    return worst_frac <= spec.max_blocked_frac, worst_frac, worst_rise


def executable_grasps(
    order: np.ndarray,
    grasps: np.ndarray,
    camera: object,
    depth: np.ndarray | None,
    max_opening_m: float | None,
    spec: JawSpec | None,
    keep: int | None = None,
    chunk: int = 16,
) -> tuple[np.ndarray, int, int | None]:
    """The grasps of ``order`` (indices into ``grasps`` (N, 5), image pixels), in that
    order, that a gripper can make: opening at most ``max_opening_m`` (None: any) and, when
    ``spec`` is given and the camera is a :class:`PinholeCamera` with a ``depth`` image,
    plates clear (:func:`jaw_clearance`). Stops after ``keep`` (None: all). Returns the kept
    indices (K,) int64 and how many were passed over as too wide and as blocked (None when
    the plates could not be checked).

    With a pinhole camera the candidates are checked ``chunk`` at a time, each chunk in one
    projection (:func:`jaw_clearance_batch`); the answer is the one-at-a-time walk's."""
    check_jaws = spec is not None and depth is not None and isinstance(camera, PinholeCamera)
    jaws = spec if check_jaws else None
    order = np.asarray(order, np.int64).reshape(-1)
    rows = np.asarray(grasps, dtype=np.float64)
    kept: list[int] = []
    wide = blocked = 0
    start = 0
    while start < len(order):
        part = order[start : start + chunk]
        start += len(part)
        checks = _chunk_checks(rows[part].reshape(-1, 5), camera, depth, max_opening_m, jaws)
        for i, j in enumerate(part):
            if checks is not None:
                too_wide, jammed = checks[0][i], checks[1][i]
            else:
                too_wide, jammed = _one_check(rows[j], camera, depth, max_opening_m, jaws)
            if too_wide:
                wide += 1
            elif jammed:
                blocked += 1
            else:
                kept.append(int(j))
                if keep is not None and len(kept) == keep:
                    return np.asarray(kept, np.int64), wide, (blocked if check_jaws else None)
        chunk *= 2  # most decisions end in the first chunk; a long walk takes longer strides
    return np.asarray(kept, np.int64), wide, (blocked if check_jaws else None)


def _chunk_checks(
    rects: np.ndarray, camera: object, depth: np.ndarray | None, max_opening_m: float | None, spec: JawSpec | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """(too wide, plates blocked) of each of the (M, 5) ``rects`` in one projection, the
    plates checked only for those not too wide (as the one-at-a-time walk does); None
    when the camera is not a :class:`PinholeCamera` or a point falls behind it (then the
    walk checks one at a time, failing where it would)."""
    if not isinstance(camera, PinholeCamera):
        return None
    try:
        worlds = camera.image_to_world_batch(rects, depth)
        too_wide = worlds[:, 4] > max_opening_m if max_opening_m is not None else np.zeros(len(rects), bool)
        jammed = np.zeros(len(rects), bool)
        todo = np.flatnonzero(~too_wide)
        if spec is not None and depth is not None and todo.size:
            jammed[todo] = ~jaw_clearance_batch(camera, depth, rects[todo], spec, worlds[todo])[0]
    except ValueError:
        return None
    return too_wide, jammed


def _one_check(
    row: np.ndarray, camera: object, depth: np.ndarray | None, max_opening_m: float | None, spec: JawSpec | None
) -> tuple[bool, bool]:
    """(too wide, plates blocked) of one image grasp ``row`` (5,), blocked checked only when not too wide."""
    rect = GraspRect.from_array(row)
    world = camera.image_to_world(rect, depth)  # type: ignore[attr-defined]  # one mapping serves both checks
    if max_opening_m is not None and world.opening_m > max_opening_m:
        return True, False
    blocked = spec is not None and depth is not None and not jaw_clearance(camera, depth, rect, spec, world).clear  # type: ignore[arg-type]
    return False, bool(blocked)
