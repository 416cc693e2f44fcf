"""GR-ConvNet, layer for layer as released (``inference/models/grconvnet3.py`` of
skumra/robotic-grasping); parameters: 1,900,900 at 32 channels on RGB-D, 479,156 at 16."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from simgrasp.model.grconvnet.config import GRConvNetConfig
from simgrasp.model.maps.network import MapNetwork


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions, each followed by batch norm (a ReLU between them), added to the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))


def _conv_bn(conv: nn.Module, channels: int) -> nn.Sequential:
    return nn.Sequential(conv, nn.BatchNorm2d(channels), nn.ReLU(inplace=True))


class GRConvNetBody(nn.Module):
    """Down: 9x9 convolution (C), two 4x4 convolutions of stride 2 (2C, 4C), each with batch
    norm and ReLU; the residual blocks at 4C; up: two 4x4 transposed convolutions of stride 2
    (2C, C) with batch norm and ReLU, then a 9x9 transposed convolution (C, no activation).
    The map ends one pixel larger than the input (the released paddings), which the 2x2
    heads take back."""

    def __init__(self, cfg: GRConvNetConfig) -> None:
        super().__init__()
        c = cfg.channel_size
        self.down = nn.Sequential(
            _conv_bn(nn.Conv2d(cfg.channels, c, 9, padding=4), c),
            _conv_bn(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), 2 * c),
            _conv_bn(nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1), 4 * c),
        )
        self.residual = nn.Sequential(*(ResidualBlock(4 * c) for _ in range(cfg.residual_blocks)))
        self.up = nn.Sequential(
            _conv_bn(nn.ConvTranspose2d(4 * c, 2 * c, 4, stride=2, padding=1, output_padding=1), 2 * c),
            _conv_bn(nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=2, output_padding=1), c),
            nn.ConvTranspose2d(c, c, 9, padding=4),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.residual(self.down(x)))


class GRConvNet(MapNetwork):
    """GR-ConvNet: :class:`GRConvNetBody` and four 2x2 heads, each behind dropout when set."""

    family = "grconvnet"
    loss = "smooth_l1"

    def __init__(self, config: GRConvNetConfig) -> None:
        super().__init__(config, GRConvNetBody(config), config.channel_size, head_kernel=2, dropout=config.dropout)
