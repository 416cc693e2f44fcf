"""The frame every grasp-map architecture fills: a body from the input to a feature map as
large as the input, then four single-channel convolutions, one per output map (quality,
cos 2θ, sin 2θ, width), each optionally behind dropout (GR-ConvNet's option). Every
convolution's weights start Xavier-uniform (gain 1) with PyTorch's default biases, as in
both released codes."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import torch
from torch import nn

from simgrasp.model.maps.config import MapNetConfig


class GraspMaps(NamedTuple):
    """One forward pass: four (B, 1, S, S) maps."""

    quality: torch.Tensor
    cos: torch.Tensor
    sin: torch.Tensor
    width: torch.Tensor

    def stacked(self) -> torch.Tensor:
        """The four maps as one (B, 4, S, S) tensor, in :data:`simgrasp.model.maps.targets.CHANNELS` order."""
        return torch.cat(list(self), dim=1)


class MapHeads(nn.Module):
    """Four convolutions ``in_channels -> 1`` of kernel ``kernel`` (1: GG-CNN2; 2: GG-CNN and
    GR-ConvNet, whose body then ends one pixel larger than the input)."""

    def __init__(self, in_channels: int, kernel: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.quality = nn.Conv2d(in_channels, 1, kernel)
        self.cos = nn.Conv2d(in_channels, 1, kernel)
        self.sin = nn.Conv2d(in_channels, 1, kernel)
        self.width = nn.Conv2d(in_channels, 1, kernel)
        self.dropout = nn.ModuleList(nn.Dropout(dropout) for _ in range(4)) if dropout > 0 else None

    def forward(self, x: torch.Tensor) -> GraspMaps:
        heads = (self.quality, self.cos, self.sin, self.width)
        if self.dropout is None:
            return GraspMaps(*(head(x) for head in heads))
        return GraspMaps(*(head(drop(x)) for head, drop in zip(heads, self.dropout)))


def xavier_init(module: nn.Module) -> None:
    """Xavier-uniform weights (gain 1) on every convolution and transposed convolution."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight, gain=1.0)


class MapNetwork(nn.Module):
    """A grasp-map network: ``body`` (input -> ``body_channels`` feature map) and
    :class:`MapHeads`. Input (B, C, S, S) with ``S = config.input_size`` and the ``C =
    config.channels`` channels of :mod:`simgrasp.model.maps.inputs`; output four maps of
    side S. Subclasses name their ``family`` (checkpoints) and their paper's ``loss``
    (:data:`simgrasp.model.maps.losses.LOSSES`)."""

    family: ClassVar[str]
    loss: ClassVar[str]

    def __init__(
        self, config: MapNetConfig, body: nn.Module, body_channels: int, head_kernel: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.config = config
        self.body = body
        self.heads = MapHeads(body_channels, head_kernel, dropout)
        xavier_init(self)

    def forward(self, images: torch.Tensor) -> GraspMaps:
        s, c = self.config.input_size, self.config.channels
        if images.ndim != 4 or images.shape[1:] != (c, s, s):
            raise ValueError(
                f"expected images (B, {c}, {s}, {s}) for input {self.config.input!r}, got {tuple(images.shape)}"
            )
        return self.heads(self.body(images))
