"""Starting the heads at their base rates (a two-class softmax that knows nothing should
cost the label entropy, not more).

Every head starts near constant (:func:`init_small`): the PGP's deformations at zero (the
anchors), the score logits at their biases. The biases then hold the log-odds of the base
rate (:func:`set_logit_prior`): 1 / (1 + negative_ratio) for the primary score, whose
targets are P positives and ``negative_ratio * P`` hard negatives by construction, and the
measured positive rate of the first batch for the scorer (see
:func:`simgrasp.model.losses.start_at_base_rates`). The first losses are then the base-rate
entropies and the first gradients small.
"""

from __future__ import annotations

import math

import torch
from torch import nn

MIN_PRIOR = 0.01
"""Base rates are clipped to [MIN_PRIOR, 1 - MIN_PRIOR]: a first batch without one positive
must not start the scorer at minus infinity."""


def init_small(layer: nn.Conv2d | nn.Linear, out_std: float = 0.01) -> None:
    """Weights drawn so that unit-RMS inputs give outputs of standard deviation ``out_std``
    whatever the fan-in, and zero biases. A fixed weight std such as RPN's 0.01 gives
    logits of std 0.6 on ResNet-18's 2304 inputs, which the hard-negative selection (the
    highest of 2400 scores) turns into a 2.8-nat first loss."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, std=out_std / math.sqrt(fan_in))
    nn.init.zeros_(layer.bias)


def log_odds(prior: float) -> float:
    """``log(p / (1 - p))`` of ``prior`` clipped to [MIN_PRIOR, 1 - MIN_PRIOR]."""
    p = min(max(float(prior), MIN_PRIOR), 1.0 - MIN_PRIOR)
    return math.log(p / (1.0 - p))


@torch.no_grad()
def set_logit_prior(layer: nn.Conv2d | nn.Linear, prior: float) -> None:
    """Biases of a layer whose outputs are (negative, positive) logit pairs, so that a zero
    input gives a success probability ``prior``."""
    n = layer.bias.shape[0]
    if n % 2:
        raise ValueError(f"expected (negative, positive) logit pairs, got {n} outputs")
    layer.bias.zero_()
    layer.bias[1::2] = log_odds(prior)
