"""Pure geometry: grasp rectangles, the Jaccard match, camera models. numpy only."""

from simgrasp.geometry.camera import CameraModel, Intrinsics, PinholeCamera, WorldGrasp, look_down_pose
from simgrasp.geometry.rect import (
    GraspRect,
    angle_diff_deg,
    jaccard_match,
    polygon_iou,
    rect_corners,
    rect_iou,
    wrap_angle_deg,
)

__all__ = [
    "CameraModel",
    "GraspRect",
    "Intrinsics",
    "PinholeCamera",
    "WorldGrasp",
    "angle_diff_deg",
    "jaccard_match",
    "look_down_pose",
    "polygon_iou",
    "rect_corners",
    "rect_iou",
    "wrap_angle_deg",
]
