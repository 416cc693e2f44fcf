"""The sample type and the reader contract, defined by the model layer that reads them
(:mod:`simgrasp.model.sample`); re-exported here for the readers."""

from simgrasp.model.sample import GraspDataset, GraspSample, array_to_grasps, grasps_to_array

__all__ = ["GraspDataset", "GraspSample", "array_to_grasps", "grasps_to_array"]
