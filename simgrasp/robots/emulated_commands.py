"""The commands an emulated FANUC controller answers, one handler each, its error codes and
the checks every packet passes before it is answered or queued.

``COMMANDS`` maps a ``Command`` verb to a handler that fills the reply from the controller's
state (:class:`~simgrasp.robots.emulated_controller.EmulatedController`, lock held) and
returns an ErrorID (0: done). Reply fields follow R912 (B-84184EN): ``FRC_ReadJointAngles``
gives ``TimeTag`` and ``JointAngle`` J1..J9, ``FRC_GetUFrameUTool`` the frame numbers,
``FRC_ReadError`` ``Count`` and ``ErrorData``..``ErrorData5``.

A field that is missing, of the wrong JSON type or out of range raises :class:`FieldError`
with the RMIT code a controller gives for it (RMIT-003 a UFrame number, RMIT-038 a port,
RMIT-023 position data...): the packet is refused with that code and nothing changes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

from simgrasp.robots.errors import RMIT_BASE

if TYPE_CHECKING:
    from simgrasp.robots.emulated_controller import EmulatedController

ERR_INTERNAL = RMIT_BASE + 1
ERR_INVALID_UTOOL = RMIT_BASE + 2
ERR_INVALID_UFRAME = RMIT_BASE + 3
ERR_INVALID_OVERRIDE = RMIT_BASE + 5
ERR_SERVO_OFF = RMIT_BASE + 7
ERR_TP_ENABLED = RMIT_BASE + 8
ERR_NOT_RUNNING = RMIT_BASE + 9
ERR_INVALID_COMMAND = RMIT_BASE + 13
ERR_INVALID_STATE = RMIT_BASE + 15
ERR_INVALID_INSTRUCTION = RMIT_BASE + 20
ERR_INVALID_VALUE = RMIT_BASE + 21
ERR_INVALID_POSITION = RMIT_BASE + 23
ERR_HOLD = RMIT_BASE + 24
ERR_ALREADY_CONNECTED = RMIT_BASE + 26
ERR_QUEUE_FULL = RMIT_BASE + 28
ERR_SEQUENCE_ID = RMIT_BASE + 29
ERR_INVALID_SPEED_TYPE = RMIT_BASE + 30
ERR_INVALID_SPEED = RMIT_BASE + 31
ERR_INVALID_TERM_TYPE = RMIT_BASE + 32
ERR_INVALID_TERM_VALUE = RMIT_BASE + 33
ERR_INVALID_DESTINATION = RMIT_BASE + 36
ERR_INVALID_PORT = RMIT_BASE + 38
ERR_INVALID_GROUP_MASK = RMIT_BASE + 40

# The emulated controller's limits (what FRC_GetStatus reports, and a small arm's reach).
N_UFRAMES, N_UTOOLS = 9, 10  # UFrame 0..9 (0: world), UTool 1..10
N_PORTS = 512  # digital inputs and outputs 1..512
GROUP_MASK = 1  # one motion group
REACH_MM = 2000.0  # targets farther from the user-frame origin are unreachable
MAX_ANGLE_DEG = 360.0
MAX_SPEED_MM_S = 2000.0
MAX_WAIT_S = 3600.0
MM_PER_INCH = 25.4
SPEED_TYPES = ("mmSec", "InchMin", "Time", "mSec")  # and "Percent" for joint motions
ARM_FLAGS = {"Front": 1, "Up": 1, "Left": 0, "Flip": 0, "Turn4": 0, "Turn5": 0, "Turn6": 0}  # before any motion


class FieldError(ValueError):
    """A packet field is missing, mistyped or out of range: refused with ``error_id``."""

    def __init__(self, error_id: int, why: str) -> None:
        super().__init__(why)
        self.error_id = error_id


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(packet: dict[str, Any], key: str, lo: float, hi: float, error_id: int) -> float:
    """``packet[key]`` as a float in ``[lo, hi]``: a JSON number (not a bool, a string or NaN)."""
    value = packet.get(key)
    if not _is_number(value) or not lo <= value <= hi:
        raise FieldError(error_id, f"expected {key} a number in {lo:g}..{hi:g}, got {value!r}")
    return float(value)


def integer(packet: dict[str, Any], key: str, lo: int, hi: int, error_id: int) -> int:
    """``packet[key]`` as an int in ``[lo, hi]``: a JSON integer (2.0 passes, 2.5 and "2" do not)."""
    value = packet.get(key)
    if not _is_number(value) or value != int(value) or not lo <= value <= hi:
        raise FieldError(error_id, f"expected {key} an integer in {lo}..{hi}, got {value!r}")
    return int(value)


def port(packet: dict[str, Any]) -> int:
    return integer(packet, "PortNumber", 1, N_PORTS, ERR_INVALID_PORT)


def on_off(packet: dict[str, Any]) -> bool:
    value = packet.get("PortValue")
    if value not in ("ON", "OFF"):
        raise FieldError(ERR_INVALID_VALUE, f'expected PortValue "ON" or "OFF", got {value!r}')
    return value == "ON"


def frames(packet: dict[str, Any]) -> tuple[int, int]:
    """``(UFrameNumber, UToolNumber)`` of a command or a motion's ``Configuration``."""
    return (integer(packet, "UFrameNumber", 0, N_UFRAMES, ERR_INVALID_UFRAME),
            integer(packet, "UToolNumber", 1, N_UTOOLS, ERR_INVALID_UTOOL))


