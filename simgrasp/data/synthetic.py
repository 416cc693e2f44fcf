"""A small in-memory grasp dataset of drawn shapes, for tests and development without
PyBullet.

Each image shows one shape (rectangle, ellipse or ring) in a random colour on a textured
plane, with grasps labelled across its short axis: several along the long axis of a bar
or an ellipse, and across the wall of a ring at several places (a ring's centre is empty,
so a centroid grasp would fail there). Grasp rows are ``[x, y, theta_deg, w, h]`` in
pixels (see :mod:`simgrasp.geometry.rect`); ``w`` is the short side plus a margin. Every
sample is drawn from ``np.random.default_rng([seed, index])``, so the dataset is
deterministic and each sample independent of the others.
"""

from __future__ import annotations

import cv2
import numpy as np

from simgrasp.data.sample import GraspSample

SHAPES = ("rectangle", "ellipse", "ring")


def _texture(size: int, rng: np.random.Generator) -> np.ndarray:
    """A plane with low-frequency colour variation and fine noise, uint8 (size, size, 3)."""
    base = rng.integers(90, 200, size=3)
    coarse = rng.normal(0, 18, size=(6, 6, 3))
    coarse = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    fine = rng.normal(0, 6, size=(size, size, 3))
    return np.clip(base + coarse + fine, 0, 255).astype(np.uint8)


def _colour(rng: np.random.Generator, background: np.ndarray) -> tuple[int, int, int]:
    """A random colour far enough from the plane's mean colour to be seen."""
    mean = background.reshape(-1, 3).mean(0)
    for _ in range(20):
        c = rng.integers(0, 256, size=3)
        if np.abs(c - mean).sum() > 120:
            break
    return tuple(int(v) for v in c)


def _bar_grasps(cx: float, cy: float, long_px: float, short_px: float, angle_deg: float, jaw: float, n: int) -> list:
    """Grasps across a bar or ellipse: opening along its short axis, spread along the long one."""
    t = np.deg2rad(angle_deg)
    along = np.array([np.cos(t), np.sin(t)])
    out = []
    for s in np.linspace(-0.3, 0.3, n) * long_px:
        x, y = cx + s * along[0], cy + s * along[1]
        out.append([x, y, angle_deg + 90.0, short_px * 1.3 + 4, jaw])
    return out


def draw_sample(size: int, rng: np.random.Generator, shape: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """One image (uint8), its grasps (N, 5) float32, object mask (bool) and shape name."""
    img = _texture(size, rng)
    shape = shape or SHAPES[int(rng.integers(len(SHAPES)))]
    colour = _colour(rng, img)
    mask = np.zeros((size, size), np.uint8)
    cx, cy = rng.uniform(0.35, 0.65, size=2) * size
    angle = float(rng.uniform(-90, 90))
    jaw = 0.08 * size
    if shape == "rectangle":
        long_px, short_px = rng.uniform(0.3, 0.5) * size, rng.uniform(0.08, 0.16) * size
        box = cv2.boxPoints(((cx, cy), (long_px, short_px), angle)).astype(np.float32)
        cv2.fillPoly(mask, [np.round(box).astype(np.int32)], 1)
        grasps = _bar_grasps(cx, cy, long_px, short_px, angle, jaw, 5)
    elif shape == "ellipse":
        long_px, short_px = rng.uniform(0.3, 0.5) * size, rng.uniform(0.1, 0.18) * size
        cv2.ellipse(mask, ((cx, cy), (long_px, short_px), angle), 1, -1)
        grasps = _bar_grasps(cx, cy, 0.6 * long_px, short_px, angle, jaw, 3)
    elif shape == "ring":
        r_out = rng.uniform(0.14, 0.22) * size
        wall = rng.uniform(0.05, 0.08) * size
        cv2.circle(mask, (int(round(cx)), int(round(cy))), int(round(r_out)), 1, -1)
        cv2.circle(mask, (int(round(cx)), int(round(cy))), int(round(r_out - wall)), 0, -1)
        grasps = []
        for phi in np.arange(0.0, 360.0, 45.0) + angle:
            r = r_out - wall / 2.0
            p = np.deg2rad(phi)
            grasps.append([cx + r * np.cos(p), cy + r * np.sin(p), phi, wall * 1.3 + 4, jaw])
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    img[mask.astype(bool)] = colour
    g = np.asarray(grasps, dtype=np.float32)
    g[:, 2] = (g[:, 2] + 90.0) % 180.0 - 90.0
    return img, g, mask.astype(bool), shape


class SyntheticGraspDataset:
    """A :class:`simgrasp.data.sample.GraspDataset` of ``n`` drawn scenes of ``size`` px.
    Each sample is its own object (``synthetic-<index>``)."""

    def __init__(self, n: int = 64, size: int = 128, seed: int = 0, shapes: tuple[str, ...] = SHAPES) -> None:
        if n < 1 or size < 32:
            raise ValueError(f"expected n >= 1 and size >= 32, got n={n}, size={size}")
        self.n, self.size, self.seed, self.shapes = n, size, seed, tuple(shapes)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> GraspSample:
        if not -self.n <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} samples")
        i %= self.n
        rng = np.random.default_rng([self.seed, i])
        shape = self.shapes[int(rng.integers(len(self.shapes)))]
        img, grasps, mask, shape = draw_sample(self.size, rng, shape)
        return GraspSample(img, grasps, f"synthetic-{i}", f"synthetic-{self.seed}-{i}", mask=mask, meta={"shape": shape})

    def object_ids(self) -> list[str]:
        return [f"synthetic-{i}" for i in range(self.n)]
