"""The grasp networks: the network of Depierre et al. (ICRA 2021) (a ResNet feature
extractor, an oriented-anchor primary grasp predictor and a scorer; its losses, training
and the detector API), and beside it the published grasp-map networks GG-CNN / GG-CNN2
(:mod:`simgrasp.model.ggcnn`) and GR-ConvNet (:mod:`simgrasp.model.grconvnet`), all behind
one contract (:mod:`simgrasp.model.contract`: images in, ranked image grasps out; a
registry of families that checkpoints name).

Importing this package loads neither torch nor the simulator: the names below load their
module (and torch) on first use, so the dataset contract (:mod:`simgrasp.model.sample`)
stays light for the readers that implement it."""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "CheckpointError": "simgrasp.model.checkpoint",
    "load_model": "simgrasp.model.checkpoint",
    "save_checkpoint": "simgrasp.model.checkpoint",
    "ModelConfig": "simgrasp.model.config",
    "FAMILIES": "simgrasp.model.contract",
    "GraspNetwork": "simgrasp.model.contract",
    "get_family": "simgrasp.model.contract",
    "load_network": "simgrasp.model.contract",
    "Detector": "simgrasp.model.detector",
    "Prediction": "simgrasp.model.detector",
    "GraspNet": "simgrasp.model.network",
    "GraspDataset": "simgrasp.model.sample",
    "GraspSample": "simgrasp.model.sample",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'simgrasp.model' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
