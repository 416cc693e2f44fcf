"""The one lift-move-place trial protocol, shared by every backend (the simulator, a real
cell and so its digital twin): the stages, the waypoints, the workspace rule, the stage
timer and the success criterion. A backend runs the stages with what it has (physics, or
an arm and a gripper sensor) and reports what it sensed; :func:`verdict` turns that into
the Outcome, so success means the same event everywhere.

The stages, in order:

1. ``approach``: from ``above`` (``pregrasp_height_m`` over the grasp) straight down to
   the grasp point, the jaws open by the requested opening plus a margin;
2. ``close``: the jaws close; the object must be between them (else ``missed``);
3. ``lift``: straight up by ``lift_m``; the object must have come along (else
   ``slipped_during_lift``);
4. ``carry``: sideways by ``carry_xy_m`` at lift height; the object must still be held
   (else ``dropped_during_carry``);
5. ``place``: down to ``place_clearance_m`` above the grasp height at the carried-to
   place, the object still held when lowered;
6. ``release``: the jaws open; the object must rest at the place location, within
   ``place_tolerance_m`` where the backend can see it (else ``dropped_during_place``).

World frame of the backend, metres and radians; z up, the table top at ``table_z_m``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from simgrasp.backends.base import (
    APPROACH_COLLISION, DROPPED_CARRY, DROPPED_PLACE, MISSED, SLIPPED, SUCCESS, UNREACHABLE, Outcome,
)
from simgrasp.geometry import WorldGrasp

STAGES = ("approach", "close", "lift", "carry", "place", "release")


@dataclass(frozen=True)
class TrialGeometry:
    """Where one trial's motions go, relative to the grasp (metres): ``pregrasp_height_m``
    above the grasp the descent starts; the object is lifted ``lift_m``, carried by
    ``carry_xy_m`` (x, y) at that height and set down ``place_clearance_m`` above the grasp
    height; it counts as placed when it rests within ``place_tolerance_m`` of the place
    point (where the backend can see it)."""

    pregrasp_height_m: float = 0.12
    lift_m: float = 0.15
    carry_xy_m: tuple[float, float] = (0.0, 0.20)
    place_clearance_m: float = 0.005
    place_tolerance_m: float = 0.04


@dataclass(frozen=True)
class TrialPlan:
    """The waypoints of one trial in the backend's world frame (metres), in the order
    visited, and the hand's ``yaw_rad`` throughout."""

    above: np.ndarray
    grasp: np.ndarray
    lift: np.ndarray
    away: np.ndarray
    place: np.ndarray
    yaw_rad: float

    def waypoints(self) -> dict[str, np.ndarray]:
        return {"approach": self.above, "grasp": self.grasp, "lift": self.lift, "carry": self.away,
                "place": self.place}

    @property
    def shift(self) -> np.ndarray:
        """The carry (m, world frame): where the place point is relative to the grasp, in x and y."""
        return self.away - self.lift


def plan_trial(grasp: WorldGrasp, geometry: TrialGeometry) -> TrialPlan:
    """The waypoints of ``grasp`` under ``geometry``."""
    g = np.array([grasp.x_m, grasp.y_m, grasp.z_m], float)
    lift = g + [0.0, 0.0, geometry.lift_m]
    shift = np.array([*geometry.carry_xy_m, 0.0])
    return TrialPlan(above=g + [0.0, 0.0, geometry.pregrasp_height_m], grasp=g, lift=lift, away=lift + shift,
                     place=g + shift + [0.0, 0.0, geometry.place_clearance_m], yaw_rad=float(grasp.yaw_rad))


@dataclass(frozen=True)
class Workspace:
    """The box (world frame, metres) every waypoint of a trial must lie in, or nothing moves."""

    lo_m: tuple[float, float, float]
    hi_m: tuple[float, float, float]

    def violation(self, point: np.ndarray) -> str | None:
        """Why ``point`` (m) is outside the box, or None when inside."""
        for axis, v, lo, hi in zip("xyz", point, self.lo_m, self.hi_m):
            if not (math.isfinite(v) and lo <= v <= hi):
                return f"{axis}={v:.3f} m outside [{lo:.3f}, {hi:.3f}]"
        return None


def check_reach(plan: TrialPlan, workspace: Workspace) -> str | None:
    """Why the hand must not try ``plan`` (a waypoint outside ``workspace``), or None."""
    for name, point in plan.waypoints().items():
        why = workspace.violation(point)
        if why is not None:
            return f"{name} target {why}"
    return None


def check_grasp(grasp: WorldGrasp, plan: TrialPlan, workspace: Workspace) -> Outcome | None:
    """The outcome of a grasp refused before anything moves (``unreachable``), or None."""
    why = check_reach(plan, workspace)
    return None if why is None else Outcome(False, UNREACHABLE, detail=f"refused, nothing moved: {why}")


@dataclass
class Sensed:
    """What a backend sensed during a trial's stages (None: that stage was not reached)."""

    collided: bool = False  # the hand touched something on the way down
    closed_on_object: bool | None = None  # the object was between the jaws once closed
    lifted: bool | None = None  # held and risen at lift height
    carried: bool | None = None  # still held after the carry
    held_when_lowered: bool | None = None  # still held at the place point
    rests_at_place: bool | None = None  # after release: resting at the place location (None: cannot see)
    why_not_placed: str = ""  # what the backend saw when it was not placed


def verdict(s: Sensed, detail: str = "") -> Outcome:
    """The Outcome of a trial from what was sensed: the one success criterion. Success is
    lifted, carried and set down at the place location without being dropped; a backend
    that cannot see where the object rests (``rests_at_place`` None) judges the place by
    the object being held when lowered and let go there."""
    if s.collided:
        return Outcome(False, APPROACH_COLLISION, approach_collision=True, detail=detail)
    if not s.closed_on_object:
        return Outcome(False, MISSED, detail=detail)
    if not s.lifted:
        return Outcome(False, SLIPPED, detail=detail)
    if not s.carried:
        return Outcome(False, DROPPED_CARRY, lifted=True, detail=detail)
    placed = bool(s.held_when_lowered) and s.rests_at_place is not False
    if not placed:
        why = "not held when lowered" if not s.held_when_lowered else (s.why_not_placed or "not resting at the place")
        return Outcome(False, DROPPED_PLACE, lifted=True, carried=True, detail=(detail + "; " if detail else "") + why)
    return Outcome(True, SUCCESS, lifted=True, carried=True, placed=True, detail=detail)


@dataclass
class StageTimer:
    """Wall-clock seconds spent per stage: ``mark(name)`` ends the current stage and starts
    ``name``; ``timings_s`` holds the totals (the stage before the first mark is ``validate``)."""

    stage: str = "validate"
    timings_s: dict[str, float] = field(default_factory=dict)
    _t0: float = field(default_factory=time.perf_counter)

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.timings_s[self.stage] = self.timings_s.get(self.stage, 0.0) + now - self._t0
        self._t0, self.stage = now, name

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 6) for k, v in self.timings_s.items()}
