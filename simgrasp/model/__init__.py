"""The grasp network of Depierre et al. (ICRA 2021): a ResNet feature extractor, an
oriented-anchor primary grasp predictor and a scorer; its losses, training and the
detector API policies call.

Importing this package loads torch but not the simulator."""

from simgrasp.model.checkpoint import CheckpointError, load_model, save_checkpoint
from simgrasp.model.config import ModelConfig
from simgrasp.model.detector import Detector, Prediction
from simgrasp.model.network import GraspNet

__all__ = ["CheckpointError", "Detector", "GraspNet", "ModelConfig", "Prediction", "load_model", "save_checkpoint"]
