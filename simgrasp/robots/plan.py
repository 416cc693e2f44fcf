"""The poses of one lift-move-place trial on the arm, and the safety check before any move.

Pure: a :class:`~simgrasp.geometry.WorldGrasp` (metres, radians) and the cell's config in,
user-frame poses (mm, degrees) out. The tool points down (W=180, P=0) and turns about Z by
R = yaw + ``yaw_offset_deg``, folded into a half-turn window because the jaws are
symmetric: the wrist never turns further than it must.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simgrasp.geometry import WorldGrasp
from simgrasp.robots.config import GripperConfig, MotionConfig, WorkspaceConfig
from simgrasp.robots.rmi_protocol import Pose


def tool_r_deg(yaw_rad: float, motion: MotionConfig) -> float:
    """Tool R in degrees for a grasp whose opening axis points along ``yaw_rad`` (world
    frame), folded into ``[r_min_deg, r_min_deg + 180)``."""
    r = math.degrees(yaw_rad) + motion.yaw_offset_deg
    return (r - motion.r_min_deg) % 180.0 + motion.r_min_deg


@dataclass(frozen=True)
class GraspPlan:
    """Every target of one trial, in the order the arm visits them.

    ``approach``: above the grasp; ``grasp``: where the jaws close; ``lift``: straight up;
    ``away``: the carry target at lift height; ``place``: back down where it was picked,
    ``place_clearance_mm`` above the grasp height; the arm leaves through ``approach``."""

    approach: Pose
    grasp: Pose
    lift: Pose
    away: Pose
    place: Pose

    def targets(self) -> dict[str, Pose]:
        return {"approach": self.approach, "grasp": self.grasp, "lift": self.lift, "away": self.away, "place": self.place}


def plan_grasp(grasp: WorldGrasp, motion: MotionConfig) -> GraspPlan:
    """Poses in the user frame (mm, degrees) for ``grasp`` (metres, radians)."""
    x, y, z = grasp.x_m * 1000.0, grasp.y_m * 1000.0, grasp.z_m * 1000.0
    r = tool_r_deg(grasp.yaw_rad, motion)
    w, p = motion.w_deg, motion.p_deg
    dx, dy = motion.carry_offset_mm
    return GraspPlan(
        approach=Pose(x, y, z + motion.approach_height_mm, w, p, r),
        grasp=Pose(x, y, z, w, p, r),
        lift=Pose(x, y, z + motion.lift_height_mm, w, p, r),
        away=Pose(x + dx, y + dy, z + motion.lift_height_mm, w, p, r),
        place=Pose(x, y, z + motion.place_clearance_mm, w, p, r),
    )


def check_plan(plan: GraspPlan, grasp: WorldGrasp, workspace: WorkspaceConfig, gripper: GripperConfig) -> str | None:
    """Why the arm must not try ``plan``, or None when every target is inside the
    workspace box and the jaws open wide enough."""
    opening_mm = grasp.opening_m * 1000.0
    if not math.isfinite(opening_mm) or opening_mm > gripper.max_opening_mm:
        return f"opening {opening_mm:.1f} mm is wider than the gripper's {gripper.max_opening_mm:.1f} mm"
    for name, pose in plan.targets().items():
        why = workspace.violation(pose.x, pose.y, pose.z)
        if why is not None:
            return f"{name} target {why}"
    return None
