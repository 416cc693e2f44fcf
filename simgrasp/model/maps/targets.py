"""Label maps from grasp rectangles, as GG-CNN's released ``GraspRectangles.draw`` makes
them (and GR-ConvNet's, the same code).

Each rectangle marks its middle third: the pixels whose centres lie within ``w / 6`` of its
centre along the opening axis and within ``h / 2`` across it. There the quality map is 1,
the angle map holds the rectangle's angle and the width map its opening ``w`` in pixels;
later rectangles overwrite earlier ones where they overlap. The maps the network learns
are then quality, ``cos 2θ``, ``sin 2θ`` and ``min(w, width_scale_px) / width_scale_px``;
outside every rectangle they are 0, 1, 0 and 0 (the angle map's 0 there gives cos 1, as in
the released code).

Angles follow :mod:`simgrasp.geometry.rect` (from +x towards +y, y down). The released
code negates Jacquard's angles into its own counter-clockwise convention, so its sin map is
the negative of this one; cos maps agree, and decoding inverts whichever was learnt.
"""

from __future__ import annotations

import numpy as np

CHANNELS = ("quality", "cos", "sin", "width")
"""The four maps, in the order of :func:`draw_maps` and of the networks' outputs."""


def draw_maps(grasps: np.ndarray, size: int, width_scale_px: float) -> np.ndarray:
    """The (4, size, size) float32 label maps (:data:`CHANNELS`) of (N, 5) grasps
    ``[x, y, theta_deg, w, h]`` in the pixels of a ``size`` square (rows that are not
    finite are skipped; rectangles may reach past the border, which clips them)."""
    quality = np.zeros((size, size), np.float32)
    angle = np.zeros((size, size), np.float32)
    width = np.zeros((size, size), np.float32)
    for x, y, theta_deg, w, h in np.asarray(grasps, dtype=np.float64).reshape(-1, 5):
        if not np.all(np.isfinite([x, y, theta_deg, w, h])) or w <= 0 or h <= 0:
            continue
        t = np.deg2rad(theta_deg)
        c, s = np.cos(t), np.sin(t)
        half_u, half_v = w / 6.0, h / 2.0  # the middle third along the opening, the whole jaw across
        reach = abs(half_u * c) + abs(half_v * s), abs(half_u * s) + abs(half_v * c)  # half extents in x, y
        x0, x1 = max(int(np.floor(x - reach[0])), 0), min(int(np.ceil(x + reach[0])), size - 1)
        y0, y1 = max(int(np.floor(y - reach[1])), 0), min(int(np.ceil(y + reach[1])), size - 1)
        if x0 > x1 or y0 > y1:
            continue
        py, px = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
        dx, dy = px - x, py - y
        inside = (np.abs(dx * c + dy * s) <= half_u) & (np.abs(-dx * s + dy * c) <= half_v)
        window = (slice(y0, y1 + 1), slice(x0, x1 + 1))
        quality[window][inside] = 1.0
        angle[window][inside] = t
        width[window][inside] = w
    scaled = np.clip(width, 0.0, width_scale_px) / width_scale_px
    return np.stack([quality, np.cos(2 * angle), np.sin(2 * angle), scaled]).astype(np.float32)
