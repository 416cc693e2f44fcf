"""The lift-move-place trial (simgrasp.backends.trial, the one protocol of every backend)
run by physics: a grasp succeeds when the object is lifted, carried ``move_m`` sideways and
set down at the place location without being dropped.

A requested opening wider than the gripper opens is clipped to the maximum (noted in
``detail``): a network's width is an estimate, and a real gripper simply opens fully.
Plans with a waypoint outside the workspace box are ``unreachable``. Simulation faults (NaN poses,
the object thrown or fallen through the table) are ``sim_error``, never a policy failure.
In a scene of several objects the trial follows the object the hand closed on (the one
that rose most when the hand closed on two); touching any object on the way down is an
approach collision. Positions in metres (world frame), times in seconds."""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np

from simgrasp.backends.base import POLICY_ERROR, SIM_ERROR, SUCCESS, Outcome
from simgrasp.backends.trial import Sensed, StageTimer, check_grasp, plan_trial, verdict
from simgrasp.geometry import WorldGrasp
from simgrasp.sim.config import TrialConfig
from simgrasp.sim.gripper import Gripper
from simgrasp.sim.world import World

MAX_OBJECT_SPEED_MPS = 5.0  # faster than any motion here: a penetration threw the object
FALL_THROUGH_M = -0.05  # object centre this far below the table top fell through it


def _norm(v: Sequence[float]) -> float:
    """Length of a 3-vector (as np.linalg.norm, without the array)."""
    return math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])


class SimFault(RuntimeError):
    """The simulation broke (not the policy's fault)."""


def min_jerk(tau: float) -> float:
    """Minimum-jerk progress in [0, 1] at normalised time ``tau`` in [0, 1]."""
    t = min(max(tau, 0.0), 1.0)
    return t**3 * (10 - 15 * t + 6 * t * t)


def min_jerk_duration(distance_m: float, max_speed: float, max_accel: float) -> float:
    """Shortest duration (s) of a min-jerk move of ``distance_m`` within both limits (its
    peak speed is 1.875 d/T and its peak acceleration 5.77 d/T^2)."""
    return max(1.875 * distance_m / max_speed, np.sqrt(5.7735 * distance_m / max_accel), 1e-6)


