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
    return collate([views[j] for j in range(4)])


@pytest.fixture
def net(small_config):
    torch.manual_seed(0)
    return GraspNet(small_config)
