"""GG-CNN and GG-CNN2, layer for layer as released (``models/ggcnn.py``, ``models/ggcnn2.py``
of dougsm/ggcnn); parameters: 62,420 and 66,676 on one depth channel."""

from __future__ import annotations

from torch import nn

from simgrasp.model.ggcnn.config import GGCNNConfig
from simgrasp.model.maps.network import MapNetwork


def _relu_after(*layers: nn.Module) -> list[nn.Module]:
    out: list[nn.Module] = []
    for layer in layers:
        out += [layer, nn.ReLU(inplace=True)]
    return out


def ggcnn2_body(cfg: GGCNNConfig) -> tuple[nn.Sequential, int]:
    """GG-CNN2's layers before its heads and their output channels: two pairs of
    convolutions (11x11 then 5x5, then two 5x5), each pair followed by a 2x2 max-pool, two
    dilated convolutions (dilations 2 and 4), two 3x3 transposed convolutions of stride 2;
    ReLU after each."""
    f1, f2, f3, f4 = cfg.filters
    k, (d1, d2) = cfg.dilated_kernel, cfg.dilations
    layers = [
        *_relu_after(nn.Conv2d(cfg.channels, f1, 11, padding=5), nn.Conv2d(f1, f1, 5, padding=2)),
        nn.MaxPool2d(2, 2),
        *_relu_after(nn.Conv2d(f1, f2, 5, padding=2), nn.Conv2d(f2, f2, 5, padding=2)),
        nn.MaxPool2d(2, 2),
        *_relu_after(
            nn.Conv2d(f2, f3, k, dilation=d1, padding=k // 2 * d1),
            nn.Conv2d(f3, f3, k, dilation=d2, padding=k // 2 * d2),
            nn.ConvTranspose2d(f3, f4, 3, stride=2, padding=1, output_padding=1),
            nn.ConvTranspose2d(f4, f4, 3, stride=2, padding=1, output_padding=1),
        ),
    ]
    return nn.Sequential(*layers), f4


def ggcnn_body(cfg: GGCNNConfig) -> tuple[nn.Sequential, int]:
    """GG-CNN's layers before its heads: three strided convolutions (32 9x9 /3, 16 5x5 /2,
    8 3x3 /2) and three transposed ones back (8 3x3 x2, 16 5x5 x2, 32 9x9 x3), ReLU after
    each; they end one pixel larger than the input, which the 2x2 heads take back."""
    layers = _relu_after(
        nn.Conv2d(cfg.channels, 32, 9, stride=3, padding=3),
        nn.Conv2d(32, 16, 5, stride=2, padding=2),
        nn.Conv2d(16, 8, 3, stride=2, padding=1),
        nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1),
        nn.ConvTranspose2d(8, 16, 5, stride=2, padding=2, output_padding=1),
        nn.ConvTranspose2d(16, 32, 9, stride=3, padding=3, output_padding=1),
    )
    return nn.Sequential(*layers), 32


BODIES = {"ggcnn2": (ggcnn2_body, 1), "ggcnn": (ggcnn_body, 2)}
"""Each variant's body and the kernel of its heads."""


class GGCNN(MapNetwork):
    """GG-CNN2 (1x1 heads) or GG-CNN (2x2 heads), as ``config.variant`` says."""

    family = "ggcnn"
    loss = "mse"

    def __init__(self, config: GGCNNConfig) -> None:
        make_body, head_kernel = BODIES[config.variant]
        body, channels = make_body(config)
        super().__init__(config, body, channels, head_kernel)
