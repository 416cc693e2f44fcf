"""Procedural textures (stripes, checker, smooth noise, wood grain) as small PNG files.

A texture is a pure function of its :class:`TextureSpec` (kind, seed, two colours, size),
so a scene record that stores the spec rebuilds the very same image. PyBullet loads
textures from files only: each is written as a PNG under ``<cache_dir>/textures`` with a
name of this process's own, loaded, then deleted."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from simgrasp.registry import Registry

# kind -> (rng, side in pixels) -> blend weights in [0, 1], (side, side) float
PATTERNS: Registry[Callable[[np.random.Generator, int], np.ndarray]] = Registry("texture kind")


@dataclass(frozen=True)
class TextureSpec:
    """A texture: ``kind`` (a registered pattern), ``seed`` of its layout, the colours it
    blends (RGB in [0, 1]) and its side in pixels."""

    kind: str
    seed: int
    rgb_a: tuple[float, float, float]
    rgb_b: tuple[float, float, float]
    px: int

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TextureSpec":
        return cls(str(d["kind"]), int(d["seed"]), tuple(map(float, d["rgb_a"])), tuple(map(float, d["rgb_b"])), int(d["px"]))  # type: ignore[arg-type]


def _grid(px: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates scaled to [0, 1)."""
    y, x = np.mgrid[0:px, 0:px].astype(np.float64) / px
    return x, y


@PATTERNS.register("stripes")
def stripes(rng: np.random.Generator, px: int) -> np.ndarray:
    """Parallel bands of random width and direction, soft-edged."""
    x, y = _grid(px)
    a = rng.uniform(0, np.pi)
    period = rng.uniform(0.04, 0.25)
    duty = rng.uniform(0.3, 0.7)
    t = ((x * np.cos(a) + y * np.sin(a)) / period) % 1.0
    return (t < duty).astype(np.float64)


@PATTERNS.register("checker")
def checker(rng: np.random.Generator, px: int) -> np.ndarray:
    """Squares, 2 to 16 per side."""
    n = int(rng.integers(2, 17))
    x, y = _grid(px)
    return ((np.floor(x * n) + np.floor(y * n)) % 2).astype(np.float64)


def _smooth_noise(rng: np.random.Generator, px: int, cells: int) -> np.ndarray:
    """Value noise: a random ``cells`` x ``cells`` grid bicubically upsampled, in [0, 1]."""
    g = rng.uniform(size=(cells, cells)).astype(np.float32)
    up = cv2.resize(g, (px, px), interpolation=cv2.INTER_CUBIC).astype(np.float64)
    lo, hi = up.min(), up.max()
    return (up - lo) / max(hi - lo, 1e-9)


@PATTERNS.register("noise")
def noise(rng: np.random.Generator, px: int) -> np.ndarray:
    """Blotches at two scales (mottled plastic, stone, fabric)."""
    coarse = _smooth_noise(rng, px, int(rng.integers(3, 9)))
    fine = _smooth_noise(rng, px, int(rng.integers(12, 33)))
    return np.clip(0.7 * coarse + 0.3 * fine, 0.0, 1.0)


@PATTERNS.register("wood")
def wood(rng: np.random.Generator, px: int) -> np.ndarray:
    """Growth rings seen from the side: stretched, wavy bands perturbed by noise."""
    x, y = _grid(px)
    a = rng.uniform(0, np.pi)
    u, v = x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)
    rings = rng.uniform(6, 20)
    warp = _smooth_noise(rng, px, int(rng.integers(3, 7)))
    t = rings * (v + 0.15 * np.sin(2 * np.pi * u * rng.uniform(0.5, 2.0)) + 0.3 * warp)
    return 0.5 + 0.5 * np.sin(2 * np.pi * t) ** 3


def texture_image(spec: TextureSpec) -> np.ndarray:
    """The texture as uint8 RGB (px, px, 3): ``rgb_a`` where the pattern is 0, ``rgb_b`` where 1."""
    if spec.px < 2:
        raise ValueError(f"texture side must be at least 2 px, got {spec.px}")
    w = PATTERNS.get(spec.kind)(np.random.default_rng(spec.seed), spec.px)[..., None]
    rgb = (1.0 - w) * np.asarray(spec.rgb_a) + w * np.asarray(spec.rgb_b)
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)


def write_texture(spec: TextureSpec, path: Path) -> Path:
    """Write the PNG of ``spec`` at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), texture_image(spec)[..., ::-1]):
        raise OSError(f"could not write texture {path}")
    return path


def load_texture(client, spec: TextureSpec, cache_dir: str) -> int:
    """Load ``spec`` into ``client`` (a BulletClient) and return its texture id. The PNG is
    a scratch file of this process under ``cache_dir/textures``, deleted once loaded:
    every scene draws new textures, so keeping them would grow the cache without end."""
    key = hashlib.sha1(json.dumps(spec.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
    path = write_texture(spec, Path(cache_dir) / "textures" / f"{spec.kind}-{key}.{os.getpid()}.png")
    try:
        tex = client.loadTexture(str(path))
    finally:
        path.unlink(missing_ok=True)
    if tex < 0:
        raise OSError(f"pybullet could not load texture {path}")
    return tex
