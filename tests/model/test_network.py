import pytest
import torch

from simgrasp.model.backbone import BACKBONES
from simgrasp.model.config import ModelConfig
from simgrasp.model.network import GraspNet


@pytest.mark.parametrize("name", BACKBONES.names())
def test_shapes_for_each_backbone(name):
    cfg = ModelConfig(backbone=name, input_size=64, k=6, scorer_channels=32, scorer_hidden=16, scorer_param_width=32)
    net = GraspNet(cfg).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 3, 64, 64))
        grasps, primary, scored = net.predict(torch.rand(2, 3, 64, 64))
    c = BACKBONES.get(name).channels
    assert out.features.shape == (2, c, 4, 4)
    assert out.deltas.shape == (2, 4, 4, 6, 5) and out.primary_logits.shape == (2, 4, 4, 6, 2)
    assert grasps.shape == (2, 96, 5) and primary.shape == (2, 96) and scored.shape == (2, 96)
    assert torch.all((scored >= 0) & (scored <= 1)) and torch.isfinite(grasps).all()


def test_320_input_gives_a_20x20_map():
    net = GraspNet(ModelConfig(backbone="resnet18", input_size=320)).eval()
    with torch.no_grad():
        out = net(torch.rand(1, 3, 320, 320))
    assert out.features.shape == (1, 256, 20, 20)
    assert net.anchors.shape == (20 * 20 * 6, 5)


def test_wrong_input_size_is_refused():
    net = GraspNet(ModelConfig(input_size=64))
    with pytest.raises(ValueError, match=r"expected images \(B, 3, 64, 64\)"):
        net(torch.rand(1, 3, 96, 96))


def test_unknown_backbone_lists_the_known_ones():
    with pytest.raises(KeyError, match="resnet50"):
        GraspNet(ModelConfig(backbone="vgg16"))


def test_batched_scorer_equals_the_papers_layers():
    torch.manual_seed(0)
    net = GraspNet(ModelConfig(input_size=96, scorer_channels=16, scorer_hidden=8, scorer_param_width=12)).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 3, 96, 96))
        all_logits = net.scorer(out.features, out.deltas).reshape(2, -1, 2)
        index = torch.tensor([[0, 5, 17, 215], [100, 101, 6, 7]])  # borders and inner cells, several anchors
        flat = out.deltas.reshape(2, -1, 5)
        sel = torch.gather(flat, 1, index[..., None].expand(2, 4, 5))
        picked = net.scorer(out.features, sel, index)
        reference = net.scorer.reference_forward(out.features, sel, index)
    torch.testing.assert_close(picked, reference, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(torch.gather(all_logits, 1, index[..., None].expand(2, 4, 2)), reference, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name, inputs, iterations, scorer_trained", [
    ("default", "rgbd", 6000, True),   # the paper's network: the scorer cards
    ("zhou", "rgbd", 3600, False),     # Zhou et al.'s alone: no scorer loss (the paper's baseline)
    ("rgb", "rgb", 1600, True),        # the paper's own input, for colour-only cells
])
def test_the_shipped_weights_of_the_papers_family(name, inputs, iterations, scorer_trained):
    from simgrasp.model.checkpoint import read_checkpoint
    from simgrasp.policies.cards import REPO_ROOT

    path = REPO_ROOT / "assets" / "weights" / f"{name}.pt"
    assert path.stat().st_size <= 25e6
    ckpt = read_checkpoint(path)  # torch.load(weights_only=True)
    cfg = ModelConfig(**ckpt["config"])
    assert (cfg.input, cfg.backbone, cfg.input_size, cfg.k) == (inputs, "resnet18", 320, 6)
    net = GraspNet(cfg)
    net.load_state_dict(ckpt["state_dict"])
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in GraspNet(ModelConfig(
        input=inputs, backbone="resnet18", input_size=320, pretrained=False)).parameters())
    assert ckpt["iteration"] == iterations and ckpt["optimizer"] is None
    from simgrasp.model.losses import LossConfig

    loss = {**LossConfig().__dict__, **ckpt["train_config"]["loss"]}  # a field absent from an older record: its default
    assert (loss["scorer_weight"] > 0) == scorer_trained and (loss["critic_weight"] > 0) == scorer_trained
