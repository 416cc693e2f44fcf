"""A grasp-map network behind the contract: letterbox in, decoded grasps back in the
source image's pixels, ranked by quality."""

import numpy as np
import pytest
import torch

from simgrasp.geometry.affine import resize_affine, transform_grasps
from simgrasp.model.ggcnn.config import GGCNNConfig
from simgrasp.model.maps.detector import MapDetector, MapPrediction
from simgrasp.model.maps.network import GraspMaps
from simgrasp.model.maps.targets import draw_maps


class FixedMaps(torch.nn.Module):
    """A stand-in network whose output is given label maps, whatever the image."""

    family = "ggcnn"

    def __init__(self, config: GGCNNConfig, maps: np.ndarray) -> None:
        super().__init__()
        self.config = config
        self.maps = torch.nn.Parameter(torch.from_numpy(maps)[None], requires_grad=False)
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> GraspMaps:
        self.seen.append(x)
        m = self.maps.expand(x.shape[0], -1, -1, -1)
        return GraspMaps(*(m[:, i : i + 1] for i in range(4)))


def _detector(truths_src: np.ndarray, src_hw=(96, 128), modality="depth", **options) -> MapDetector:
    cfg = GGCNNConfig(input=modality, input_size=64, jaw_px=5.0)
    net_grasps = transform_grasps(truths_src, resize_affine(src_hw, 64))
    return MapDetector(FixedMaps(cfg, draw_maps(net_grasps, 64, cfg.width_scale_px)), **options)


def test_grasps_come_back_in_the_source_pixels_best_first():
    truths = np.array([[60.0, 48.0, 20.0, 60.0, 24.0]])
    det = _detector(truths, decode={"min_distance": 4})
    image, depth = np.zeros((96, 128, 3), np.uint8), np.full((96, 128), 0.7, np.float32)
    (((rect, quality),),) = det.detect(image, depths=depth, top_k=1)
    assert np.hypot(rect.x - 60, rect.y - 48) <= 2.0 and abs(rect.theta_deg - 20) < 3
    assert rect.w == pytest.approx(60, abs=2.0) and rect.h == pytest.approx(5.0 * 2)  # 64 px of the 128 px side
    assert 0.5 < quality <= 1.0 and det.model.seen[0].shape == (1, 1, 64, 64)
    (pred,) = det.predict([image], [depth])
    assert isinstance(pred, MapPrediction) and pred.scores("quality") is pred.quality
    own_jaw = _detector(truths, decode={"min_distance": 4}, jaw_px=17.0).detect(image, depths=depth)[0]
    assert own_jaw[0][0].h == 17.0


def test_ranking_is_by_quality_inside_the_image():
    pred = MapPrediction(np.array([[5, 5, 0, 4, 2], [500, 5, 0, 4, 2], [7, 7, 0, 4, 2]], np.float32), np.array([0.3, 0.9, 0.5]))
    assert pred.ranked().tolist() == [1, 2, 0]
    assert pred.ranked("quality", (20, 20)).tolist() == [2, 0] and pred.ranked(top_k=1).tolist() == [1]
    with pytest.raises(ValueError, match="score must be 'quality'"):
        pred.ranked("scorer")


def test_inputs_are_checked():
    det = _detector(np.zeros((0, 5)), modality="rgbd")
    assert det.needs_depth and det.modality == "rgbd" and det.score_kinds == ("quality",)
    with pytest.raises(ValueError, match="reads input 'rgbd': expected a depth image"):
        det.predict(np.zeros((96, 128, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        det.predict(np.zeros((96, 128, 3), np.float32), np.zeros((96, 128)))
    with pytest.raises(ValueError, match="unknown key 'sigma'"):
        _detector(np.zeros((0, 5)), decode={"sigma": 1.0})
    with pytest.raises(ValueError, match="jaw_px must be a positive number"):
        _detector(np.zeros((0, 5)), jaw_px=0)
    # Nothing above the threshold: no grasp, as released.
    assert det.detect(np.zeros((96, 128, 3), np.uint8), depths=np.ones((96, 128))) == [[]]
