"""The grasp-map losses: the sum over the four maps of a per-pixel regression loss, each the
mean over pixels and batch. GG-CNN and GG-CNN2 use the squared error (``F.mse_loss``),
GR-ConvNet the smooth L1 (``F.smooth_l1_loss``, beta 1), as their released ``compute_loss``."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from simgrasp.model.maps.network import GraspMaps
from simgrasp.model.maps.targets import CHANNELS

LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": F.mse_loss,
    "smooth_l1": F.smooth_l1_loss,
}


def map_losses(pred: GraspMaps, target: torch.Tensor, kind: str) -> dict[str, torch.Tensor]:
    """The loss of each map (named as :data:`CHANNELS`) and their sum ``"total"``, from a
    forward pass and the (B, 4, S, S) label maps of :func:`simgrasp.model.maps.targets.draw_maps`."""
    if kind not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {kind!r}")
    if target.ndim != 4 or target.shape[1] != 4 or target.shape[2:] != pred.quality.shape[2:]:
        raise ValueError(f"expected label maps (B, 4, {tuple(pred.quality.shape[2:])}), got {tuple(target.shape)}")
    fn = LOSSES[kind]
    parts = {name: fn(p, target[:, i : i + 1]) for i, (name, p) in enumerate(zip(CHANNELS, pred))}
    parts["total"] = sum(parts.values(), torch.zeros((), device=target.device))
    return parts
