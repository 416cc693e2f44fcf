"""The network's configuration: everything needed to rebuild it from a checkpoint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable

from simgrasp.config import FLAG, FRACTION, POSITIVE, POSITIVE_INT, Choice, Maybe, MultipleOf, override, setting
from simgrasp.model.inputs import MODALITIES


STRIDE = 16  # input pixels per feature-map cell: ResNets cut after layer3


def _backbones() -> Iterable[str]:
    from simgrasp.model.backbone import BACKBONES  # torch and torchvision: loaded when a name is checked

    return BACKBONES.names()


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the grasp network (Depierre et al., ICRA 2021, section IV-A).

    Sizes are in input pixels unless stated otherwise."""

    input: str = setting("rgb", Choice(MODALITIES.names))
    """Input modality, a name in ``simgrasp.model.inputs.MODALITIES``: ``"rgb"`` (the paper),
    ``"rgbd"`` or ``"depth"`` (height above the table, see :mod:`simgrasp.model.inputs`).
    Checkpoints written before this field existed load as ``"rgb"``."""
    backbone: str = setting("resnet18", Choice(_backbones))
    """Feature extractor, a name in ``simgrasp.model.backbone.BACKBONES``."""
    pretrained: bool = setting(False, FLAG)
    """Start the feature extractor from ImageNet weights when they are in the local torch
    hub cache (never downloaded); random initialisation otherwise."""
    input_size: int = setting(320, MultipleOf(STRIDE))
    """Side of the square network input; the feature map is ``input_size / 16`` cells."""
    k: int = setting(6, POSITIVE_INT)
    """Number of anchor orientations, spread evenly over 180 degrees."""
    anchor_w: float = setting(90.0, POSITIVE)
    """Anchor opening (pixels of the network input): the mean ``w`` of the training set's
    ground truths, set by training before the first iteration."""
    anchor_h: float = setting(25.0, POSITIVE)
    """Anchor jaw size (pixels of the network input): the mean ``h`` of the ground truths."""
    head_kernel: int = setting(3, POSITIVE_INT)
    """Kernel of the PGP's two convolutions (Zhou et al.'s heads; 3x3 like an RPN head)."""
    scorer_channels: int | None = setting(None, Maybe(POSITIVE_INT))
    """Filters of the scorer's 1x1 convolution. The paper uses 1024 on ResNet-50's 1024
    channels; ``None`` keeps that ratio, i.e. the backbone's channel count."""
    scorer_param_width: int = setting(512, POSITIVE_INT)
    """Width of the dense layer on the 5k grasp-parameter vector (paper: 512)."""
    scorer_hidden: int = setting(64, POSITIVE_INT)
    """Width of the first of the scorer's last two dense layers (the paper gives no
    figure). 64 keeps scoring all grasps under 15 % of ResNet-18's extractor time here
    (128 measured 15 %, 64 measured 9 %, single thread)."""
    leaky_slope: float = setting(0.1, FRACTION)
    """Negative slope of the scorer's leaky ReLUs (paper: 0.1)."""

    def __post_init__(self) -> None:
        if self.input not in MODALITIES:
            raise ValueError(f"input must be one of {MODALITIES.names()}, got {self.input!r}")

    @property
    def channels(self) -> int:
        """Channels of the network input for :attr:`input`."""
        return MODALITIES.get(self.input).channels

    @property
    def stride(self) -> int:
        """Input pixels per feature-map cell (ResNet cut after ``layer3``)."""
        return STRIDE

    @property
    def grid(self) -> int:
        """Side of the feature map in cells."""
        if self.input_size % self.stride:
            raise ValueError(f"input_size must be a multiple of {self.stride}, got {self.input_size}")
        return self.input_size // self.stride

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        """Strict: an unknown key raises, naming the valid ones."""
        return override(cls(), dict(d), "model config")