class TrialRunner:
    """Runs trials for one hand and the objects ``objects`` (body ids; one id or several)
    in ``world``; ``names`` their display names, in the same order, for ``Outcome.taken``."""

    def __init__(self, world: World, gripper: Gripper, objects: int | Sequence[int], cfg: TrialConfig,
                 names: Sequence[str] = ()) -> None:
        self.world, self.gripper, self.cfg = world, gripper, cfg
        self.objects = [int(objects)] if isinstance(objects, (int, np.integer)) else [int(b) for b in objects]
        if not self.objects:
            raise ValueError("TrialRunner needs at least one object body")
        self.names = list(names) or [str(b) for b in self.objects]
        self._touchable = {*self.objects, world.table_id}  # what the hand must not touch on the way down
        self.obj = self.objects[0]  # the object the trial follows: the one taken, once the hand closed
        self.taken: int | None = None
        self.yaw = 0.0
        self._p0: dict[int, np.ndarray] = {}  # object positions at the start of the current trial

    # -- checks ---------------------------------------------------------------------------
    def check_fault(self) -> None:
        """Raise :class:`SimFault` when an object's state is not physical."""
        for body in self.objects:
            p = self.world.base_pose(body)[0]
            v = self.world.base_velocity(body)[0]
            if not all(map(math.isfinite, (*p, *v))):
                raise SimFault("object pose or velocity is not finite")
            if p[2] < FALL_THROUGH_M:
                raise SimFault(f"object fell through the table (z = {p[2]:.3f} m)")
            speed = _norm(v)
            if speed > MAX_OBJECT_SPEED_MPS:
                raise SimFault(f"object thrown at {speed:.1f} m/s (penetration)")

    def follow(self, start: np.ndarray, end: np.ndarray, duration_s: float, profile: Callable[[float], float],
               stop: Callable[[], bool] | None = None, yaw_end: float | None = None) -> bool:
        """Drive the hand from ``start`` to ``end`` (world frame, metres) over ``duration_s``
        seconds of simulated time, turning from ``self.yaw`` to ``yaw_end`` (radians) when
        given; returns False when ``stop`` fired on the way."""
        n = max(1, int(np.ceil(duration_s / self.world.dt)))
        yaw0 = self.yaw
        turn = 0.0 if yaw_end is None else float(yaw_end) - yaw0
        # The targets of every step, worked out before the first: the loop only steps.
        progress = [profile(k / n) for k in range(1, n + 1)]
        targets = (start + np.asarray(progress)[:, None] * (end - start)).tolist()  # row k: start + s_k (end - start)
        quat = self.gripper.quaternion(yaw0)
        drive, step, check = self.gripper.drive, self.world.step, self.check_fault
        for k, (s, target) in enumerate(zip(progress, targets), start=1):
            if turn:
                self.yaw = yaw0 + s * turn
                quat = self.gripper.quaternion(self.yaw)
            drive(target, quat)
            step()
            if k % 8 == 0 or k == n:
                check()
            if stop is not None and stop():
                return False
        return True

    def _smooth(self, start: np.ndarray, end: np.ndarray) -> None:
        c = self.cfg
        duration = min_jerk_duration(float(np.linalg.norm(end - start)), c.max_speed_mps, c.max_accel_mps2)
        self.follow(start, end, duration, min_jerk)

    def hold(self, seconds: float, until: Callable[[], bool] | None = None, min_steps: int = 0) -> None:
        """Step ``seconds`` of simulated time with the hand where it is, stopping early once
        ``until`` holds (after ``min_steps``)."""
        n = max(1, int(round(seconds / self.world.dt)))
        for k in range(n):
            self.world.step()
            if k >= min_steps and until is not None and until():
                break
        self.check_fault()

    # -- the trial ------------------------------------------------------------------------
    def run(self, grasp: WorldGrasp, lift_only: bool = False) -> Outcome:
        """Execute ``grasp`` from the current (restored) state. ``lift_only`` stops after the
        lift, with success meaning lifted (the cheap pre-check)."""
        w, start_steps = self.world, self.world.steps
        self._p0 = {b: w.pose(b)[0] for b in self.objects}
        self.obj, self.taken = self.objects[0], None
        timer = StageTimer()
        try:
            out = self._run(grasp, lift_only, timer.mark)
        except SimFault as e:
            out = Outcome(False, SIM_ERROR, detail=f"{timer.stage}: {e}")
        timer.mark("done")
        moved = {b: self._moved(b) for b in self.objects}
        others = [d for b, d in moved.items() if b != self.taken]
        out.displacement_m = moved[self.taken] if self.taken is not None else max(moved.values())
        out.pushed_m = max(others, default=0.0)
        out.taken = "" if self.taken is None else self.names[self.objects.index(self.taken)]
        out.steps = w.steps - start_steps
        out.timings_s = timer.rounded()
        return out

    def _moved(self, body: int) -> float:
        """Horizontal distance (m) ``body`` moved since the trial started (0 when its pose is NaN: NaN is not JSON)."""
        p1 = self.world.pose(body)[0]
        return float(np.linalg.norm((p1 - self._p0[body])[:2])) if np.all(np.isfinite(p1)) else 0.0

    def _touches_any(self) -> bool:
        return self.gripper.touches_any(self._touchable)

    def _run(self, g: WorldGrasp, lift_only: bool, mark: Callable[[str], None]) -> Outcome:
        c, hand, w = self.cfg, self.gripper, self.world
        values = np.array([g.x_m, g.y_m, g.z_m, g.yaw_rad, g.opening_m])
        if not np.all(np.isfinite(values)) or g.opening_m <= 0:
            return Outcome(False, POLICY_ERROR, detail=f"grasp must be finite with a positive opening, got {g}")
        plan = plan_trial(g, c.geometry())
        refused = check_grasp(g, plan, c.workspace())
        if refused is not None:
            return refused
        detail = ""
        if g.opening_m > hand.max_opening_m:
            detail = f"opening {g.opening_m:.3f} m clipped to {hand.max_opening_m:.3f} m"
        opening = min(g.opening_m + c.opening_margin_m, hand.max_opening_m)
        self.yaw = g.yaw_rad
        target, above = plan.grasp, plan.above
        sensed = Sensed()

        mark("approach")
        hand.teleport(above, g.yaw_rad, opening)
        w.step()
        hit = self._touches_any
        if hit() or not self.follow(above, target, c.pregrasp_height_m / c.approach_speed_mps, lambda t: t, hit):
            sensed.collided = True
            return verdict(sensed, detail)
        self.hold(0.02)  # let the constraint catch up with the target

        mark("close")
        hand.command_opening(0.0)
        self.hold(c.close_max_s, until=lambda: hand.finger_speed() < 1e-3, min_steps=8)
        held = [b for b in self.objects if hand.holds(b)]
        sensed.closed_on_object = bool(held)
        if not held:
            return verdict(sensed, detail)

        mark("lift")
        z_before = {b: w.pose(b)[0][2] for b in held}
        self._smooth(target, plan.lift)
        # The hand may close on two objects: the trial follows the one that rose most.
        obj = self.obj = self.taken = max(held, key=lambda b: w.pose(b)[0][2] - z_before[b])
        z_before = z_before[obj]
        p0 = self._p0[obj]
        sensed.lifted = hand.holds(obj) and w.pose(obj)[0][2] - z_before >= c.held_min_rise_m
        if not sensed.lifted:
            return verdict(sensed, detail)
        if lift_only:
            return Outcome(True, SUCCESS, lifted=True, detail=detail)

        mark("carry")
        self._smooth(plan.lift, plan.away)
        self.hold(0.05)  # the swing after stopping is where weak grasps let go
        sensed.carried = hand.holds(obj) and w.pose(obj)[0][2] - z_before >= c.held_min_rise_m
        if not sensed.carried:
            return verdict(sensed, detail)

        mark("place")
        self._smooth(plan.away, plan.place)
        sensed.held_when_lowered = hand.holds(obj)
        mark("release")
        hand.command_opening(opening)
        self.hold(c.release_s)
        # Once open, how the hand leaves does not change where the object rests: take it
        # away at once instead of simulating the retreat.
        hand.park()
        self.hold(0.25, until=lambda: _norm(w.base_velocity(obj)[0]) < 0.01, min_steps=10)
        p1 = w.pose(obj)[0]
        error = float(np.linalg.norm((p1 - (p0 + plan.shift))[:2]))
        # Set down on the table, or on another object of a cluttered scene: not dropped either way.
        support = [w.table_id] + [b for b in self.objects if b != obj]
        on_table = any(w.in_contact(obj, b) for b in support) and not hand.touches(obj)
        sensed.rests_at_place = on_table and error <= c.place_tolerance_m
        sensed.why_not_placed = f"rests {error:.3f} m from the place location" if on_table else "not resting on the table"
        return verdict(sensed, detail)
