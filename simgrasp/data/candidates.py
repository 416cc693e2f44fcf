"""Grasp candidates for annotation, drawn from an object's silhouette, and de-duplication.

All grasps are image rows ``[x, y, theta_deg, w, h]`` in pixels and degrees
(:mod:`simgrasp.geometry.rect` convention). Candidates are only proposals: the generator
keeps those that the simulated trials confirm.

Antipodal pairs: for a sampled boundary pixel of the mask, walk along the inward normal
(the gradient of the blurred mask) until the mask ends; the two boundary points face each
other, and a grasp across them with the opening along the normal is an antipodal guess.
Random candidates, centred on the (dilated) mask with any angle and opening, cover what
the silhouette misses (and give the annotations negatives' shapes nearby). Jittered
candidates perturb the centre, angle and opening of grasps that succeeded, narrower and
wider, so that the annotations show where success turns into failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from simgrasp.geometry import angle_diff_deg


@dataclass(frozen=True)
class CandidateConfig:
    """How many candidates of each kind, and their shape (pixels and degrees). Every
    candidate is tried, so ``antipodal + random + jitter`` is the number of grasps tried
    per annotated scene."""

    # Antipodal guesses nearly all succeed and a success is the costliest trial (the whole
    # lift-move-place): 24 give the grasps file its distinct successes, the rest of the 64
    # go to jitter (failures near successes) and random (mostly cheap failures).
    antipodal: int = 24  # antipodal candidates per scene (a shortfall is made up by random ones)
    random: int = 20  # random candidates per scene
    jitter: int = 20  # perturbations of the scene's successful grasps, spread over them
    angle_jitter_deg: float = 10.0  # uniform jitter on the antipodal direction
    centre_jitter_px: float = 2.0  # uniform jitter on the antipodal centre
    opening_margin_px: float = 6.0  # added to the measured width across the object
    min_opening_px: float = 8.0  # no narrower grasp is proposed
    blur_px: int = 5  # smoothing of the mask before taking normals (odd)
    dedupe_centre_px: float = 6.0  # two kept grasps closer than this ...
    dedupe_angle_deg: float = 15.0  # ... and this are duplicates
    jitter_centre_px: float = 4.0  # a jittered centre moves up to this along x and y
    jitter_angle_deg: float = 20.0  # a jittered angle turns up to this either way
    jitter_opening_min: float = 0.5  # a jittered opening is scaled by a factor from here ...
    jitter_opening_max: float = 1.5  # ... to here, clipped to the gripper's and min_opening_px


def _normals(mask: np.ndarray, blur_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit inward normals (nx, ny) of the blurred mask, per pixel."""
    k = blur_px | 1
    soft = cv2.GaussianBlur(mask.astype(np.float32), (k, k), 0)
    gx = cv2.Sobel(soft, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(soft, cv2.CV_32F, 0, 1, ksize=3)
    n = np.sqrt(gx**2 + gy**2) + 1e-9
    return gx / n, gy / n  # the mask rises inwards, so its gradient points in


def boundary_pixels(mask: np.ndarray) -> np.ndarray:
    """(N, 2) integer (x, y) of mask pixels with a 4-neighbour outside the mask."""
    m = mask.astype(np.uint8)
    inner = cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    ys, xs = np.nonzero(m & (1 - inner))
    return np.stack([xs, ys], axis=1)


def antipodal_candidates(
    mask: np.ndarray, rng: np.random.Generator, n: int, max_opening_px: float, jaw_px: float, cfg: CandidateConfig
) -> np.ndarray:
    """Up to ``n`` antipodal grasps across the silhouette ``mask`` (bool (H, W)), each at
    most ``max_opening_px`` wide, with jaw size ``jaw_px``."""
    edge = boundary_pixels(mask)
    if n <= 0 or len(edge) == 0:
        return np.zeros((0, 5))
    nx, ny = _normals(mask, cfg.blur_px)
    h, w = mask.shape
    out = []
    steps = np.arange(1.0, max_opening_px + 1.0)
    for k in rng.choice(len(edge), size=min(len(edge), 4 * n), replace=False):
        x0, y0 = edge[k]
        d = np.array([nx[y0, x0], ny[y0, x0]], dtype=np.float64)
        if not np.isfinite(d).all() or np.linalg.norm(d) < 0.5:
            continue
        px = np.round(x0 + steps * d[0]).astype(int)
        py = np.round(y0 + steps * d[1]).astype(int)
        inside_img = (px >= 0) & (px < w) & (py >= 0) & (py < h)
        inside = np.zeros_like(inside_img)
        inside[inside_img] = mask[py[inside_img], px[inside_img]]
        exits = np.nonzero(~inside)[0]
        if len(exits) == 0:
            continue  # wider than the opening along this normal
        width = float(steps[exits[0]])  # first pixel outside the object, opposite x0
        opening = width + cfg.opening_margin_px
        if opening > max_opening_px:
            continue
        c = np.array([x0, y0]) + 0.5 * (width - 1.0) * d + rng.uniform(-1, 1, 2) * cfg.centre_jitter_px
        theta = np.degrees(np.arctan2(d[1], d[0])) + rng.uniform(-1, 1) * cfg.angle_jitter_deg
        out.append([c[0], c[1], theta, max(opening, cfg.min_opening_px), jaw_px])
        if len(out) == n:
            break
    return _fold(np.asarray(out, dtype=np.float64).reshape(-1, 5))


def random_candidates(
    mask: np.ndarray, rng: np.random.Generator, n: int, max_opening_px: float, jaw_px: float, cfg: CandidateConfig
) -> np.ndarray:
    """``n`` grasps centred on random pixels of the dilated mask, any angle, openings
    uniform between ``min_opening_px`` and ``max_opening_px``."""
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    ys, xs = np.nonzero(grown)
    if n <= 0 or len(xs) == 0:
        return np.zeros((0, 5))
    k = rng.integers(0, len(xs), size=n)
    out = np.stack(
        [
            xs[k] + rng.uniform(-0.5, 0.5, n),
            ys[k] + rng.uniform(-0.5, 0.5, n),
            rng.uniform(-90.0, 90.0, n),
            rng.uniform(cfg.min_opening_px, max_opening_px, n),
            np.full(n, jaw_px),
        ],
        axis=1,
    )
    return _fold(out)


def jitter_candidates(
    successes: np.ndarray, rng: np.random.Generator, n: int, max_opening_px: float, cfg: CandidateConfig
) -> np.ndarray:
    """``n`` perturbations of the (K, 5) ``successes`` (each used once, in a random order,
    before any is used twice): centre shifted uniformly by up to ``jitter_centre_px`` per
    axis, angle by up to ``jitter_angle_deg``, opening scaled by a factor in
    ``[jitter_opening_min, jitter_opening_max]`` (clipped to ``[min_opening_px,
    max_opening_px]``); the jaw size is kept."""
    s = np.asarray(successes, dtype=np.float64).reshape(-1, 5)
    if n <= 0 or len(s) == 0:
        return np.zeros((0, 5))
    g = s[np.resize(rng.permutation(len(s)), n)]  # each success once, in a random order, then again
    g[:, :2] += rng.uniform(-1.0, 1.0, (n, 2)) * cfg.jitter_centre_px
    g[:, 2] += rng.uniform(-1.0, 1.0, n) * cfg.jitter_angle_deg
    g[:, 3] = np.clip(
        g[:, 3] * rng.uniform(cfg.jitter_opening_min, cfg.jitter_opening_max, n), cfg.min_opening_px, max_opening_px
    )
    return _fold(g)


# source name -> proposals from the silhouette, in the order they are drawn; the last
# source makes up any shortfall of the others (antipodal pairs may not exist)
SILHOUETTE_SOURCES: dict[str, Callable[..., np.ndarray]] = {
    "antipodal": antipodal_candidates,
    "random": random_candidates,
}
JITTER = "jitter"  # the source name of jitter_candidates


def _fold(g: np.ndarray) -> np.ndarray:
    g = g.copy()
    g[:, 2] = (g[:, 2] + 90.0) % 180.0 - 90.0
    return g


def dedupe(grasps: np.ndarray, centre_px: float, angle_deg: float, limit: int | None = None) -> np.ndarray:
    """Greedy de-duplication in the given order: a grasp is kept unless a kept one has
    its centre within ``centre_px`` and its angle within ``angle_deg`` (modulo 180).
    At most ``limit`` grasps are kept."""
    kept: list[np.ndarray] = []
    for g in np.asarray(grasps, dtype=np.float64).reshape(-1, 5):
        if limit is not None and len(kept) >= limit:
            break
        if any(np.hypot(*(g[:2] - k[:2])) < centre_px and angle_diff_deg(g[2], k[2]) < angle_deg for k in kept):
            continue
        kept.append(g)
    return np.asarray(kept, dtype=np.float64).reshape(-1, 5)
