"""Drawing grasps on images (pure numpy/cv2), shared by the CLIs and reports."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from simgrasp.geometry import GraspRect

Color = tuple[int, int, int]
DEFAULT_COLORS: tuple[Color, ...] = ((0, 200, 0), (255, 160, 0), (230, 40, 40), (0, 120, 255), (200, 0, 200))


def draw_grasps(
    rgb: np.ndarray,
    grasps: Sequence[GraspRect],
    colors: Sequence[Color] | Color | None = None,
    thickness: int = 2,
) -> np.ndarray:
    """A copy of ``rgb`` (uint8 (H, W, 3), RGB) with each grasp drawn as its rectangle:
    the jaw sides (the ``h`` edges, where the fingers are) thick, the opening sides thin.
    ``colors``: one RGB colour for all, one per grasp, or None for a fixed palette."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 (H, W, 3) image, got {rgb.dtype} {rgb.shape}")
    out = np.ascontiguousarray(rgb).copy()
    if colors is None:
        palette: Sequence[Color] = [DEFAULT_COLORS[i % len(DEFAULT_COLORS)] for i in range(len(grasps))]
    elif len(colors) == 3 and all(isinstance(c, (int, np.integer)) for c in colors):
        palette = [tuple(colors)] * len(grasps)  # type: ignore[list-item]
    else:
        palette = list(colors)  # type: ignore[arg-type]
        if len(palette) != len(grasps):
            raise ValueError(f"expected one colour per grasp ({len(grasps)}), got {len(palette)}")
    for g, c in zip(grasps, palette):
        p = np.round(g.corners()).astype(np.int32)
        color = tuple(int(v) for v in c)
        # Corners run along the opening (0-1, 2-3) then across it (1-2, 3-0): the jaws.
        cv2.line(out, tuple(p[0]), tuple(p[1]), color, max(1, thickness // 2), cv2.LINE_AA)
        cv2.line(out, tuple(p[2]), tuple(p[3]), color, max(1, thickness // 2), cv2.LINE_AA)
        cv2.line(out, tuple(p[1]), tuple(p[2]), color, thickness + 1, cv2.LINE_AA)
        cv2.line(out, tuple(p[3]), tuple(p[0]), color, thickness + 1, cv2.LINE_AA)
        cv2.circle(out, (int(round(g.x)), int(round(g.y))), max(2, thickness), color, -1, cv2.LINE_AA)
    return out
