"""What a grasp-map network sees: the images warped into its square input, normalised as
both released codes normalise them (GG-CNN's and GR-ConvNet's ``image.py``).

Channels, in order, as an (S, S, C) float32 array:
- depth (``rgbd``, ``depth``): metres along the optical axis minus the view's mean, clipped
  to [-1, 1]. Invalid pixels (NaN, inf, <= 0: stereo holes) are first set to the table's
  depth, estimated as :mod:`simgrasp.model.inputs` does (the released code reads Jacquard's
  perfect depth, which has none, or inpaints Cornell's);
- colour (``rgbd``, ``rgb``): RGB / 255 minus the view's mean (one number over all pixels
  and channels).
Depth comes first, as the released code concatenates them. The released code normalises
depth before its zoom and colour after it; here both are normalised on the final view.
"""

from __future__ import annotations

import numpy as np

from simgrasp.model.augment import apply_affine
from simgrasp.model.inputs import MODALITIES, table_depth

_NO_GRASPS = np.zeros((0, 5), np.float32)


def fill_invalid_depth(depth: np.ndarray) -> np.ndarray:
    """A depth image (H, W) float32 in metres whose invalid pixels hold the table's depth
    (the ``TABLE_PERCENTILE``-th percentile of the valid ones; zeros when none is valid)."""
    d, ok, table = table_depth(depth)
    if table is None:
        return np.zeros(d.shape, np.float32)
    return np.where(ok, d, np.float32(table)).astype(np.float32)


def network_view(
    rgb: np.ndarray | None, depth: np.ndarray | None, m: np.ndarray, size: int, modality: str
) -> np.ndarray:
    """The (size, size, C) float32 input of a grasp-map network reading ``modality`` from a
    uint8 (H, W, 3) colour image and an (H, W) depth image in metres, through the 2x3
    affine map ``m`` (source pixels -> network pixels; see the module docstring)."""
    mod = MODALITIES.get(modality)
    parts = []
    if mod.depth:
        if depth is None:
            raise ValueError(f"input {modality!r} needs a depth image (H, W) in metres, got none")
        d = apply_affine(fill_invalid_depth(depth), _NO_GRASPS, m, size)[0]
        parts.append(np.clip(d - d.mean(), -1.0, 1.0)[..., None])
    if mod.rgb:
        if rgb is None:
            raise ValueError(f"input {modality!r} needs a colour image, got none")
        c = apply_affine(rgb, _NO_GRASPS, m, size)[0].astype(np.float32) / 255.0
        parts.append(c - c.mean())
    return np.concatenate(parts, axis=2).astype(np.float32)
