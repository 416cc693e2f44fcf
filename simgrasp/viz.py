"""Drawing grasps on images (pure numpy/cv2), shared by the CLIs, montages and reports.

House style: the jaw plates (a rectangle's ``h`` sides) are drawn thick, the opening
sides (``w``) thin; with no colour given, jaws are red and opening sides blue."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from simgrasp.geometry import GraspRect

Color = tuple[int, int, int]
JAW_RGB: Color = (230, 40, 40)
OPENING_RGB: Color = (40, 90, 230)


def _as_rects(grasps: Sequence[GraspRect] | np.ndarray) -> list[GraspRect]:
    if isinstance(grasps, np.ndarray):
        return [GraspRect.from_array(row) for row in np.asarray(grasps, np.float64).reshape(-1, 5)]
    return list(grasps)


def _palette(n: int, colors: Sequence[Color] | Color | None) -> list[tuple[Color, Color]]:
    """(jaw colour, opening colour) per grasp."""
    if colors is None:
        return [(JAW_RGB, OPENING_RGB)] * n
    if len(colors) == 3 and all(isinstance(c, (int, np.integer)) for c in colors):
        one = tuple(int(v) for v in colors)  # type: ignore[union-attr]
        return [(one, one)] * n  # type: ignore[list-item]
    if len(colors) != n:
        raise ValueError(f"expected one colour per grasp ({n}), got {len(colors)}")
    return [(tuple(int(v) for v in c), tuple(int(v) for v in c)) for c in colors]  # type: ignore[misc]


def draw_grasps(
    rgb: np.ndarray,
    grasps: Sequence[GraspRect] | np.ndarray,
    colors: Sequence[Color] | Color | None = None,
    thickness: int = 1,
) -> np.ndarray:
    """A copy of ``rgb`` (uint8 (H, W, 3), RGB) with each grasp drawn as its rectangle.

    ``grasps``: GraspRects or an (N, 5) array of ``[x, y, theta_deg, w, h]`` rows (pixels,
    degrees, :mod:`simgrasp.geometry.rect` convention). ``colors``: None for red jaws and
    blue opening sides, one RGB colour for all, or one per grasp. ``thickness`` of the
    opening sides in pixels; the jaws are drawn one pixel thicker."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 (H, W, 3) image, got {rgb.dtype} {rgb.shape}")
    rects = _as_rects(grasps)
    out = np.ascontiguousarray(rgb).copy()
    for g, (jaw, opening) in zip(rects, _palette(len(rects), colors)):
        p = np.round(g.corners()).astype(np.int32)
        # corners run along the opening (0-1, 2-3), then across it (1-2, 3-0): the jaws
        for a, b in ((0, 1), (2, 3)):
            cv2.line(out, tuple(map(int, p[a])), tuple(map(int, p[b])), opening, thickness, cv2.LINE_AA)
        for a, b in ((1, 2), (3, 0)):
            cv2.line(out, tuple(map(int, p[a])), tuple(map(int, p[b])), jaw, thickness + 1, cv2.LINE_AA)
    return out


def tile_images(images: list[np.ndarray], columns: int, tile_px: int) -> np.ndarray:
    """Resize each (H, W, 3) uint8 image to fit a ``tile_px`` square and lay them out in
    a grid of ``columns`` columns (black padding)."""
    if not images:
        raise ValueError("tile_images needs at least one image")
    rows = -(-len(images) // columns)
    out = np.zeros((rows * tile_px, columns * tile_px, 3), np.uint8)
    for k, im in enumerate(images):
        h, w = im.shape[:2]
        s = tile_px / max(h, w)
        small = cv2.resize(im, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        r, c = divmod(k, columns)
        out[r * tile_px : r * tile_px + small.shape[0], c * tile_px : c * tile_px + small.shape[1]] = small
    return out