def sub_object(packet: dict[str, Any], key: str, error_id: int) -> dict[str, Any]:
    value = packet.get(key)
    if not isinstance(value, dict):
        raise FieldError(error_id, f"expected {key} a JSON object, got {value!r}")
    return value


def position(packet: dict[str, Any], relative: bool) -> dict[str, float]:
    """A motion's ``Position``: X, Y, Z (mm) and W, P, R (degrees), every one a number; an
    absolute target within :data:`REACH_MM` of the user-frame origin."""
    pos = sub_object(packet, "Position", ERR_INVALID_POSITION)
    reach = 2 * REACH_MM if relative else REACH_MM
    out = {k: number(pos, k, -reach, reach, ERR_INVALID_POSITION) for k in "XYZ"}
    out |= {k: number(pos, k, -MAX_ANGLE_DEG, MAX_ANGLE_DEG, ERR_INVALID_POSITION) for k in "WPR"}
    if not relative:
        check_reach(out)
    return out


def check_reach(target: dict[str, float]) -> None:
    """Refuse an absolute target (mm) farther than :data:`REACH_MM` from the origin."""
    d = math.hypot(target["X"], target["Y"], target["Z"])
    if d > REACH_MM:
        raise FieldError(ERR_INVALID_DESTINATION, f"target {d:.0f} mm from the origin is beyond the arm's reach")


def configuration(packet: dict[str, Any]) -> dict[str, int]:
    """A motion's ``Configuration``: frame numbers and the arm's flags, every one an integer."""
    cfg = sub_object(packet, "Configuration", ERR_INVALID_POSITION)
    uframe, utool = frames(cfg)
    flags = {k: integer(cfg, k, -8 if k.startswith("Turn") else 0, 7 if k.startswith("Turn") else 1,
                        ERR_INVALID_POSITION) for k in ARM_FLAGS}
    return {"UFrameNumber": uframe, "UToolNumber": utool, **flags}


def speed_limits(speed_type: str) -> float:
    return {"mmSec": MAX_SPEED_MM_S, "InchMin": MAX_SPEED_MM_S * 60 / MM_PER_INCH, "Time": MAX_WAIT_S,
            "mSec": MAX_WAIT_S * 1000, "Percent": 100.0}[speed_type]


def speed_mm_s(packet: dict[str, Any], distance_mm: float) -> float:
    """The commanded speed (mm/s) of a checked motion over ``distance_mm``: ``Time`` and
    ``mSec`` give the duration, ``Percent`` a share of :data:`MAX_SPEED_MM_S`."""
    v, kind = float(packet["Speed"]), packet["SpeedType"]
    if kind == "InchMin":
        return v * MM_PER_INCH / 60
    if kind in ("Time", "mSec"):
        return max(distance_mm, 1e-3) / (v if kind == "Time" else v / 1000)
    if kind == "Percent":
        return MAX_SPEED_MM_S * v / 100
    return v


def check_motion(packet: dict[str, Any], relative: bool, joint: bool) -> None:
    """Raise :class:`FieldError` unless the motion instruction is one the arm can take."""
    configuration(packet)
    position(packet, relative)
    kind = packet.get("SpeedType")
    if kind not in SPEED_TYPES + (("Percent",) if joint else ()):
        raise FieldError(ERR_INVALID_SPEED_TYPE, f"expected SpeedType one of {SPEED_TYPES}, got {kind!r}")
    v = packet.get("Speed")
    if not _is_number(v) or not 0 < v <= speed_limits(kind):
        raise FieldError(ERR_INVALID_SPEED, f"expected Speed above 0 and at most {speed_limits(kind):g} {kind}, got {v!r}")
    term = packet.get("TermType")
    if term not in ("FINE", "CNT"):
        raise FieldError(ERR_INVALID_TERM_TYPE, f'expected TermType "FINE" or "CNT", got {term!r}')
    if term == "CNT" or "TermValue" in packet:
        integer(packet, "TermValue", 0, 100, ERR_INVALID_TERM_VALUE)


