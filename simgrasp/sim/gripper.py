"""The parallel-plate gripper: a floating hand carried by a fixed constraint (VGN's way),
two prismatic fingers under force-limited position control.

Frames: the hand's base frame is the grasp point (TCP) between the plates; its x axis is
the opening axis and z points up to the palm, so a top-down grasp with opening axis yaw
``yaw_rad`` is the base orientation ``(0, 0, yaw_rad)`` in roll-pitch-yaw."""

from __future__ import annotations

import functools
import hashlib
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pybullet

from simgrasp.sim.config import GripperConfig
from simgrasp.sim.world import World

ASSET = Path(__file__).resolve().parents[2] / "assets" / "gripper" / "parallel_plate.urdf"
PALM, LEFT, RIGHT = -1, 0, 1
PARK_POSITION = (2.0, 2.0, 1.0)  # out of the camera's view while the scene is rendered
PLATE_THICKNESS_M = 0.01
PALM_HEIGHT_M = 0.02


def gripper_urdf(cfg: GripperConfig, cache_dir: str) -> Path:
    """The gripper URDF with plate sizes, joint limits and friction from ``cfg``, written
    once per distinct config under ``cache_dir/gripper`` (the shipped asset is the template);
    worked out once per process and config (every scene loads the hand)."""
    out = _written.get((cfg, cache_dir))
    if out is None or not out.exists():
        out = _written[(cfg, cache_dir)] = _write_gripper_urdf(cfg, cache_dir)
    return out


_written: dict[tuple[GripperConfig, str], Path] = {}  # (config, cache folder) -> the file written for it


def _write_gripper_urdf(cfg: GripperConfig, cache_dir: str) -> Path:
    tree = ET.parse(ASSET)
    root = tree.getroot()
    t, h = PLATE_THICKNESS_M, cfg.plate_height_m
    zc = h / 2 - cfg.tip_below_tcp_m  # plate centre above the TCP
    palm_z = zc + h / 2 + PALM_HEIGHT_M / 2
    for link in root.iter("link"):
        name = link.get("name")
        if name == "palm":
            # pybullet's base frame is the base's inertial frame: keep it at the TCP.
            link.find("inertial").find("origin").set("xyz", "0 0 0")
            for tag in ("visual", "collision"):
                link.find(tag).find("origin").set("xyz", f"0 0 {palm_z:.5f}")
            for box in link.iter("box"):
                box.set("size", f"{cfg.max_opening_m + 2 * t + 0.02:.5f} {max(0.04, cfg.jaw_m):.5f} {PALM_HEIGHT_M}")
            continue
        sign = -1.0 if name == "finger_left" else 1.0
        for tag in ("inertial", "visual", "collision"):
            link.find(tag).find("origin").set("xyz", f"{sign * t / 2:.5f} 0 {zc:.5f}")
        for box in link.iter("box"):
            box.set("size", f"{t} {cfg.jaw_m:.5f} {h:.5f}")
        link.find("contact").find("lateral_friction").set("value", f"{cfg.friction}")
    for joint in root.iter("joint"):
        joint.find("limit").set("upper", f"{cfg.max_opening_m / 2:.5f}")
        joint.find("limit").set("effort", f"{cfg.close_force_n}")
        joint.find("limit").set("velocity", f"{cfg.finger_speed_mps}")
    text = ET.tostring(root, encoding="unicode")
    key = hashlib.sha1(text.encode()).hexdigest()[:12]
    out = Path(cache_dir) / "gripper" / f"parallel_plate_{key}.urdf"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(out)  # atomic: parallel workers never read a half-written file
    return out


def yaw_quat(client, yaw_rad: float) -> list[float]:
    return list(client.getQuaternionFromEuler([0.0, 0.0, yaw_rad]))


