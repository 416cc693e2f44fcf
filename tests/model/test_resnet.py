"""simgrasp.model.resnet builds torchvision's ResNets: the same state dict keys, the same
seeded initialisation and the same outputs."""

import pytest
import torch
from torchvision import models as tv

from simgrasp.model import resnet


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
@pytest.mark.parametrize("zero_init", [False, True])
def test_the_same_network_as_torchvision_from_the_same_seed(name, zero_init):
    torch.manual_seed(3)
    ours = getattr(resnet, name)(weights=None, zero_init_residual=zero_init).eval()
    torch.manual_seed(3)
    theirs = getattr(tv, name)(weights=None, zero_init_residual=zero_init).eval()
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    assert all(torch.equal(a[k], b[k]) for k in a)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(ours(x), theirs(x))


@pytest.mark.parametrize("name", ["resnet34", "resnet101"])
def test_deeper_variants_have_torchvision_s_parameters(name):
    ours = getattr(resnet, name)(weights=None)
    theirs = getattr(tv, name)(weights=None)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}


def test_weight_files_are_torchvision_s():
    assert resnet.WEIGHT_FILES["resnet18"] == tv.ResNet18_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1]
    assert resnet.WEIGHT_FILES["resnet50"] == tv.ResNet50_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1]
    assert resnet.WEIGHT_FILES["resnet101"] == tv.ResNet101_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1]
    with pytest.raises(ValueError, match="weights=None"):
        resnet.resnet18(weights="imagenet")


def test_a_detector_loads_without_torchvision():
    import subprocess
    import sys

    code = ("import sys; import simgrasp.model.detector, simgrasp.model.checkpoint; "
            "print('torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
