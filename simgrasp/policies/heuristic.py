"""A classical baseline with no learning: grasp the object across its minor axis.

Stages, each a plain function: segment the object from the table, take the largest blob's
centroid and principal axes, and open across the minor axis by the blob's width plus a
margin (:func:`simgrasp.geometry.minor_axis_grasp`). Everything is in image pixels; the camera model maps the grasp to metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from simgrasp.backends.base import Observation
from simgrasp.geometry.blob import minor_axis_grasp
from simgrasp.policies.base import Decision, register_policy


def _border(a: np.ndarray, px: int) -> np.ndarray:
    """Pixels of the image border ``px`` wide, flattened over the leading two axes."""
    h, w = a.shape[:2]
    m = np.zeros((h, w), bool)
    m[:px], m[-px:], m[:, :px], m[:, -px:] = True, True, True, True
    return a[m]


def segment_by_depth(depth: np.ndarray, min_height_m: float = 0.004, border_px: int = 4) -> np.ndarray:
    """Pixels standing at least ``min_height_m`` metres above the table plane (bool mask).

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
    return ok & (table - d > min_height_m)


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


@register_policy("heuristic")
@dataclass
class HeuristicPolicy:
    """Segment (depth above the table when there is depth, else colour against the
    border), then grasp the largest blob across its minor axis."""

    min_height_m: float = 0.004  # depth segmentation: minimum height above the table
    min_colour_distance: float = 40.0  # colour segmentation: RGB distance from the table
    margin_frac: float = 0.15  # extra opening, as a fraction of the object's width
    margin_px: float = 6.0  # extra opening in pixels, for thin objects
    jaw_frac: float = 0.5  # jaw size as a fraction of the object's length
    min_area_px: int = 20  # blobs smaller than this are noise

    def segment(self, observation: Observation) -> np.ndarray:
        """The object's mask in the image (bool, H x W)."""
        if observation.depth is not None:
            mask = segment_by_depth(observation.depth, self.min_height_m)
            if mask.sum() >= self.min_area_px:
                return mask
        return segment_by_colour(observation.rgb, self.min_colour_distance)

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        blob = largest_blob(self.segment(observation), self.min_area_px)
        grasp = minor_axis_grasp(blob, self.margin_frac, self.margin_px, self.jaw_frac)
        return Decision(grasp, info={"blob_area_px": int(blob.sum())})
