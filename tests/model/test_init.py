"""Both training presets start at the base rates of their losses and stay calm for the
first steps (simgrasp.model.init, simgrasp.model.losses.start_at_base_rates)."""

import dataclasses
import math

import pytest
import torch

from simgrasp.model.augment import AugmentConfig
from simgrasp.data.synthetic import SyntheticGraspDataset
from simgrasp.model.config import ModelConfig
from simgrasp.model.init import log_odds, set_logit_prior
from simgrasp.model.losses import compute_losses, start_at_base_rates
from simgrasp.model.network import GraspNet
from simgrasp.model.train import TrainConfig, TrainViews, collate, make_optimizer, mean_grasp_box
from simgrasp.train import build_configs
from tests.model.test_cli import _args


def _entropy(p: float) -> float:
    return 0.0 if p in (0.0, 1.0) else -(p * math.log(p) + (1 - p) * math.log(1 - p))


def _preset(name: str, size: int, backbone: str) -> tuple[ModelConfig, TrainConfig]:
    """A preset's heads and schedule on a smaller input; ImageNet weights left out so the
    test does not depend on the cache."""
    model, train = build_configs(_args(preset=name))
    return dataclasses.replace(model, input_size=size, backbone=backbone, pretrained=False), train


@pytest.mark.parametrize("preset,size,backbone", [("cpu", 96, "resnet18"), ("paper", 96, "resnet18"), ("paper", 64, "resnet50")])
def test_presets_start_at_base_rates_and_do_not_blow_up(preset, size, backbone):
    model_cfg, train_cfg = _preset(preset, size, backbone)
    data = SyntheticGraspDataset(8, 160, seed=0)
    w, h = mean_grasp_box(data, size)
    torch.manual_seed(0)
    net = GraspNet(dataclasses.replace(model_cfg, anchor_w=w, anchor_h=h))
    views = TrainViews(data, size, 0, AugmentConfig())
    batch = collate([views[j] for j in range(3)])
    images, truths, tested = batch.images, batch.truths, batch.tried()
    rates = start_at_base_rates(net, images, truths, train_cfg.loss, tested)
    assert rates["primary_prior"] == pytest.approx(0.25)
    net.train()
    first = compute_losses(net, net(images), truths, train_cfg.loss, tested)
    assert first.primary.item() == pytest.approx(_entropy(0.25), abs=0.1)
    assert first.scorer.item() == pytest.approx(_entropy(first.stats["scorer_positive_rate"]), abs=0.1)
    assert first.stats["smooth_l1"] < 3.0  # deformations start at the anchors
    optimizer = make_optimizer(net, train_cfg)
    totals = []
    for _ in range(3):
        losses = compute_losses(net, net(images), truths, train_cfg.loss, tested)
        totals.append(losses.total.item())
        optimizer.zero_grad(set_to_none=True)
        losses.total.backward()
        optimizer.step()
    assert max(totals[1:]) < 1.5 * totals[0], totals


def test_logit_prior_sets_the_positive_probability_of_each_pair():
    layer = torch.nn.Linear(3, 4)
    set_logit_prior(layer, 0.2)
    p = layer(torch.zeros(1, 3)).reshape(2, 2).softmax(-1)[:, 1]
    torch.testing.assert_close(p, torch.full((2,), 0.2))
    assert log_odds(0.0) == pytest.approx(math.log(0.01 / 0.99))  # clipped, never -inf
    with pytest.raises(ValueError, match="logit pairs, got 3"):
        set_logit_prior(torch.nn.Linear(3, 3), 0.5)
