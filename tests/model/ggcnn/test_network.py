"""GG-CNN and GG-CNN2: the released architectures, counted layer by layer."""

import pytest
import torch

from simgrasp.model.ggcnn.config import GGCNNConfig
from simgrasp.model.ggcnn.network import GGCNN


def conv(c_in: int, c_out: int, k: int) -> int:
    """Parameters of a (transposed) convolution with bias."""
    return c_in * c_out * k * k + c_out


# Counted from dougsm/ggcnn's models/ggcnn2.py (filter_sizes [16, 16, 32, 16], l3_k_size 5)
# and models/ggcnn.py (filters 32, 16, 8, 8, 16, 32; kernels 9, 5, 3, 3, 5, 9; 2x2 heads).
GGCNN2_RELEASED = (conv(1, 16, 11) + conv(16, 16, 5) + conv(16, 16, 5) + conv(16, 16, 5)
                   + conv(16, 32, 5) + conv(32, 32, 5) + conv(32, 16, 3) + conv(16, 16, 3) + 4 * conv(16, 1, 1))
GGCNN_RELEASED = (conv(1, 32, 9) + conv(32, 16, 5) + conv(16, 8, 3) + conv(8, 8, 3) + conv(8, 16, 5)
                  + conv(16, 32, 9) + 4 * conv(32, 1, 2))


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts_are_the_released_ones():
    assert GGCNN2_RELEASED == 66_676 and GGCNN_RELEASED == 62_420  # the published figures
    assert _params(GGCNN(GGCNNConfig())) == GGCNN2_RELEASED
    assert _params(GGCNN(GGCNNConfig(variant="ggcnn"))) == GGCNN_RELEASED
    # Colour and depth: only the first convolution widens.
    assert _params(GGCNN(GGCNNConfig(input="rgbd"))) == GGCNN2_RELEASED + 3 * 16 * 11 * 11


@pytest.mark.parametrize("variant, size", [("ggcnn2", 300), ("ggcnn2", 64), ("ggcnn", 300), ("ggcnn", 96)])
def test_the_four_maps_are_as_large_as_the_input(variant, size):
    torch.manual_seed(0)
    net = GGCNN(GGCNNConfig(variant=variant, input_size=size))
    out = net(torch.randn(2, 1, size, size))
    assert [tuple(m.shape) for m in out] == [(2, 1, size, size)] * 4
    assert net.loss == "mse" and net.family == "ggcnn"


def test_bad_sizes_and_settings_are_refused():
    with pytest.raises(ValueError, match="input_size must be a multiple of 12 for ggcnn, got 64"):
        GGCNNConfig(variant="ggcnn", input_size=64)
    with pytest.raises(ValueError, match="multiple of 4 for ggcnn2, got 30"):
        GGCNNConfig(input_size=30)
    with pytest.raises(ValueError, match="variant 'ggcnn' has fixed sizes"):
        GGCNNConfig(variant="ggcnn", dilations=(1, 2))
    with pytest.raises(ValueError, match="variant must be one of ggcnn2, ggcnn"):
        GGCNNConfig.from_dict({"variant": "ggcnn3"})
    net = GGCNN(GGCNNConfig(input_size=64))
    with pytest.raises(ValueError, match=r"expected images \(B, 1, 64, 64\) for input 'depth'"):
        net(torch.zeros(1, 4, 64, 64))


def test_the_released_variants_of_ggcnn2_are_config():
    cfg = GGCNNConfig(filters=(8, 8, 16, 8), dilated_kernel=3, dilations=(1, 2), input_size=64)
    out = GGCNN(cfg)(torch.zeros(1, 1, 64, 64))
    assert out.quality.shape == (1, 1, 64, 64)
    assert GGCNNConfig.from_dict(cfg.to_dict()) == cfg


def test_the_shipped_weights_are_gg_cnn2_on_depth_at_300_px():
    from simgrasp.model.checkpoint import read_checkpoint
    from simgrasp.model.contract import checkpoint_family
    from simgrasp.policies.cards import REPO_ROOT

    path = REPO_ROOT / "assets" / "weights" / "ggcnn2.pt"
    assert path.stat().st_size <= 25e6
    ckpt = read_checkpoint(path)  # torch.load(weights_only=True)
    net = checkpoint_family(ckpt, str(path)).from_checkpoint(ckpt, str(path))
    assert net.config.variant == "ggcnn2" and net.config.input == "depth" and net.config.input_size == 300
    assert _params(net) == GGCNN2_RELEASED and ckpt["optimizer"] is None
