"""The robot cell's configuration: one dataclass per concern, loaded strictly from TOML.

Units: millimetres and degrees in the robot's user frame (what the controller speaks),
seconds, mm/s. ``load_robot_config`` applies a TOML file over the defaults with
:func:`simgrasp.config.override`, so a misspelt key fails loudly; ``save_robot_config``
writes every field back, which is how ``python -m simgrasp.calibrate`` stores a fit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgrasp.config import load_toml, override, to_dict
from simgrasp.robots.rmi_protocol import Configuration


@dataclass(frozen=True)
class ConnectionConfig:
    host: str = "127.0.0.1"  # controller address
    port: int = 16001  # RMI connect port; the session port comes from FRC_Connect
    timeout_s: float = 5.0  # longest wait for a command's reply
    motion_timeout_s: float = 60.0  # longest wait for one queued instruction to finish
    group_mask: int = 1  # motion groups FRC_Initialize takes


@dataclass(frozen=True)
class CameraConfig:
    source: str = "0"  # OpenCV device index, stream URL, or a folder of images to replay
    warmup_frames: int = 5  # frames dropped after opening (auto exposure settles)


@dataclass(frozen=True)
class CellConfig:
    stage_url: str = ""  # cell console that stages each trial's scene by seed and names its object ("": objects list)
    stage_timeout_s: float = 60.0  # longest wait for the console to stage a scene


@dataclass(frozen=True)
class CalibrationConfig:
    homography: tuple[float, ...] = ()  # 9 values, row-major: pixels -> table XY in mm
    width: int = 640  # image size the homography was fitted at, pixels
    height: int = 480
    mean_error_mm: float = 0.0  # reprojection error over the calibration pairs
    max_error_mm: float = 0.0
    n_points: int = 0  # calibration pairs used (0: not calibrated)
    marker_tool: int = 0  # UTool whose origin is a camera-visible marker, for calibrate --collect (0: none)
    grid_x_mm: tuple[float, float] = (300.0, 500.0)  # user-frame X span of the --collect grid
    grid_y_mm: tuple[float, float] = (-100.0, 100.0)  # user-frame Y span of the --collect grid
    grid_n: int = 5  # points per side of the --collect grid


@dataclass(frozen=True)
class MotionConfig:
    table_z_mm: float = 0.0  # table top height in the user frame
    grasp_height_mm: float = 15.0  # jaw centres above the table top when the jaws close
    approach_height_mm: float = 100.0  # the straight-down approach starts this far above the grasp
    lift_height_mm: float = 150.0  # lifted this far above the grasp
    carry_offset_mm: tuple[float, float] = (0.0, 150.0)  # XY move-away at lift height, then back
    place_clearance_mm: float = 3.0  # set back down this far above the grasp height
    view_pose_mm: tuple[float, float, float] = (300.0, 0.0, 400.0)  # XYZ out of the camera's view
    speed_mm_s: int = 100  # linear speed of every move
    max_speed_mm_s: int = 250  # hard cap on speed_mm_s
    override_percent: int = 10  # controller speed override: low until the cell is trusted
    cnt_value: int = 50  # blending of intermediate CNT moves, 0..100
    w_deg: float = 180.0  # tool pointing straight down
    p_deg: float = 0.0
    yaw_offset_deg: float = 0.0  # tool R when the jaws open along the user frame's +X
    r_min_deg: float = -90.0  # R is folded into [r_min_deg, r_min_deg + 180): the jaws are symmetric

    @property
    def speed(self) -> int:
        """The speed sent to the controller: ``speed_mm_s`` capped by ``max_speed_mm_s``."""
        return int(min(self.speed_mm_s, self.max_speed_mm_s))

    @property
    def grasp_z_mm(self) -> float:
        return self.table_z_mm + self.grasp_height_mm


@dataclass(frozen=True)
class GripperConfig:
    close_port: int = 1  # DOUT that closes the jaws
    open_port: int = 2  # DOUT that opens them (0: single solenoid, close_port OFF opens)
    jaw_closed_input: int = 1  # DIN that reads ON when the jaws shut fully, on nothing
    max_opening_mm: float = 85.0  # widest grasp the jaws take
    close_time_s: float = 0.5  # controller-side wait after switching, for the jaws to move
    open_time_s: float = 0.5


@dataclass(frozen=True)
class WorkspaceConfig:
    """Every target must lie inside this box (user frame, mm) or nothing moves."""

    x_mm: tuple[float, float] = (150.0, 650.0)
    y_mm: tuple[float, float] = (-350.0, 350.0)
    z_mm: tuple[float, float] = (5.0, 500.0)

    def violation(self, x: float, y: float, z: float) -> str | None:
        """Why ``(x, y, z)`` mm is outside the box, or None when inside."""
        for name, v, (lo, hi) in (("X", x, self.x_mm), ("Y", y, self.y_mm), ("Z", z, self.z_mm)):
            if not (lo <= v <= hi) or not math.isfinite(v):
                return f"{name}={v:.1f} mm outside [{lo:.1f}, {hi:.1f}]"
        return None


@dataclass(frozen=True)
class RobotConfig:
    connection: ConnectionConfig = field(default_factory=ConnectionConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    cell: CellConfig = field(default_factory=CellConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)
    arm: Configuration = field(default_factory=Configuration)  # UFrame/UTool numbers and arm flags
    gripper: GripperConfig = field(default_factory=GripperConfig)
    workspace: WorkspaceConfig = field(default_factory=WorkspaceConfig)
    objects: tuple[str, ...] = ()  # object names, one per trial in turn (seed modulo count)


def validate(cfg: RobotConfig) -> RobotConfig:
    """Refuse settings that would make the cell unsafe or the run meaningless."""
    m, c = cfg.motion, cfg.calibration
    if not 1 <= m.override_percent <= 100:
        raise ValueError(f"motion.override_percent must be 1..100, got {m.override_percent}")
    if m.speed_mm_s < 1 or m.max_speed_mm_s < 1:
        raise ValueError(f"motion speeds must be >= 1 mm/s, got {m.speed_mm_s} capped at {m.max_speed_mm_s}")
    if m.approach_height_mm <= 0 or m.lift_height_mm <= 0:
        raise ValueError(f"approach and lift heights must be positive, got {m.approach_height_mm}, {m.lift_height_mm}")
    for name, (lo, hi) in (("x_mm", cfg.workspace.x_mm), ("y_mm", cfg.workspace.y_mm), ("z_mm", cfg.workspace.z_mm)):
        if not lo < hi:
            raise ValueError(f"workspace.{name} must be (low, high) with low < high, got ({lo}, {hi})")
    if c.homography and len(c.homography) != 9:
        raise ValueError(f"calibration.homography must hold 9 values (3x3 row-major), got {len(c.homography)}")
    return cfg


def load_robot_config(path: str | Path) -> RobotConfig:
    """Defaults overridden by the TOML file at ``path``; unknown keys raise."""
    return validate(override(RobotConfig(), load_toml(path), where=str(path)))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} to TOML")


def dump_toml(d: dict[str, Any], prefix: str = "") -> str:
    """A nested dict of scalars, lists and tables as TOML text."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in d.items() if not isinstance(v, dict)]
    for k, v in d.items():
        if isinstance(v, dict):
            name = f"{prefix}{k}"
            lines += ["", f"[{name}]", dump_toml(v, name + ".").rstrip("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def save_robot_config(cfg: RobotConfig, path: str | Path) -> None:
    """Write every field of ``cfg`` to ``path`` as TOML (read back by ``load_robot_config``)."""
    Path(path).write_text("# simgrasp robot cell (FANUC RMI). Units: mm, degrees, seconds.\n" + dump_toml(to_dict(validate(cfg))))
