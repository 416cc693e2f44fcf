"""The grasp-map networks' augmentation, as both released training scripts do it
(``random_rotate=True, random_zoom=True`` in their ``GraspDatasetBase``): a quarter turn
drawn from {0, 90, 180, 270} degrees about the image centre, and a zoom drawn uniformly in
[0.5, 1.0] (the centre ``zoom`` of the image, resized back to the full view); then the
letterbox into the network input. One 2x3 affine map carries the image and the grasps
(:mod:`simgrasp.geometry.affine`), so the two cannot drift apart. The released Cornell
loader also crops around the grasps' centre; the Jacquard one, which this project's
datasets follow, does not, and neither does this one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.config import FLAG, Number, pair, setting
from simgrasp.geometry.affine import resize_affine


@dataclass(frozen=True)
class MapAugmentConfig:
    """Random augmentation of grasp-map training views."""

    rotate: bool = setting(True, FLAG)
    """Turn by a multiple of 90 degrees drawn uniformly."""
    zoom: tuple[float, float] = setting((0.5, 1.0), pair(Number(lo=0, hi=1, lo_open=True)))
    """Range of the share of the image side kept about its centre (1.0: no zoom)."""


def random_view_affine(
    src_hw: tuple[int, int], out_size: int, rng: np.random.Generator, cfg: MapAugmentConfig
) -> np.ndarray:
    """2x3 map (source pixels -> network pixels) of one random view: the turn, the zoom
    about the centre, then :func:`resize_affine`."""
    h, w = src_hw
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    quarter = int(rng.integers(4)) if cfg.rotate else 0
    zoom = float(rng.uniform(*cfg.zoom))
    a = quarter * np.pi / 2
    c, s = round(np.cos(a)), round(np.sin(a))  # exact quarter turns
    k = 1.0 / zoom
    lin = k * np.array([[c, -s], [s, c]], dtype=np.float64)
    centre = np.array([cx, cy])
    m = np.column_stack([lin, centre - lin @ centre])
    return (np.vstack([resize_affine(src_hw, out_size), [0, 0, 1.0]]) @ np.vstack([m, [0, 0, 1.0]]))[:2]
