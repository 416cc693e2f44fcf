"""Small fixtures shared by the model tests: a 64 px network and a synthetic batch."""

import pytest
import torch

from simgrasp.model.augment import AugmentConfig
from simgrasp.data.synthetic import SyntheticGraspDataset
from simgrasp.model.config import ModelConfig
from simgrasp.model.network import GraspNet
from simgrasp.model.train import TrainViews, collate, mean_grasp_box

SMALL = dict(input_size=64, scorer_channels=32, scorer_hidden=16, scorer_param_width=32)


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """The test tensors are tiny: one thread avoids OpenMP start-up and, on a busy
    2-core machine, threads spinning against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def small() -> ModelConfig:
    """A 64 px network (4x4 map) with a narrow scorer; anchors left at their defaults."""
    return ModelConfig(**SMALL)


@pytest.fixture
def dataset():
    return SyntheticGraspDataset(16, 96, seed=0)


@pytest.fixture
def small_config(dataset):
    w, h = mean_grasp_box(dataset, 64)
    return ModelConfig(**SMALL, anchor_w=w, anchor_h=h)


@pytest.fixture
def batch(dataset):
    views = TrainViews(dataset, 64, 0, AugmentConfig())
    return collate([views[j] for j in range(4)])[:2]  # (images, truths); the synthetic set has no tested grasps


@pytest.fixture
def net(small_config):
    torch.manual_seed(0)
    return GraspNet(small_config)


class TriedDataset:
    """Synthetic scenes with a depth image (the table 0.7 m from the camera, shapes 3 cm
    tall) and grasps tried in simulation: each ground truth as a success, and the same
    turned by 90 degrees as a failure."""

    def __init__(self, n: int = 8, size: int = 96, seed: int = 0) -> None:
        self.base = SyntheticGraspDataset(n, size, seed=seed)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        import numpy as np

        from simgrasp.data.sample import GraspSample

        s = self.base[i]
        depth = np.where(s.mask, 0.67, 0.7).astype(np.float32)
        turned = s.grasps.copy()
        turned[:, 2] = (turned[:, 2] + 180.0) % 180.0 - 90.0
        tested = np.concatenate([s.grasps, turned])
        ok = np.arange(len(tested)) < len(s.grasps)
        return GraspSample(s.rgb, s.grasps, s.object_id, s.scene_id, depth, s.mask, tested=tested, tested_success=ok)

    def object_ids(self) -> list[str]:
        return self.base.object_ids()


@pytest.fixture
def tried():
    return TriedDataset()
