"""A digital twin of the cell: the emulated controller drives a PyBullet world.

A twin is a simulator by nature: it lives in the rehearsal layer, apart from the robots
layer, whose RMI client and ``FanucBackend`` never import the simulator. :class:`TwinCell`
is the :class:`~simgrasp.rehearsal.controller.Cell` behind the RMI emulator: linear motions
move the simulated hand through the commanded poses at the commanded speed, the gripper
outputs open and close its jaws, the jaw-closed input reads them, and each scene is the one
``SimBackend.reset(seed)`` serves (the twin keeps a sim backend for its world and scenes).

Frames. World: the simulator's (metres, z up, table top at z = 0, table centre at the
origin). A pose the controller receives is in a user frame (UFrame ``n``: ``uframes[n]``,
the frame's pose in the world in mm and degrees; UFrame 0 is the world) and names the
tool frame it places (UTool ``m``: ``utools[m]``, the tool's pose relative to the jaw
centre, z pointing away from the palm as FANUC tool frames do). W, P, R are fixed-axis
rotations about X, Y, Z. The simulated hand only turns about the vertical, so targets must
point the tool down (within ``max_tilt_deg``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from simgrasp.backends.base import INFO_OBJECT
from simgrasp.geometry.frames import wpr_matrix
from simgrasp.rehearsal.controller import CellCollision
from simgrasp.sim import HELD_OUT_OBJECTS
from simgrasp.sim.backend import SimBackend
from simgrasp.sim.config import SimConfig
from simgrasp.sim.scene import LiveScene
from simgrasp.sim.trial import SimFault, TrialRunner, min_jerk, min_jerk_duration

FLIP_Z = np.diag([1.0, -1.0, -1.0, 1.0])  # tool frame (z out of the palm) <-> hand frame (z up to the palm)


@dataclass(frozen=True)
class TwinConfig:
    """The simulated cell behind the emulator."""

    objects: str = HELD_OUT_OBJECTS  # object spec, as the sim backend's (same seeds, same scenes)
    # UFrame n in the world (X, Y, Z mm, W, P, R degrees): 1 puts the table centre at user (400, 0, 0)
    uframes: dict[int, tuple[float, ...]] = field(default_factory=lambda: {1: (-400.0, 0.0, 0.0, 0.0, 0.0, 0.0)})
    # UTool m from the jaw centre: 1 the jaws, 2 the calibration ball 100 mm beside them
    utools: dict[int, tuple[float, ...]] = field(
        default_factory=lambda: {1: (0.0,) * 6, 2: (0.0, -100.0, 0.0, 0.0, 0.0, 0.0)}
    )
    marker_tool: int = 2  # the UTool whose origin carries the calibration ball (seen by the camera while it is active)
    marker_radius_m: float = 0.008  # calibration ball radius
    max_accel_mps2: float = 5.0  # the controller's acceleration limit (min-jerk moves peak at the commanded speed)
    max_turn_dps: float = 360.0  # fastest wrist turn, degrees per second
    max_tilt_deg: float = 5.0  # targets tilted further from tool-down are refused (the hand only turns about z)
    jaw_closed_below_m: float = 0.003  # the jaw-closed input reads ON when the plates are closer than this
    collision_depth_m: float = 0.005  # a move driving the fingertips this far below the table top collides
    sim: SimConfig = field(default_factory=SimConfig)  # world, gripper and objects: the sim backend's by default


class TwinCell:
    """One simulated cell: a world, the object of the current seed, the hand and the ball.

    Thread-safe: the emulator's worker moves the hand while its session thread switches
    the jaws, reads the input and renders; ``lock`` serialises them."""

    def __init__(self, cfg: TwinConfig | None = None, seed: int = 0) -> None:
        self.cfg = cfg or TwinConfig()
        self.sim = SimBackend(self.cfg.objects, self.cfg.sim)
        self.world = self.sim.world
        self.lock = threading.RLock()
        self.scene: LiveScene | None = None
        self.runner: TrialRunner | None = None
        self.tcp = np.array([0.4, 0.0, 0.4])  # commanded jaw centre, world metres
        self.yaw = 0.0  # commanded hand yaw about world z, radians
        self.tool_point = self.tcp.copy()  # origin of the active tool, world metres
        self.active_tool = 1
        self.closed = False
        self.faults: list[str] = []  # simulation faults met (the object thrown or lost through the table)
        self.collisions: list[str] = []  # moves stopped because the hand hit the table
        self.physics_s = 0.0  # wall time spent stepping motions and waits (the arm's own time, simulated)
        self.physics_steps = 0  # physics steps of motions and waits
        self.info: dict[str, Any] = {}
        self.marker = -1
        self.reset_scene(seed)

    # -- scene ---------------------------------------------------------------------------------
    def reset_scene(self, seed: int) -> dict[str, Any]:
        """Show the scene of ``seed``, the sim backend's for the same seed and objects; the
        arm stays where it is, jaws open. Returns ``{"seed", "object", "skipped"}`` (the
        skipped object files as ``{"path", "reason"}``). Raises as ``SimBackend.reset`` does
        when no scene can be served."""
        with self.lock:
            _, info = self.sim.reset(int(seed))
            self.scene = self.sim.scene
            hand = self.scene.gripper
            hand.teleport(self.tcp, self.yaw, hand.max_opening_m)
            self.runner = TrialRunner(self.world, hand, self.scene.obj.body, self.cfg.sim.trial)
            self.runner.yaw = self.yaw
            self.closed = False
            self.marker = self._make_marker()
            self._place_marker()
            skipped = [s.to_dict() for s in self.sim.skipped_objects()]
            self.info = {"seed": int(seed), "object": str(info[INFO_OBJECT]), "skipped": skipped}
            return dict(self.info)

    def _make_marker(self) -> int:
        c = self.world.client
        vis = c.createVisualShape(c.GEOM_SPHERE, radius=self.cfg.marker_radius_m, rgbaColor=[1.0, 0.0, 1.0, 1.0])
        return c.createMultiBody(0, -1, vis, [0, 0, -1.0])  # visual only: it never touches anything

    def _place_marker(self) -> None:
        where = self.tool_point if self.active_tool == self.cfg.marker_tool else np.array([0.0, 0.0, -1.0])
        self.world.client.resetBasePositionAndOrientation(self.marker, where.tolist(), [0, 0, 0, 1])

    # -- frames --------------------------------------------------------------------------------
    def frame(self, table: dict[int, tuple[float, ...]], n: int, what: str) -> np.ndarray:
        """4x4 transform (metres) of frame ``n`` of ``table`` (``cfg.uframes`` or ``cfg.utools``);
        ``what`` ("UFrame" or "UTool") names it in errors. UFrame 0 is the world."""
        if what == "UFrame" and n == 0:
            return np.eye(4)
        if n not in table:
            raise ValueError(f"{what} {n} is not defined in the twin (defined: {sorted(table)})")
        return wpr_matrix(*table[n])

    def hand_target(self, target: dict[str, float], uframe: int, utool: int) -> tuple[np.ndarray, float, np.ndarray]:
        """Jaw centre (world metres), hand yaw (radians) and tool origin (world metres) for a
        tool pose ``target`` (mm, degrees) in UFrame ``uframe`` with UTool ``utool``."""
        T_user_tool = wpr_matrix(*(target[k] for k in "XYZWPR"))
        T_world_tool = self.frame(self.cfg.uframes, uframe, "UFrame") @ T_user_tool
        T_world_hand = T_world_tool @ np.linalg.inv(self.frame(self.cfg.utools, utool, "UTool")) @ FLIP_Z
        R = T_world_hand[:3, :3]
        tilt = np.degrees(np.arccos(np.clip(R[2, 2], -1.0, 1.0)))
        if tilt > self.cfg.max_tilt_deg:
            raise ValueError(f"the tool must point down within {self.cfg.max_tilt_deg} deg, target tilts {tilt:.1f}")
        return T_world_hand[:3, 3], float(np.arctan2(R[1, 0], R[0, 0])), T_world_tool[:3, 3]

    # -- the Cell protocol ----------------------------------------------------------------------
    def move(
        self, target: dict[str, float], uframe: int, utool: int, speed_mm_s: float, stop: Callable[[], bool]
    ) -> None:
        """A linear move of the tool to ``target`` (mm, degrees in UFrame ``uframe``, UTool
        ``utool``) at ``speed_mm_s`` (peak), in simulated time. The hand turns the short
        way; a simulation fault is noted in ``faults`` and the move ends there. A move
        that presses the hand on the table stops at contact and raises
        :class:`~simgrasp.rehearsal.controller.CellCollision`."""
        with self.lock:
            end, yaw, tool_point = self.hand_target(target, uframe, utool)
            turn = (yaw - self.yaw + np.pi) % (2 * np.pi) - np.pi
            distance = float(np.linalg.norm(end - self.tcp))
            speed = max(speed_mm_s, 1e-3) / 1000.0
            turn_s = abs(np.degrees(turn)) / self.cfg.max_turn_dps
            duration = max(min_jerk_duration(distance, speed, self.cfg.max_accel_mps2), turn_s)
            self.active_tool = utool
            runner = self._runner()
            runner.yaw = self.yaw
            # Collision detection: a move that does not rise stops once the hand touches the
            # table, or once its drive pushes the fingertips deeper than collision_depth_m
            # below the table top (crushing whatever lies between); one that lifts off is free.
            pressing = end[2] <= self.tcp[2] + 1e-9
            hand, tips_below = runner.gripper, self.cfg.sim.gripper.tip_below_tcp_m
            hit = False

            def halted() -> bool:
                nonlocal hit
                if pressing:
                    commanded_tips_z = self.world.client.getConstraintInfo(hand.constraint)[7][2] - tips_below
                    hit = commanded_tips_z < -self.cfg.collision_depth_m or self.world.in_contact(
                        hand.id, self.world.table_id)
                return hit or stop()

            done, t0, n0 = False, time.perf_counter(), self.world.steps
            try:
                done = runner.follow(self.tcp, end, duration, min_jerk, halted, yaw_end=self.yaw + turn)
            except SimFault as e:
                self.faults.append(f"seed {self.info.get('seed')}: {e}")
            self.physics_s += time.perf_counter() - t0
            self.physics_steps += self.world.steps - n0
            if done:
                self.tcp, self.yaw, self.tool_point = end, self.yaw + turn, tool_point
            else:  # aborted, faulted or collided on the way: the arm stays where it got to
                self.tcp, self.yaw = runner.gripper.tcp(), runner.yaw
                runner.gripper.move_to(self.tcp, self.yaw)
            self._place_marker()
            if hit:
                why = f"the hand was driven into the table; stopped at TCP z = {self.tcp[2] * 1000:.1f} mm (world)"
                self.collisions.append(f"seed {self.info.get('seed')}: {why}")
                raise CellCollision(why)

    def wait(self, seconds: float, stop: Callable[[], bool]) -> None:
        """Let ``seconds`` of simulated time pass with the hand where it is."""
        with self.lock:
            t0, n0 = time.perf_counter(), self.world.steps
            try:
                self._runner().hold(seconds, until=stop)
            except SimFault as e:
                self.faults.append(f"seed {self.info.get('seed')}: {e}")
            self.physics_s += time.perf_counter() - t0
            self.physics_steps += self.world.steps - n0

    def set_jaws(self, closed: bool) -> None:
        """Command the plates shut or fully open (they travel during the next waits and moves)."""
        with self.lock:
            hand = self._runner().gripper
            hand.command_opening(0.0 if closed else hand.max_opening_m)
            self.closed = closed

    def jaws_shut(self) -> bool:
        with self.lock:
            return self.closed and self._runner().gripper.opening() < self.cfg.jaw_closed_below_m

    def _runner(self) -> TrialRunner:
        if self.runner is None:
            raise RuntimeError("the twin has no scene: call reset_scene(seed) first")
        return self.runner

    # -- inspection ----------------------------------------------------------------------------
    def object_position(self) -> np.ndarray:
        """The object's base position in the world (metres)."""
        with self.lock:
            if self.scene is None:
                raise RuntimeError("the twin has no scene")
            return self.world.pose(self.scene.obj.body)[0]

    def show_marker(self, point_m: np.ndarray) -> None:
        """Put the calibration ball at ``point_m`` (world metres) without moving the arm:
        ground truth for checking a calibration at points it was not fitted on."""
        with self.lock:
            self.active_tool, self.tool_point = self.cfg.marker_tool, np.asarray(point_m, dtype=np.float64)
            self._place_marker()

    def close(self) -> None:
        with self.lock:
            self.sim.close()
