"""Input modalities: the height channel, the first convolution and the network's input check."""

import numpy as np
import pytest
import torch
from torchvision import models

from simgrasp.model import backbone
from simgrasp.model.config import ModelConfig
from simgrasp.model.inputs import DEPTH_SCALE_M, MODALITIES, height_above_table, stack_channels
from simgrasp.model.network import GraspNet


def _scene_depth(camera_height_m: float) -> np.ndarray:
    """A tilted table seen from ``camera_height_m`` with a 5 cm box in the middle."""
    d = camera_height_m + np.linspace(0.0, 0.004, 40)[None, :] + np.zeros((40, 1))
    d[15:25, 15:25] -= 0.05
    return d.astype(np.float32)


def test_height_does_not_depend_on_the_camera_height():
    near, far = height_above_table(_scene_depth(0.5)), height_above_table(_scene_depth(0.9))
    np.testing.assert_allclose(near, far, atol=1e-4)
    assert near[20, 20] == pytest.approx(0.05 / DEPTH_SCALE_M, abs=0.05)  # 5 cm -> about 0.5
    assert near.min() >= 0.0 and near[0, 30] < 0.02  # the table sits at zero (tilt: a few mm)
    d = _scene_depth(0.7)
    d[0, 0], d[1, 1] = np.nan, 0.0  # invalid pixels count as the table
    h = height_above_table(d)
    assert h[0, 0] == 0.0 and h[1, 1] == 0.0 and np.isfinite(h).all()
    with pytest.raises(ValueError, match=r"depth image \(H, W\)"):
        height_above_table(np.zeros((4, 4, 1)))


def test_channels_follow_the_modality():
    rgb = np.full((8, 8, 3), 255, np.uint8)
    height = np.full((8, 8), 0.5, np.float32)
    assert {m: MODALITIES.get(m).channels for m in MODALITIES.names()} == {"rgb": 3, "rgbd": 4, "depth": 1}
    x = stack_channels(rgb, height, "rgbd")
    assert x.shape == (8, 8, 4) and x.dtype == np.float32 and x[0, 0].tolist() == [1.0, 1.0, 1.0, 0.5]
    assert stack_channels(None, height, "depth").shape == (8, 8, 1)
    with pytest.raises(ValueError, match="'rgbd' needs a depth image"):
        stack_channels(rgb, None, "rgbd")
    with pytest.raises(ValueError, match="input must be one of"):
        ModelConfig(input="rgbdd")


@pytest.mark.parametrize("modality,channels", [("rgb", 3), ("rgbd", 4), ("depth", 1)])
def test_the_network_takes_the_modality_channels(small, modality, channels):
    import dataclasses

    torch.manual_seed(0)
    net = GraspNet(dataclasses.replace(small, input=modality))
    assert net.fe.body[0].weight.shape[1] == channels
    out = net(torch.rand(2, channels, 64, 64))
    assert out.deltas.shape == (2, 4, 4, 6, 5)
    with pytest.raises(ValueError, match=f"expected images \\(B, {channels}, 64, 64\\) for input '{modality}'"):
        net(torch.rand(2, 2, 64, 64))


def test_imagenet_filters_seed_the_depth_channel(tmp_path, monkeypatch):
    torch.manual_seed(0)
    path = tmp_path / "resnet18.pth"
    torch.save(models.resnet18().state_dict(), path)
    monkeypatch.setattr(backbone, "cached_weights_path", lambda weights: str(path))
    rgb_w = torch.load(path, weights_only=True)["conv1.weight"]
    rgbd = backbone.FeatureExtractor("resnet18", pretrained=True, modality="rgbd").body[0].weight
    torch.testing.assert_close(rgbd[:, :3], rgb_w)
    torch.testing.assert_close(rgbd[:, 3:], rgb_w.mean(1, keepdim=True))
    depth = backbone.FeatureExtractor("resnet18", pretrained=True, modality="depth").body[0].weight
    torch.testing.assert_close(depth, rgb_w.mean(1, keepdim=True))
