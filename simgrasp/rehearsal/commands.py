"""The commands an emulated FANUC controller answers, one handler each.

``COMMANDS`` maps a ``Command`` verb to a handler that fills the reply from the controller's
state (:class:`~simgrasp.rehearsal.controller.EmulatedController`, lock held) and returns
an ErrorID (0: done); :func:`answer` is the reply to one packet. Reply fields follow R912
(B-84184EN): ``FRC_ReadJointAngles`` gives ``TimeTag`` and ``JointAngle`` J1..J9,
``FRC_GetUFrameUTool`` the frame numbers, ``FRC_ReadError`` ``Count`` and
``ErrorData``..``ErrorData5``. Fields are checked by :mod:`simgrasp.rehearsal.fields`.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from simgrasp.rehearsal.controller import EmulatedController
from simgrasp.rehearsal.fields import (
    ERR_INVALID_COMMAND,
    ERR_INVALID_GROUP_MASK,
    ERR_INVALID_OVERRIDE,
    ERR_INVALID_STATE,
    ERR_INVALID_VALUE,
    ERR_SERVO_OFF,
    ERR_TP_ENABLED,
    GROUP_MASK,
    FieldError,
    frames,
    integer,
    on_off,
    port,
)


def answer(ctl: EmulatedController, packet: dict[str, Any]) -> dict[str, Any]:
    """The reply to a ``Command`` packet (an unknown verb gets RMIT-013, a bad field the
    code its check names); every refusal is kept for ``FRC_ReadError``."""
    verb = packet["Command"]
    reply: dict[str, Any] = {"Command": verb, "ErrorID": 0}
    handler = COMMANDS.get(verb)
    why = verb
    try:
        error = handler(ctl, packet, reply) if handler is not None else ERR_INVALID_COMMAND
    except FieldError as e:
        reply = {"Command": verb, "ErrorID": e.error_id}
        error, why = e.error_id, f"{verb} ({e})"
    reply["ErrorID"] = error
    if error:
        ctl.note_error(error, why)
    return reply


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


Handler = Callable[[EmulatedController, dict[str, Any], dict[str, Any]], int]
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
