"""The robot cell's configuration: one dataclass per concern, loaded strictly from TOML.

Units: millimetres and degrees in the robot's user frame (what the controller speaks),
seconds, mm/s. Every field declares its range (:func:`simgrasp.config.setting`).
``load_robot_config`` applies a TOML file over the defaults with
:func:`simgrasp.config.override`, so a misspelt key or a value out of range fails loudly;
``save_robot_config`` writes every field back, which is how ``python -m simgrasp.calibrate``
stores a fit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgrasp.config import (
    FINITE, Choice, NAME, NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, TEXT, Number, Values, between, check_config,
    load_toml, override, pair, setting, to_dict,
)
from simgrasp.robots.rmi_protocol import Configuration


@dataclass(frozen=True)
class ConnectionConfig:
    host: str = setting("127.0.0.1", NAME)  # controller address
    # RMI connect port; the session port comes from FRC_Connect
    port: int = setting(16001, between(1, 65535, integer=True))
    timeout_s: float = setting(5.0, POSITIVE)  # longest wait for a command's reply
    motion_timeout_s: float = setting(60.0, POSITIVE)  # longest wait for one queued instruction to finish
    group_mask: int = setting(1, between(1, 255, integer=True))  # motion groups FRC_Initialize takes


COLOR_ONLY, COLOR_DEPTH = "color", "color+depth"


@dataclass(frozen=True)
class CameraConfig:
    source: str = setting("0", NAME)  # OpenCV device index, stream URL, or a folder of images to replay
    warmup_frames: int = setting(5, NON_NEGATIVE_INT)  # frames dropped after opening (auto exposure settles)
    # what the camera gives: colour, or colour and a depth image registered to it (a top-down RGB-D camera)
    streams: str = setting(COLOR_ONLY, Choice((COLOR_ONLY, COLOR_DEPTH)))
    # where depth frames come from: "snapshot:URL" of a 16-bit PNG, or "" for NAME.depth.png beside a folder's NAME.png
    depth_source: str = setting("", TEXT)
    depth_unit_mm: float = setting(1.0, POSITIVE)  # millimetres per count of the 16-bit depth PNGs (count 0: no depth)

    @property
    def has_depth(self) -> bool:
        return self.streams == COLOR_DEPTH


@dataclass(frozen=True)
class CellConfig:
    # cell console that stages each trial's scene by seed and names its object ("": objects list)
    stage_url: str = setting("", TEXT)
    stage_timeout_s: float = setting(60.0, POSITIVE)  # longest wait for the console to stage a scene


@dataclass(frozen=True)
class CalibrationConfig:
    # 9 values, row-major: pixels -> table XY in mm
    homography: tuple[float, ...] = setting((), Values(FINITE, lengths=(0, 9)))
    width: int = setting(640, POSITIVE_INT)  # image size the homography was fitted at, pixels
    height: int = setting(480, POSITIVE_INT)
    mean_error_mm: float = setting(0.0, NON_NEGATIVE)  # reprojection error over the calibration pairs
    max_error_mm: float = setting(0.0, NON_NEGATIVE)
    n_points: int = setting(0, NON_NEGATIVE_INT)  # calibration pairs used (0: not calibrated)
    # 3-D calibration (a pinhole camera; empty: the homography is the model): fx, fy, cx, cy in pixels
    intrinsics: tuple[float, ...] = setting((), Values(FINITE, lengths=(0, 4)))
    distortion: tuple[float, ...] = setting((), Values(FINITE, lengths=(0, 2)))  # radial k1, k2 (empty: a perfect lens)
    # the camera's optical frame in the user frame: X, Y, Z mm, W, P, R degrees (z along the optical axis)
    camera_pose_mm: tuple[float, ...] = setting((), Values(FINITE, lengths=(0, 6)))
    mean_error_px: float = setting(0.0, NON_NEGATIVE)  # 3-D calibration: reprojection error at held-out points
    # UTool whose origin is a camera-visible marker, for calibrate --collect (0: none)
    marker_tool: int = setting(0, NON_NEGATIVE_INT)
    # user-frame X span of the --collect grid
    grid_x_mm: tuple[float, float] = setting((300.0, 500.0), pair(FINITE, "<"))
    # user-frame Y span of the --collect grid
    grid_y_mm: tuple[float, float] = setting((-100.0, 100.0), pair(FINITE, "<"))
    grid_n: int = setting(5, Number(lo=2, integer=True))  # points per side of the --collect grid
    # a 3-D --collect visits the grid at these heights above the grasp height (two or more)
    grid_heights_mm: tuple[float, ...] = setting((0.0, 75.0, 150.0), Values(Number(lo=0), min_length=1))

    @property
    def pinhole(self) -> bool:
        """Whether this is a 3-D calibration (intrinsics and pose), not a table homography."""
        return len(self.intrinsics) == 4


@dataclass(frozen=True)
class MotionConfig:
    table_z_mm: float = setting(0.0, FINITE)  # table top height in the user frame
    # jaw centres above the table top when the jaws close (with depth: the lowest they go)
    grasp_height_mm: float = setting(15.0, NON_NEGATIVE)
    # with depth and a 3-D calibration: the jaw centres close this far below the highest point seen under the grasp
    grasp_depth_mm: float = setting(20.0, NON_NEGATIVE)
    approach_height_mm: float = setting(100.0, POSITIVE)  # the straight-down approach starts this far above the grasp
    lift_height_mm: float = setting(150.0, POSITIVE)  # lifted this far above the grasp
    # XY move-away at lift height, then back
    carry_offset_mm: tuple[float, float] = setting((0.0, 150.0), Values(FINITE, lengths=(2,)))
    place_clearance_mm: float = setting(3.0, NON_NEGATIVE)  # set back down this far above the grasp height
    # XYZ out of the camera's view
    view_pose_mm: tuple[float, float, float] = setting((300.0, 0.0, 400.0), Values(FINITE, lengths=(3,)))
    speed_mm_s: int = setting(100, POSITIVE_INT)  # linear speed of every move
    max_speed_mm_s: int = setting(250, POSITIVE_INT)  # hard cap on speed_mm_s
    # controller speed override: low until the cell is trusted
    override_percent: int = setting(10, between(1, 100, integer=True))
    cnt_value: int = setting(50, between(0, 100, integer=True))  # blending of intermediate CNT moves, 0..100
    w_deg: float = setting(180.0, FINITE)  # tool pointing straight down
    p_deg: float = setting(0.0, FINITE)
    yaw_offset_deg: float = setting(0.0, FINITE)  # tool R when the jaws open along the user frame's +X
    r_min_deg: float = setting(-90.0, FINITE)  # R is folded into [r_min_deg, r_min_deg + 180): the jaws are symmetric

    @property
    def speed(self) -> int:
        """The speed sent to the controller: ``speed_mm_s`` capped by ``max_speed_mm_s``."""
        return int(min(self.speed_mm_s, self.max_speed_mm_s))

    @property
    def grasp_z_mm(self) -> float:
        return self.table_z_mm + self.grasp_height_mm


@dataclass(frozen=True)
class GripperConfig:
    close_port: int = setting(1, POSITIVE_INT)  # DOUT that closes the jaws
    open_port: int = setting(2, NON_NEGATIVE_INT)  # DOUT that opens them (0: single solenoid, close_port OFF opens)
    jaw_closed_input: int = setting(1, POSITIVE_INT)  # DIN that reads ON when the jaws shut fully, on nothing
    max_opening_mm: float = setting(85.0, POSITIVE)  # widest grasp the jaws take
    close_time_s: float = setting(0.5, NON_NEGATIVE)  # controller-side wait after switching, for the jaws to move
    open_time_s: float = setting(0.5, NON_NEGATIVE)


@dataclass(frozen=True)
class WorkspaceConfig:
    """Every target must lie inside this box (user frame, mm) or nothing moves."""

    x_mm: tuple[float, float] = setting((150.0, 650.0), pair(FINITE, "<"))
    y_mm: tuple[float, float] = setting((-350.0, 350.0), pair(FINITE, "<"))
    z_mm: tuple[float, float] = setting((5.0, 500.0), pair(FINITE, "<"))

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
    objects: tuple[str, ...] = setting((), Values(NAME))  # object names, one per trial in turn (seed modulo count)


def validate(cfg: RobotConfig) -> RobotConfig:
    """``cfg`` when every field lies in its declared range (speeds, the override percent,
    heights, the workspace box, the homography's 9 values...); else ValueError naming the
    first that does not: settings that would make the cell unsafe or the run meaningless."""
    return check_config(cfg)


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
