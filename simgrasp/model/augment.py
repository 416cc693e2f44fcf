"""Online augmentation as in the paper (section V-A 2) and the test-time rescale.

Training images are rotated about their centre by a random angle, mirrored, shifted by
up to 50 px in both axes and rescaled to the network input; at test time only the
rescale is applied. Everything is one 2x3 affine map ``M`` (source pixels -> network
pixels), applied to the image with ``cv2.warpAffine`` and to the grasps with
:func:`simgrasp.geometry.affine.transform_grasps`, so the two cannot drift apart (the
maps themselves are in :mod:`simgrasp.geometry.affine`).

Choices where the paper is silent:
- The shift is a fraction of the source image side, ``50 / 1024`` by default: 50 px on
  Jacquard's 1024 px images, and the same relative shift on other sizes.
- Non-square images are letterboxed (scaled by the longer side, centred) rather than
  stretched: a stretch would turn rotated rectangles into parallelograms.
- Pixels that come from outside the source repeat its border (``BORDER_REPLICATE``):
  mirrored borders would copy parts of the object without labels.
- Grasps whose centre leaves the output image are dropped.
Pixel coordinates follow OpenCV: pixel (col, row) has its centre at (x, y) = (col, row).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from simgrasp.config import FLAG, FRACTION, setting
from simgrasp.geometry.affine import resize_affine, transform_grasps


@dataclass(frozen=True)
class AugmentConfig:
    """Random augmentation of training images."""

    rotate: bool = setting(True, FLAG)
    """Rotate about the image centre by an angle drawn uniformly in [0, 360) degrees."""
    mirror: bool = setting(True, FLAG)
    """Mirror left-right with probability 1/2."""
    max_shift_frac: float = setting(50.0 / 1024.0, FRACTION)
    """Largest shift along each axis as a fraction of the source side (paper: 50 px of 1024)."""


def random_affine(src_hw: tuple[int, int], out_size: int, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """2x3 map of one random augmentation: mirror, rotation about the centre and shift in
    source pixels, then the rescale of :func:`resize_affine`."""
    h, w = src_hw
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    to_centre = np.array([[1.0, 0, -cx], [0, 1.0, -cy], [0, 0, 1.0]])
    mirror = np.diag([-1.0 if (cfg.mirror and rng.random() < 0.5) else 1.0, 1.0, 1.0])
    a = np.deg2rad(rng.uniform(0.0, 360.0)) if cfg.rotate else 0.0
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    shift = rng.uniform(-1.0, 1.0, size=2) * cfg.max_shift_frac * max(h, w)
    back = np.array([[1.0, 0, cx + shift[0]], [0, 1.0, cy + shift[1]], [0, 0, 1.0]])
    m = back @ rot @ mirror @ to_centre
    return (np.vstack([resize_affine(src_hw, out_size), [0, 0, 1.0]]) @ m)[:2]


def apply_affine(
    rgb: np.ndarray,
    grasps: np.ndarray,
    m: np.ndarray,
    out_size: int,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Warp an image (and optional mask, nearest-neighbour) by ``m`` into an ``out_size``
    square and map its grasps alike, dropping those whose centre falls outside."""
    size = (out_size, out_size)
    out = cv2.warpAffine(rgb, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out_mask = None
    if mask is not None:
        warped = cv2.warpAffine(mask.astype(np.uint8), m, size, flags=cv2.INTER_NEAREST, borderValue=0)
        out_mask = warped.astype(bool)
    g = transform_grasps(grasps, m)
    keep = (g[:, 0] >= 0) & (g[:, 0] <= out_size - 1) & (g[:, 1] >= 0) & (g[:, 1] <= out_size - 1)
    return out, g[keep], out_mask


def augment(
    rgb: np.ndarray,
    grasps: np.ndarray,
    out_size: int,
    rng: np.random.Generator,
    cfg: AugmentConfig = AugmentConfig(),
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One random training view: image (out_size, out_size, 3), grasps in its pixels,
    and the warped mask when one is given."""
    return apply_affine(rgb, grasps, random_affine(rgb.shape[:2], out_size, rng, cfg), out_size, mask)


def rescale(
    rgb: np.ndarray, grasps: np.ndarray, out_size: int, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The test-time view: letterboxed rescale only."""
    return apply_affine(rgb, grasps, resize_affine(rgb.shape[:2], out_size), out_size, mask)
