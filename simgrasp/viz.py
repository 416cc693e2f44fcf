"""Drawing grasps on images, for montages and reports. Pixels in, pixels out."""

from __future__ import annotations

import cv2
import numpy as np

from simgrasp.geometry import rect_corners

JAW_RGB = (230, 40, 40)  # the two jaw plates
OPENING_RGB = (40, 120, 230)  # the sides along the opening axis


def draw_grasps(rgb: np.ndarray, grasps: np.ndarray, thickness: int = 1) -> np.ndarray:
    """A copy of ``rgb`` (uint8 (H, W, 3)) with each grasp row ``[x, y, theta_deg, w, h]``
    (pixels, degrees, :mod:`simgrasp.geometry.rect` convention) drawn as a rectangle:
    the jaw plates (the ``h`` sides) in red, the opening sides (the ``w`` sides) in blue."""
    img = np.ascontiguousarray(rgb, dtype=np.uint8).copy()
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {img.shape}")
    for row in np.asarray(grasps, dtype=np.float64).reshape(-1, 5):
        c = np.round(rect_corners(*row)).astype(np.int32)
        # rect_corners: c0->c1 and c2->c3 run along the opening, c1->c2 and c3->c0 are the jaws
        for a, b, colour in ((0, 1, OPENING_RGB), (2, 3, OPENING_RGB), (1, 2, JAW_RGB), (3, 0, JAW_RGB)):
            cv2.line(img, tuple(map(int, c[a])), tuple(map(int, c[b])), colour, thickness, cv2.LINE_AA)
    return img


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
