"""A classical baseline with no learning: grasp the object across its minor axis.

Stages, each a plain function: segment what stands above the table, split it into
connected objects, take the highest one (the top of a pile, free to take), its centroid
and principal axes, and open across the minor axis by its width plus a margin
(:func:`simgrasp.geometry.minor_axis_grasp`). With one
object in view this is the minor-axis grasp of that object. Everything is in image
pixels; the camera model maps the grasp to metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from simgrasp.backends.base import COLOR, Observation
from simgrasp.geometry.blob import minor_axis_grasp
from simgrasp.policies.base import Decision, register_policy


def _border(a: np.ndarray, px: int) -> np.ndarray:
    """Pixels of the image border ``px`` wide, flattened over the leading two axes."""
    h, w = a.shape[:2]
    m = np.zeros((h, w), bool)
    m[:px], m[-px:], m[:, :px], m[:, -px:] = True, True, True, True
    return a[m]


def segment_by_depth(depth: np.ndarray, min_height_m: float = 0.004, border_px: int = 4) -> np.ndarray:
    """Pixels standing at least ``min_height_m`` metres above the table plane (bool mask)."""
    return height_above_table(depth, border_px) > min_height_m


def height_above_table(depth: np.ndarray, border_px: int = 4) -> np.ndarray:
    """Per pixel, how far (m, along the optical axis) it stands in front of the table plane;
    -inf where the depth is missing.

    The table is fitted on the image border, which a centred object leaves free. For a
    plane, 1/depth is affine in the pixel coordinates whatever the camera's tilt, so a
    least-squares fit of ``1/d = a u + b v + c`` needs no intrinsics; one refit without the
    worst tenth of the border keeps an object touching the border from tilting it."""
    h, w = depth.shape
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    d = depth.astype(np.float64)
    ok = np.isfinite(d) & (d > 0)
    bu, bv, bd, bok = (_border(x, border_px) for x in (u, v, d, ok))
    bu, bv, inv = bu[bok], bv[bok], 1.0 / bd[bok]
    if inv.size < 3:
        raise ValueError("depth image has no valid table pixels on its border")
    A = np.stack([bu, bv, np.ones_like(bu)], 1)
    coef = np.linalg.lstsq(A, inv, rcond=None)[0]
    resid = np.abs(A @ coef - inv)
    keep = resid <= np.quantile(resid, 0.9)
    coef = np.linalg.lstsq(A[keep], inv[keep], rcond=None)[0]
    table = 1.0 / np.maximum(coef[0] * u + coef[1] * v + coef[2], 1e-9)
    return np.where(ok, table - d, -np.inf)


def segment_by_colour(rgb: np.ndarray, min_distance: float = 40.0, border_px: int = 4) -> np.ndarray:
    """Pixels whose colour is further than ``min_distance`` (RGB units, 0-255) from the
    median border colour, taken as the table's (bool mask)."""
    table = np.median(_border(rgb, border_px).astype(np.float64), axis=0)
    return np.linalg.norm(rgb.astype(np.float64) - table, axis=2) > min_distance


def largest_blob(mask: np.ndarray, min_area_px: int = 20) -> np.ndarray:
    """The largest 8-connected component of ``mask``; raises when none has ``min_area_px``."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        raise ValueError("no object found: the segmentation is empty")
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[best, cv2.CC_STAT_AREA] < min_area_px:
        raise ValueError(f"no object found: largest blob has {stats[best, cv2.CC_STAT_AREA]} px < {min_area_px} px")
    return labels == best


def object_blobs(mask: np.ndarray, min_area_px: int = 20) -> list[np.ndarray]:
    """The 8-connected components of ``mask`` with at least ``min_area_px`` pixels (bool
    masks, largest first); raises when there is none."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = [1 + int(i) for i in np.argsort(-areas, kind="stable") if areas[i] >= min_area_px]
    if not keep:
        return [largest_blob(mask, min_area_px)]  # raises, naming the largest blob's size
    return [labels == k for k in keep]


def highest_blob(blobs: list[np.ndarray], height_m: np.ndarray) -> np.ndarray:
    """The blob whose highest pixel stands highest (``height_m`` per pixel, metres); ties go
    to the earlier (larger) blob."""
    tops = [float(height_m[b].max()) for b in blobs]
    return blobs[int(np.argmax(tops))]


@register_policy("heuristic")
@dataclass
class HeuristicPolicy:
    """Segment (depth above the table when there is depth, else colour against the
    border), split into connected objects and grasp the highest (with colour alone: the
    largest) across its minor axis."""

    reads: ClassVar[frozenset[str]] = frozenset({COLOR})  # and the depth image whenever the camera gives one
    min_height_m: float = 0.004  # depth segmentation: minimum height above the table
    min_colour_distance: float = 40.0  # colour segmentation: RGB distance from the table
    margin_frac: float = 0.15  # extra opening, as a fraction of the object's width
    margin_px: float = 6.0  # extra opening in pixels, for thin objects
    jaw_frac: float = 0.5  # jaw size as a fraction of the object's length
    min_area_px: int = 20  # blobs smaller than this are noise

    def segment(self, observation: Observation) -> np.ndarray:
        """The objects' mask in the image (bool, H x W)."""
        return self._segment(observation)[0]

    def _segment(self, observation: Observation) -> tuple[np.ndarray, np.ndarray | None]:
        """The mask and, when it came from depth, the height above the table per pixel (m)."""
        if observation.depth is not None:
            height = height_above_table(observation.depth)
            mask = height > self.min_height_m
            if mask.sum() >= self.min_area_px:
                return mask, height
        return segment_by_colour(observation.rgb, self.min_colour_distance), None

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        mask, height = self._segment(observation)
        blobs = object_blobs(mask, self.min_area_px)
        blob = blobs[0] if height is None else highest_blob(blobs, height)
        grasp = minor_axis_grasp(blob, self.margin_frac, self.margin_px, self.jaw_frac)
        return Decision(grasp, info={"blob_area_px": int(blob.sum()), "objects_seen": len(blobs)})
