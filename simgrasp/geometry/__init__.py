"""Pure geometry: grasp rectangles, the Jaccard match, camera models. numpy only."""

from simgrasp.geometry.blob import minor_axis_grasp
from simgrasp.geometry.camera import CameraModel, Intrinsics, PinholeCamera, WorldGrasp, look_down_pose
from simgrasp.geometry.iou import angle_diff_deg, corners_batch, jaccard_match_batch, rect_iou_pairs
from simgrasp.geometry.rect import GraspRect, jaccard_match, rect_corners, rect_iou, wrap_angle_deg
from simgrasp.geometry.validate import InvalidGrasp, check_grasp, grasp_array, grasps_in_image

__all__ = [
    "CameraModel",
    "GraspRect",
    "Intrinsics",
    "InvalidGrasp",
    "PinholeCamera",
    "WorldGrasp",
    "angle_diff_deg",
    "check_grasp",
    "corners_batch",
    "grasp_array",
    "grasps_in_image",
    "jaccard_match",
    "jaccard_match_batch",
    "look_down_pose",
    "minor_axis_grasp",
    "rect_corners",
    "rect_iou",
    "rect_iou_pairs",
    "wrap_angle_deg",
]
