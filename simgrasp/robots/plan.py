"""The poses of one lift-move-place trial on the arm, and the safety check before any move.

Pure: a :class:`~simgrasp.geometry.WorldGrasp` (metres, radians) and the cell's config in,
user-frame poses (mm, degrees) out: the waypoints of the one trial protocol
(simgrasp.backends.trial), as the simulator visits them, the carry ending at the place. The tool points down (W=180, P=0) and turns about Z by
R = yaw + ``yaw_offset_deg``, folded into a half-turn window because the jaws are
symmetric: the wrist never turns further than it must.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simgrasp.backends.trial import TrialGeometry, TrialPlan, Workspace, check_reach, plan_trial
from simgrasp.geometry import WorldGrasp
from simgrasp.robots.config import GripperConfig, MotionConfig, WorkspaceConfig
from simgrasp.robots.rmi_protocol import Pose


def tool_r_deg(yaw_rad: float, motion: MotionConfig) -> float:
    """Tool R in degrees for a grasp whose opening axis points along ``yaw_rad`` (world
    frame), folded into ``[r_min_deg, r_min_deg + 180)``."""
    r = math.degrees(yaw_rad) + motion.yaw_offset_deg
    return (r - motion.r_min_deg) % 180.0 + motion.r_min_deg


def trial_geometry(motion: MotionConfig) -> TrialGeometry:
    """The protocol's waypoint distances (metres) from the cell's motion config (mm)."""
    dx, dy = motion.carry_offset_mm
    return TrialGeometry(motion.approach_height_mm / 1000.0, motion.lift_height_mm / 1000.0,
                         (dx / 1000.0, dy / 1000.0), motion.place_clearance_mm / 1000.0)


def workspace_box(workspace: WorkspaceConfig) -> Workspace:
    """The cell's workspace box in metres (user frame)."""
    (x0, x1), (y0, y1), (z0, z1) = workspace.x_mm, workspace.y_mm, workspace.z_mm
    return Workspace((x0 / 1000.0, y0 / 1000.0, z0 / 1000.0), (x1 / 1000.0, y1 / 1000.0, z1 / 1000.0))


@dataclass(frozen=True)
class GraspPlan:
    """Every target of one trial (simgrasp.backends.trial's waypoints), as user-frame poses
    in the order the arm visits them: ``approach`` above the grasp, ``grasp`` where the
    jaws close, ``lift`` straight up, ``away`` the carry target at lift height, ``place``
    set down there ``place_clearance_mm`` above the grasp height, ``retreat`` straight up
    from the place once the jaws opened. ``trial`` is the plan in metres."""

    approach: Pose
    grasp: Pose
    lift: Pose
    away: Pose
    place: Pose
    retreat: Pose
    trial: TrialPlan

    def targets(self) -> dict[str, Pose]:
        return {"approach": self.approach, "grasp": self.grasp, "lift": self.lift, "away": self.away,
                "place": self.place, "retreat": self.retreat}


def plan_grasp(grasp: WorldGrasp, motion: MotionConfig) -> GraspPlan:
    """Poses in the user frame (mm, degrees) for ``grasp`` (metres, radians)."""
    geometry = trial_geometry(motion)
    trial = plan_trial(grasp, geometry)
    r = tool_r_deg(grasp.yaw_rad, motion)
    w, p = motion.w_deg, motion.p_deg

    def pose(point_m) -> Pose:
        x, y, z = (1000.0 * float(v) for v in point_m)
        return Pose(x, y, z, w, p, r)

    retreat = trial.place + [0.0, 0.0, geometry.pregrasp_height_m - geometry.place_clearance_m]
    return GraspPlan(pose(trial.above), pose(trial.grasp), pose(trial.lift), pose(trial.away), pose(trial.place),
                     pose(retreat), trial)


def check_plan(plan: GraspPlan, grasp: WorldGrasp, workspace: WorkspaceConfig, gripper: GripperConfig) -> str | None:
    """Why the arm must not try ``plan``, or None when the jaws open wide enough and every
    waypoint (the protocol's, and the retreat) is inside the workspace box."""
    opening_mm = grasp.opening_m * 1000.0
    if not math.isfinite(opening_mm) or opening_mm > gripper.max_opening_mm:
        return f"opening {opening_mm:.1f} mm is wider than the gripper's {gripper.max_opening_mm:.1f} mm"
    box = workspace_box(workspace)
    why = check_reach(plan.trial, box)
    if why is None and (w := box.violation([v / 1000.0 for v in (plan.retreat.x, plan.retreat.y, plan.retreat.z)])):
        why = f"retreat target {w}"
    return why