def check_wait(packet: dict[str, Any]) -> None:
    """Raise :class:`FieldError` unless ``FRC_WaitTime`` names a ``Time`` (s) or
    ``FRC_WaitDIN`` a port and the value to wait for."""
    if packet["Instruction"] == "FRC_WaitTime":
        number(packet, "Time", 0.0, MAX_WAIT_S, ERR_INVALID_VALUE)
    else:
        port(packet)
        on_off(packet)


def _initialize(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    if "GroupMask" in packet:
        reply["GroupMask"] = integer(packet, "GroupMask", GROUP_MASK, GROUP_MASK, ERR_INVALID_GROUP_MASK)
    if not ctl.servo_ready:
        return ERR_SERVO_OFF
    if ctl.tp_enabled:
        return ERR_TP_ENABLED
    if ctl.initialized:
        # R912: the RMI program (RMI_MOVE) must not be running; a client finds it in
        # FRC_GetStatus (RMIMotionStatus) and sends FRC_Abort first.
        return ERR_INVALID_STATE
    ctl.initialized, ctl.hold, ctl.next_seq = True, False, 1
    return 0


def _abort(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    ctl.abort()
    return 0


def _reset(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    ctl.hold = False
    ctl.lock.notify_all()
    return 0


def _status(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply.update(ctl.status())
    return 0


def _set_frames(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    ctl.uframe, ctl.utool = frames(packet)
    return 0


def _get_frames(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply.update(UFrameNumber=ctl.uframe, UToolNumber=ctl.utool)
    return 0


def _override(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    ctl.override = integer(packet, "Value", 1, 100, ERR_INVALID_OVERRIDE)
    return 0


def _write_dout(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    ctl.write_dout(port(packet), on_off(packet))
    return 0


def _read_din(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    n = port(packet)
    reply.update(PortNumber=n, PortValue=int(ctl.read_din(n)))
    return 0


def _read_position(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply.update(TimeTag=ctl.time_tag(), Configuration=ctl.configuration(), Position=dict(ctl.position))
    return 0


def _read_joints(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply.update(TimeTag=ctl.time_tag(), JointAngle=joint_angles(ctl.position))
    return 0


def _read_error(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    count = integer(packet, "Count", 1, 5, ERR_INVALID_VALUE) if "Count" in packet else 1
    texts = list(ctl.errors)[:count] or ["No Error"]
    reply["Count"] = len(texts)
    for i, text in enumerate(texts):
        reply["ErrorData" if i == 0 else f"ErrorData{i + 1}"] = text
    return 0


Handler = Callable[["EmulatedController", dict[str, Any], dict[str, Any]], int]
COMMANDS: dict[str, Handler] = {
    "FRC_Initialize": _initialize,
    "FRC_Abort": _abort,
    "FRC_Reset": _reset,
    "FRC_GetStatus": _status,
    "FRC_SetUFrameUTool": _set_frames,
    "FRC_GetUFrameUTool": _get_frames,
    "FRC_SetOverRide": _override,
    "FRC_WriteDOUT": _write_dout,
    "FRC_ReadDIN": _read_din,
    "FRC_ReadCartesianPosition": _read_position,
    "FRC_ReadJointAngles": _read_joints,
    "FRC_ReadError": _read_error,
}

# A stand-in arm for FRC_ReadJointAngles: a shoulder 330 mm up, two 400 mm links and a wrist
# that keeps the tool down. Plausible angles that move with the TCP, not a FANUC model.
SHOULDER_MM, LINK_MM = (50.0, 330.0), 400.0


def joint_angles(position: dict[str, float]) -> dict[str, float]:
    """J1..J9 in degrees for a TCP ``position`` (mm, degrees), from the stand-in arm."""
    x, y, z = position["X"], position["Y"], position["Z"]
    j1 = math.degrees(math.atan2(y, x))
    reach = math.hypot(x, y) - SHOULDER_MM[0]
    height = z - SHOULDER_MM[1]
    d = min(math.hypot(reach, height), 2 * LINK_MM - 1e-6)
    elbow = math.acos(max(-1.0, min(1.0, d * d / (2 * LINK_MM * d + 1e-12))))
    j2 = 90.0 - math.degrees(math.atan2(height, reach) + elbow)
    j3 = math.degrees(math.atan2(height, reach) - elbow)
    j5 = -90.0 - j3 - (position["W"] - 180.0)
    j6 = position["R"] - j1
    return {f"J{i + 1}": round(v, 3) for i, v in enumerate((j1, j2, j3, 0.0, j5, j6, 0.0, 0.0, 0.0))}
