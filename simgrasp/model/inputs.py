"""What the network sees: the input modalities (``rgb``, ``rgbd``, ``depth``) and how a
camera's images become the network's channels.

Channels, in order, as (H, W, C) float32 arrays:
- colour: the RGB image divided by 255 (values in [0, 1]); the feature extractor applies
  the ImageNet normalisation;
- depth: the height above the table, ``(table_depth - depth) / DEPTH_SCALE_M`` clipped at
  0, so 1.0 is 10 cm above the table. ``table_depth`` is estimated from the image itself
  (the ``TABLE_PERCENTILE``-th percentile of the valid depths: the table is the farthest
  large surface of a top-down view and covers far more than a tenth of it), so the camera's
  height does not reach the network. Invalid depths (NaN, inf, <= 0) count as the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.registry import Registry

DEPTH_SCALE_M = 0.1
"""Metres of height above the table that map to 1.0 in the depth channel."""
TABLE_PERCENTILE = 90.0
"""Percentile of the valid depths taken as the table's depth (metres along the optical axis)."""


@dataclass(frozen=True)
class Modality:
    """Which images an input modality reads; channels are colour (3) then depth (1)."""

    rgb: bool
    depth: bool

    @property
    def channels(self) -> int:
        return 3 * self.rgb + self.depth


MODALITIES: Registry[Modality] = Registry("input modality")
MODALITIES.register("rgb")(Modality(rgb=True, depth=False))
MODALITIES.register("rgbd")(Modality(rgb=True, depth=True))
MODALITIES.register("depth")(Modality(rgb=False, depth=True))


def table_depth(depth: np.ndarray) -> tuple[np.ndarray, np.ndarray, float | None]:
    """A depth image (H, W) in metres as float32, its valid pixels (finite, > 0) and the
    table's depth estimated from them (the ``TABLE_PERCENTILE``-th percentile; None when no
    pixel is valid)."""
    d = np.asarray(depth, dtype=np.float32)
    if d.ndim != 2:
        raise ValueError(f"expected a depth image (H, W) in metres, got shape {d.shape}")
    ok = np.isfinite(d) & (d > 0)
    return d, ok, (np.percentile(d[ok], TABLE_PERCENTILE) if ok.any() else None)  # float32, like d


def height_above_table(depth: np.ndarray) -> np.ndarray:
    """Height above the table (H, W) float32 in units of :data:`DEPTH_SCALE_M`, >= 0, from a
    depth image (H, W) in metres along the optical axis (see the module docstring)."""
    d, ok, table = table_depth(depth)
    if table is None:
        return np.zeros(d.shape, np.float32)
    h = np.where(ok, (table - d) / DEPTH_SCALE_M, 0.0)
    return np.maximum(h, 0.0).astype(np.float32)


def stack_channels(rgb: np.ndarray | None, height: np.ndarray | None, modality: str) -> np.ndarray:
    """The network's (H, W, C) float32 input from a uint8 RGB image (H, W, 3) and a height
    map (H, W) from :func:`height_above_table`, keeping what ``modality`` reads."""
    m = MODALITIES.get(modality)
    parts = []
    if m.rgb:
        if rgb is None:
            raise ValueError(f"input {modality!r} needs a colour image, got none")
        parts.append(np.asarray(rgb, dtype=np.float32) / 255.0)
    if m.depth:
        if height is None:
            raise ValueError(f"input {modality!r} needs a depth image, got none")
        parts.append(np.asarray(height, dtype=np.float32)[..., None])
    return np.concatenate(parts, axis=2)
