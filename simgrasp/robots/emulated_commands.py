"""The commands an emulated FANUC controller answers, one handler each, and its error codes.

``COMMANDS`` maps a ``Command`` verb to a handler that fills the reply from the controller's
state (:class:`~simgrasp.robots.emulated_controller.EmulatedController`, lock held) and
returns an ErrorID (0: done). Reply fields follow R912 (B-84184EN): ``FRC_ReadJointAngles``
gives ``TimeTag`` and ``JointAngle`` J1..J9, ``FRC_GetUFrameUTool`` the frame numbers,
``FRC_ReadError`` ``Count`` and ``ErrorData``..``ErrorData5``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

from simgrasp.robots.errors import RMIT_BASE

if TYPE_CHECKING:
    from simgrasp.robots.emulated_controller import EmulatedController

ERR_INTERNAL = RMIT_BASE + 1
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


def _initialize(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply["GroupMask"] = packet.get("GroupMask", 1)
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
    ctl.uframe, ctl.utool = int(packet["UFrameNumber"]), int(packet["UToolNumber"])
    return 0


def _get_frames(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply.update(UFrameNumber=ctl.uframe, UToolNumber=ctl.utool)
    return 0


def _override(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    value = packet.get("Value")
    if not isinstance(value, int) or not 1 <= value <= 100:
        return ERR_INVALID_OVERRIDE
    ctl.override = value
    return 0


def _write_dout(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    if packet.get("PortValue") not in ("ON", "OFF"):
        return ERR_INVALID_VALUE
    ctl.write_dout(int(packet["PortNumber"]), packet["PortValue"] == "ON")
    return 0


def _read_din(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    port = int(packet["PortNumber"])
    reply.update(PortNumber=port, PortValue=int(ctl.read_din(port)))
    return 0


def _read_position(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply.update(TimeTag=ctl.time_tag(), Configuration=ctl.configuration(), Position=dict(ctl.position))
    return 0


def _read_joints(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    reply.update(TimeTag=ctl.time_tag(), JointAngle=joint_angles(ctl.position))
    return 0


def _read_error(ctl: EmulatedController, packet: dict[str, Any], reply: dict[str, Any]) -> int:
    count = packet.get("Count", 1)
    if not isinstance(count, int) or not 1 <= count <= 5:
        return ERR_INVALID_VALUE
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
