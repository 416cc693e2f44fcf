"""The grasp-map losses: squared error (GG-CNN) or smooth L1 (GR-ConvNet), summed over maps."""

import pytest
import torch

from simgrasp.model.maps.losses import map_losses
from simgrasp.model.maps.network import GraspMaps


def test_each_map_is_a_mean_and_the_total_their_sum():
    pred = GraspMaps(*(torch.full((2, 1, 4, 4), v) for v in (0.0, 1.0, 3.0, 0.5)))
    target = torch.zeros(2, 4, 4, 4)
    mse = map_losses(pred, target, "mse")
    assert [float(mse[k]) for k in ("quality", "cos", "sin", "width", "total")] == [0.0, 1.0, 9.0, 0.25, 10.25]
    l1 = map_losses(pred, target, "smooth_l1")  # 0.5 x^2 below 1, |x| - 0.5 above
    assert [float(l1[k]) for k in ("cos", "sin", "width")] == [0.5, 2.5, 0.125]
    with pytest.raises(ValueError, match="loss must be one of"):
        map_losses(pred, target, "l2")
    with pytest.raises(ValueError, match="expected label maps"):
        map_losses(pred, target[:, :3], "mse")
