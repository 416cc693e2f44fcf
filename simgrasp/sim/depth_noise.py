"""A stereo-like depth sensor model on a perfect depth image (numpy only).

Used by the randomised appearance (the observation's depth) and by the dataset writer
(the optional stereo depth file), so both speak of the same noise."""

from __future__ import annotations

import numpy as np

EDGE_STEP_M = 0.005  # a depth step larger than this between neighbouring pixels is an edge


def noisy_depth(
    depth: np.ndarray, rng: np.random.Generator, sigma_m: float = 0.002, edge_dropout: float = 0.5
) -> np.ndarray:
    """A stereo-like depth image from a perfect one (metres, float32): Gaussian noise
    growing with the square of the distance (``sigma_m`` at 1 m, stereo's error law), and
    holes (0) on a random ``edge_dropout`` fraction of the pixels at depth discontinuities,
    where stereo matching fails."""
    d = np.asarray(depth, dtype=np.float32)
    out = d + rng.normal(0.0, 1.0, d.shape).astype(np.float32) * np.float32(sigma_m) * d * d
    gy, gx = np.gradient(d)
    edges = np.hypot(gx, gy) > EDGE_STEP_M
    out[edges & (rng.uniform(size=d.shape) < edge_dropout)] = 0.0
    return out.astype(np.float32)
