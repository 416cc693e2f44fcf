"""Feature extractors: ResNets (torchvision's, built by simgrasp.model.resnet) cut after ``layer3`` (stride 16).

A 320 px input gives a 20x20 map of 256 channels (ResNet-18/34) or 1024 (ResNet-50/101),
the fourth convolution block of the paper.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from simgrasp.model import resnet as models
from simgrasp.model.inputs import MODALITIES
from simgrasp.registry import Registry


@dataclass(frozen=True)
class BackboneSpec:
    """How to build one ResNet: its constructor, ImageNet weights file name and output channels."""

    builder: Callable[..., models.ResNet]
    weights: Any
    channels: int


BACKBONES: Registry[BackboneSpec] = Registry("backbone")
BACKBONES.register("resnet18")(BackboneSpec(models.resnet18, models.WEIGHT_FILES["resnet18"], 256))
BACKBONES.register("resnet34")(BackboneSpec(models.resnet34, models.WEIGHT_FILES["resnet34"], 256))
BACKBONES.register("resnet50")(BackboneSpec(models.resnet50, models.WEIGHT_FILES["resnet50"], 1024))
BACKBONES.register("resnet101")(BackboneSpec(models.resnet101, models.WEIGHT_FILES["resnet101"], 1024))

# ImageNet statistics the torchvision weights were trained with (RGB, values in [0, 1]).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def cached_weights_path(weights: Any) -> str | None:
    """Where torchvision would keep ``weights`` (its file name) in the torch hub cache, if the file is there."""
    path = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(str(weights)))
    return path if os.path.isfile(path) else None


class FeatureExtractor(nn.Module):
    """A ResNet's stem and ``layer1..layer3``; input (B, C, H, W) in the channels of
    :mod:`simgrasp.model.inputs` for ``modality`` (colour in [0, 1], then the height
    channel), output (B, C_out, H/16, W/16). The ImageNet normalisation of the colour
    channels happens inside, so callers feed plain images; the height channel, already
    near unit range, is passed as it is.

    The first convolution takes the modality's channels. With ImageNet weights, the colour
    filters are the pretrained ones and a depth channel starts as their mean over RGB (a
    grey-level filter), so the pretrained features still respond to depth edges. Without
    them, each residual block's last BatchNorm starts at zero (Goyal et al., 2017): every
    block starts as the identity, so a from-scratch ResNet-50's layer3 features keep the
    scale of its stem (RMS about 0.7 against 2.2 otherwise) and the heads start small."""

    def __init__(self, name: str, pretrained: bool = False, modality: str = "rgb") -> None:
        super().__init__()
        spec = BACKBONES.get(name)
        mod = MODALITIES.get(modality)
        path = cached_weights_path(spec.weights) if pretrained else None
        if pretrained and path is None:
            print(f"[simgrasp] no cached ImageNet weights for {name}; random initialisation")
        net = spec.builder(weights=None, zero_init_residual=path is None)
        if path is not None:
            net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        conv1 = net.conv1
        if mod.channels != 3:
            conv1 = nn.Conv2d(mod.channels, 64, 7, stride=2, padding=3, bias=False)
            nn.init.kaiming_normal_(conv1.weight, mode="fan_out", nonlinearity="relu")
            if path is not None:
                with torch.no_grad():
                    rgb_w = net.conv1.weight
                    grey = rgb_w.mean(1, keepdim=True)
                    conv1.weight.copy_(torch.cat([rgb_w, grey], 1) if mod.rgb else grey)
        self.channels = spec.channels
        self.in_channels = mod.channels
        self.body = nn.Sequential(conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3)
        mean = (IMAGENET_MEAN if mod.rgb else ()) + ((0.0,) if mod.depth else ())
        std = (IMAGENET_STD if mod.rgb else ()) + ((1.0,) if mod.depth else ())
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body((images - self.mean) / self.std)