class Gripper:
    """The hand in ``world``. Positions in metres (world frame), yaw in radians."""

    def __init__(self, world: World, cfg: GripperConfig, cache_dir: str) -> None:
        self.world, self.cfg = world, cfg
        c = world.client
        self.id = c.loadURDF(str(gripper_urdf(cfg, cache_dir)), PARK_POSITION, useFixedBase=False)
        for link in (LEFT, RIGHT):
            c.changeDynamics(self.id, link, lateralFriction=cfg.friction, spinningFriction=0.003)
        self._change = functools.partial(pybullet.changeConstraint, physicsClientId=c._client)
        self._joint_states = functools.partial(pybullet.getJointStates, physicsClientId=c._client)
        self.constraint = c.createConstraint(
            self.id, -1, -1, -1, pybullet.JOINT_FIXED, [0, 0, 0], [0, 0, 0], PARK_POSITION
        )
        self.teleport(np.array(PARK_POSITION), 0.0, cfg.max_opening_m)

    @property
    def max_opening_m(self) -> float:
        return self.cfg.max_opening_m

    @property
    def plate_links(self) -> tuple[int, int]:
        """The links of the two plates (their friction is the pads')."""
        return (LEFT, RIGHT)

    def teleport(self, position: np.ndarray, yaw_rad: float, opening_m: float) -> None:
        """Put the hand at rest at ``position`` with ``yaw_rad`` and the plates ``opening_m`` apart."""
        c = self.world.client
        q = yaw_quat(c, yaw_rad)
        c.resetBasePositionAndOrientation(self.id, list(position), q)
        c.resetBaseVelocity(self.id, [0, 0, 0], [0, 0, 0])
        half = float(np.clip(opening_m, 0.0, self.cfg.max_opening_m)) / 2
        for j in (LEFT, RIGHT):
            c.resetJointState(self.id, j, half, 0.0)
        self.command_opening(2 * half)
        self.move_to(position, yaw_rad)

    def move_to(self, position: np.ndarray, yaw_rad: float) -> None:
        """Drive the constraint towards ``position`` and ``yaw_rad`` (reached over the next steps)."""
        self.drive(list(map(float, position)), yaw_quat(self.world.client, yaw_rad))

    def quaternion(self, yaw_rad: float) -> list[float]:
        """The hand's orientation (x, y, z, w) at ``yaw_rad`` (its base frame's roll-pitch-yaw (0, 0, yaw))."""
        return yaw_quat(self.world.client, yaw_rad)

    def drive(self, position: list[float], quaternion: list[float]) -> None:
        """:meth:`move_to` with the target already as floats (m) and a quaternion (x, y, z, w):
        the call a trajectory makes every step."""
        self._change(self.constraint, position, quaternion, maxForce=self.cfg.hold_force_n)

    def command_opening(self, opening_m: float, force_n: float | None = None) -> None:
        """Command the plates towards ``opening_m`` apart, each finger pushing with at most
        ``force_n`` (default: the configured closing force)."""
        half = float(np.clip(opening_m, 0.0, self.cfg.max_opening_m)) / 2
        f = self.cfg.close_force_n if force_n is None else force_n
        for j in (LEFT, RIGHT):
            self.world.client.setJointMotorControl2(
                self.id, j, pybullet.POSITION_CONTROL, targetPosition=half, force=f, maxVelocity=self.cfg.finger_speed_mps
            )

    def opening(self) -> float:
        """Current distance between the plates' inner faces (m)."""
        c = self.world.client
        return float(c.getJointState(self.id, LEFT)[0] + c.getJointState(self.id, RIGHT)[0])

    def finger_speed(self) -> float:
        """Largest finger speed (m/s)."""
        left, right = self._joint_states(self.id, (LEFT, RIGHT))
        return float(max(abs(left[1]), abs(right[1])))

    def touches_any(self, bodies: set[int]) -> bool:
        """True when any part of the hand touches any of ``bodies`` (one contact query)."""
        return any(p[1] in bodies or p[2] in bodies for p in self.world.contacts(bodyA=self.id))

    def tcp(self) -> np.ndarray:
        """Current TCP position (m)."""
        return self.world.pose(self.id)[0]

    def touches(self, body: int) -> bool:
        """True when any part of the hand touches ``body``."""
        return self.world.in_contact(self.id, body)

    def holds(self, body: int) -> bool:
        """True when both plates touch ``body``."""
        return self.world.in_contact(self.id, body, LEFT) and self.world.in_contact(self.id, body, RIGHT)

    def park(self) -> None:
        self.teleport(np.array(PARK_POSITION), 0.0, self.cfg.max_opening_m)
