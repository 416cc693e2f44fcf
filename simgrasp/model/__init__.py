"""The grasp network of Depierre et al. (ICRA 2021): a ResNet feature extractor, an
oriented-anchor primary grasp predictor and a scorer; its losses, training and the
detector API policies call.

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
