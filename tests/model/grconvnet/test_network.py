"""GR-ConvNet: the released architecture (grconvnet3), counted layer by layer."""

import pytest
import torch

from simgrasp.model.grconvnet.config import GRConvNetConfig
from simgrasp.model.grconvnet.network import GRConvNet


def conv(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k * k + c_out


def released(c_in: int, c: int) -> int:
    """Parameters of skumra/robotic-grasping's inference/models/grconvnet3.py at
    ``channel_size=c``: three convolutions down with batch norm (2 parameters a channel),
    five residual blocks of two 3x3 convolutions and two batch norms, two transposed
    convolutions up with batch norm, a 9x9 transposed convolution and four 2x2 heads."""
    down = conv(c_in, c, 9) + 2 * c + conv(c, 2 * c, 4) + 4 * c + conv(2 * c, 4 * c, 4) + 8 * c
    residual = 5 * (2 * conv(4 * c, 4 * c, 3) + 2 * 8 * c)
    up = conv(4 * c, 2 * c, 4) + 4 * c + conv(2 * c, c, 4) + 2 * c + conv(c, c, 9)
    return down + residual + up + 4 * conv(c, 1, 2)


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts_are_the_released_ones():
    assert released(4, 32) == 1_900_900 and released(4, 16) == 479_156  # 1.90 M and 0.48 M, as published
    assert _params(GRConvNet(GRConvNetConfig())) == released(4, 32)
    assert _params(GRConvNet(GRConvNetConfig(channel_size=16))) == released(4, 16)
    assert _params(GRConvNet(GRConvNetConfig(channel_size=16, input="depth"))) == released(1, 16)


@pytest.mark.parametrize("size, modality", [(224, "rgbd"), (64, "rgb")])
def test_the_four_maps_are_as_large_as_the_input(size, modality):
    torch.manual_seed(0)
    cfg = GRConvNetConfig(channel_size=8, input_size=size, input=modality)
    net = GRConvNet(cfg).eval()
    out = net(torch.randn(1, cfg.channels, size, size))
    assert [tuple(m.shape) for m in out] == [(1, 1, size, size)] * 4
    assert net.loss == "smooth_l1" and net.family == "grconvnet"


def test_dropout_sits_before_each_head_only_in_training():
    torch.manual_seed(0)
    net = GRConvNet(GRConvNetConfig(channel_size=4, input_size=32, dropout=0.5))
    x = torch.randn(1, 4, 32, 32)
    assert not torch.equal(net.train()(x).quality, net(x).quality)
    net.eval()
    assert torch.equal(net(x).quality, net(x).quality)
    assert GRConvNet(GRConvNetConfig(channel_size=4, input_size=32)).heads.dropout is None


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="multiple of 4 for grconvnet-32, got 50"):
        GRConvNetConfig(input_size=50)
    with pytest.raises(ValueError, match="dropout must be below 1"):
        GRConvNetConfig(dropout=1.0)
    with pytest.raises(ValueError, match="unknown key 'channels'"):
        GRConvNetConfig.from_dict({"channels": 16})


def test_the_shipped_weights_are_the_16_channel_network_on_rgbd():
    from simgrasp.model.checkpoint import read_checkpoint
    from simgrasp.model.contract import checkpoint_family
    from simgrasp.policies.cards import REPO_ROOT

    path = REPO_ROOT / "assets" / "weights" / "grconvnet.pt"
    assert path.stat().st_size <= 25e6
    ckpt = read_checkpoint(path)  # torch.load(weights_only=True)
    net = checkpoint_family(ckpt, str(path)).from_checkpoint(ckpt, str(path))
    assert net.config.input == "rgbd" and net.config.input_size == 224
    assert _params(net) == released(4, 16) and ckpt["optimizer"] is None
