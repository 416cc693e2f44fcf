"""What an emulated FANUC controller checks in every packet, and the codes it refuses with.

Pure functions on packets (no state, no sockets). A field that is missing, of the wrong
JSON type or out of range raises :class:`FieldError` carrying the RMIT code a controller
gives for it (RMIT-003 a UFrame number, RMIT-038 a port, RMIT-023 position data, RMIT-031
a speed...): the packet is refused with that code and nothing changes. The limits are
those of the emulated controller (what ``FRC_GetStatus`` reports, a small arm's reach).
"""

from __future__ import annotations

import math
from typing import Any

from simgrasp.robots.errors import RMIT_BASE

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
