"""Oriented anchors and the paper's Eq. 2 (pure tensor functions).

Layout. A feature map of ``g x g`` cells with ``k`` anchors per cell is flattened to
``N = g * g * k`` grasps, index ``n = (row * g + col) * k + a``. Grasp rows are
``[x, y, theta_deg, w, h]`` (pixels of the network input, y down; see
:mod:`simgrasp.geometry.rect`). Deformations are in the paper's order
``[dx, dy, dw, dh, dtheta]``.

Anchor angles. The ``k`` orientations split 180 degrees into equal sectors and sit at the
sectors' middles: ``theta_a = -90 + (a + 0.5) * 180 / k``, i.e. -75, -45, -15, 15, 45, 75
for k = 6. Every grasp angle is then within half a spacing (15 degrees) of one anchor,
the angle-matching threshold, and ``|dtheta| <= 0.5`` for positives.
"""

from __future__ import annotations

import torch

# exp(4) = 55: no grasp is 55 times the anchor. Clamping keeps an untrained network's
# decoded sizes finite; trained deformations are far inside the bound.
MAX_LOG_SCALE = 4.0


def anchor_angles_deg(k: int) -> torch.Tensor:
    """The k anchor orientations in degrees, in [-90, 90)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return -90.0 + (torch.arange(k, dtype=torch.float32) + 0.5) * (180.0 / k)


def make_anchors(grid: int, stride: float, k: int, anchor_w: float, anchor_h: float) -> torch.Tensor:
    """(grid * grid * k, 5) anchors ``[x, y, theta_deg, w, h]``: centres at cell centres in
    input pixels, ``k`` orientations per cell, one size for all."""
    centres = (torch.arange(grid, dtype=torch.float32) + 0.5) * stride
    yy, xx = torch.meshgrid(centres, centres, indexing="ij")
    n_cells = grid * grid
    xy = torch.stack([xx.reshape(-1), yy.reshape(-1)], -1).repeat_interleave(k, 0)
    theta = anchor_angles_deg(k).repeat(n_cells)[:, None]
    size = torch.tensor([anchor_w, anchor_h], dtype=torch.float32).expand(n_cells * k, 2)
    return torch.cat([xy, theta, size], -1)


def wrap_deg(theta: torch.Tensor) -> torch.Tensor:
    """Fold angles in degrees into [-90, 90)."""
    return torch.remainder(theta + 90.0, 180.0) - 90.0


def encode(grasps: torch.Tensor, anchors: torch.Tensor, k: int) -> torch.Tensor:
    """Deformations ``[dx, dy, dw, dh, dtheta]`` that turn ``anchors`` into ``grasps``
    (both (..., 5)); the inverse of :func:`decode`. The angle difference is folded into
    [-90, 90) first, since grasps are symmetric under a half turn."""
    dx = (grasps[..., 0] - anchors[..., 0]) / anchors[..., 3]
    dy = (grasps[..., 1] - anchors[..., 1]) / anchors[..., 4]
    dw = torch.log(grasps[..., 3] / anchors[..., 3])
    dh = torch.log(grasps[..., 4] / anchors[..., 4])
    dt = wrap_deg(grasps[..., 2] - anchors[..., 2]) / (180.0 / k)
    return torch.stack([dx, dy, dw, dh, dt], -1)


def decode(deltas: torch.Tensor, anchors: torch.Tensor, k: int) -> torch.Tensor:
    """The paper's Eq. 2: grasps ``[x, y, theta_deg, w, h]`` from deformations (..., 5)
    of ``anchors`` (..., 5). Angles are returned unwrapped (``theta_a + dtheta * 180/k``);
    ``dw, dh`` are clamped at :data:`MAX_LOG_SCALE`."""
    x = deltas[..., 0] * anchors[..., 3] + anchors[..., 0]
    y = deltas[..., 1] * anchors[..., 4] + anchors[..., 1]
    w = torch.exp(deltas[..., 2].clamp(max=MAX_LOG_SCALE)) * anchors[..., 3]
    h = torch.exp(deltas[..., 3].clamp(max=MAX_LOG_SCALE)) * anchors[..., 4]
    t = deltas[..., 4] * (180.0 / k) + anchors[..., 2]
    return torch.stack([x, y, t, w, h], -1)
