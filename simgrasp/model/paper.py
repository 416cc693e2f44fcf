"""The paper's network (Depierre et al., ICRA 2021) as a family of the network contract:
the existing pieces wrapped as they are (:class:`~simgrasp.model.network.GraspNet`,
:class:`~simgrasp.model.detector.Detector`, :func:`~simgrasp.model.train.train`)."""

from __future__ import annotations

from typing import Any

import torch

from simgrasp.model.checkpoint import model_from_checkpoint
from simgrasp.model.config import ModelConfig
from simgrasp.model.contract import PAPER_FAMILY, NetworkFamily
from simgrasp.model.detector import Detector
from simgrasp.model.network import GraspNet
from simgrasp.model.train import TrainConfig, train


def _detector(model: GraspNet, **options: Any) -> Detector:
    # Weights in channels-last order, as Detector.from_checkpoint loads them: the images'
    # order, the same outputs for less CPU per forward pass.
    return Detector(model.to(memory_format=torch.channels_last), model.config, **options)


FAMILY = NetworkFamily(
    name=PAPER_FAMILY,
    summary="Depierre et al. (ICRA 2021): ResNet feature extractor, oriented-anchor primary predictor "
    "(Zhou et al.) and scorer; rgb, rgbd or depth in, k anchors per cell with two scores out",
    config=ModelConfig,
    train_config=TrainConfig,
    build=GraspNet,
    from_checkpoint=model_from_checkpoint,
    detector=_detector,
    train=train,
)
