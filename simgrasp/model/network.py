"""The grasp network: feature extractor (FE), primary grasp predictor (PGP) and scorer."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from simgrasp.model.anchors import decode, make_anchors
from simgrasp.model.backbone import FeatureExtractor
from simgrasp.model.config import ModelConfig
from simgrasp.model.families import PAPER_FAMILY
from simgrasp.model.init import init_small
from simgrasp.model.scorer import Scorer


@dataclass
class NetOutput:
    """One forward pass of FE and PGP.

    ``features`` (B, C, g, g); ``deltas`` (B, g, g, k, 5) as ``[dx, dy, dw, dh, dtheta]``;
    ``primary_logits`` (B, g, g, k, 2), logit 1 meaning "good anchor"."""

    features: torch.Tensor
    deltas: torch.Tensor
    primary_logits: torch.Tensor


class PrimaryPredictor(nn.Module):
    """Two separate convolutions on the feature map (Zhou et al.'s oriented-anchor head):
    five deformations and two score logits for each of the k anchors of every cell."""

    def __init__(self, in_channels: int, k: int, kernel: int) -> None:
        super().__init__()
        self.k = k
        self.regress = nn.Conv2d(in_channels, 5 * k, kernel, padding=kernel // 2)
        self.classify = nn.Conv2d(in_channels, 2 * k, kernel, padding=kernel // 2)
        init_small(self.regress)
        init_small(self.classify)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, _, g, w = features.shape
        deltas = self.regress(features).permute(0, 2, 3, 1).reshape(b, g, w, self.k, 5)
        logits = self.classify(features).permute(0, 2, 3, 1).reshape(b, g, w, self.k, 2)
        return deltas, logits


class GraspNet(nn.Module):
    """FE + PGP + scorer, rebuilt from a :class:`ModelConfig`. Input (B, C, S, S) with
    ``S = config.input_size`` and the ``C = config.channels`` channels of
    :mod:`simgrasp.model.inputs` (RGB in [0, 1] for the paper's ``"rgb"``); grasps come out
    in those input pixels."""

    family = PAPER_FAMILY  # the name its checkpoints give (simgrasp.model.contract)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.fe = FeatureExtractor(config.backbone, config.pretrained, config.input)
        c = self.fe.channels
        self.pgp = PrimaryPredictor(c, config.k, config.head_kernel)
        self.scorer = Scorer(
            c,
            config.k,
            config.scorer_channels or c,
            config.scorer_param_width,
            config.scorer_hidden,
            config.leaky_slope,
        )
        anchors = make_anchors(config.grid, config.stride, config.k, config.anchor_w, config.anchor_h)
        self.register_buffer("anchors", anchors, persistent=False)

    def forward(self, images: torch.Tensor) -> NetOutput:
        s, c = self.config.input_size, self.config.channels
        if images.ndim != 4 or images.shape[1:] != (c, s, s):
            raise ValueError(f"expected images (B, {c}, {s}, {s}) for input {self.config.input!r}, got {tuple(images.shape)}")
        features = self.fe(images)
        deltas, logits = self.pgp(features)
        return NetOutput(features, deltas, logits)

    def decode(self, deltas: torch.Tensor) -> torch.Tensor:
        """Grasps (B, N, 5) ``[x, y, theta_deg, w, h]`` in input pixels from deltas
        (B, g, g, k, 5), in flat index order."""
        return decode(deltas.reshape(deltas.shape[0], -1, 5), self.anchors, self.config.k)

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every grasp with both scores: grasps (B, N, 5) in input pixels, primary and
        scorer probabilities of success, each (B, N). The scorer sees all grasps at once."""
        out = self(images)
        b = images.shape[0]
        primary = out.primary_logits.softmax(-1)[..., 1].reshape(b, -1)
        scored = self.scorer(out.features, out.deltas).softmax(-1)[..., 1].reshape(b, -1)
        return self.decode(out.deltas), primary, scored
