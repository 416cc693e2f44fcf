"""Feature extractors: torchvision ResNets cut after ``layer3`` (stride 16).

A 320 px input gives a 20x20 map of 256 channels (ResNet-18/34) or 1024 (ResNet-50/101),
the fourth convolution block of the paper.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn
from torchvision import models

from simgrasp.registry import Registry


@dataclass(frozen=True)
class BackboneSpec:
    """How to build one ResNet: its constructor, ImageNet weights enum and output channels."""

    builder: Callable[..., models.ResNet]
    weights: Any
    channels: int


BACKBONES: Registry[BackboneSpec] = Registry("backbone")
BACKBONES.register("resnet18")(BackboneSpec(models.resnet18, models.ResNet18_Weights.IMAGENET1K_V1, 256))
BACKBONES.register("resnet34")(BackboneSpec(models.resnet34, models.ResNet34_Weights.IMAGENET1K_V1, 256))
BACKBONES.register("resnet50")(BackboneSpec(models.resnet50, models.ResNet50_Weights.IMAGENET1K_V1, 1024))
BACKBONES.register("resnet101")(BackboneSpec(models.resnet101, models.ResNet101_Weights.IMAGENET1K_V1, 1024))

# ImageNet statistics the torchvision weights were trained with (RGB, values in [0, 1]).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def cached_weights_path(weights: Any) -> str | None:
    """Where torchvision would keep ``weights`` in the torch hub cache, if the file is there."""
    path = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(weights.url))
    return path if os.path.isfile(path) else None


class FeatureExtractor(nn.Module):
    """A ResNet's stem and ``layer1..layer3``; input (B, 3, H, W) in [0, 1] RGB, output
    (B, C, H/16, W/16). ImageNet normalisation happens inside, so callers feed plain images."""

    def __init__(self, name: str, pretrained: bool = False) -> None:
        super().__init__()
        spec = BACKBONES.get(name)
        net = spec.builder(weights=None)
        if pretrained:
            path = cached_weights_path(spec.weights)
            if path is None:
                print(f"[simgrasp] no cached ImageNet weights for {name}; random initialisation")
            else:
                net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.channels = spec.channels
        self.body = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body((images - self.mean) / self.std)
