"""The state of an emulated FANUC controller and its answers to commands (no sockets).

:class:`EmulatedController` holds what the RMI emulator's threads share: servo and
pendant flags, the RMI program (initialised, held, next SequenceID, queue), digital I/O,
the TCP pose and a gripper with an object model. Commands are answered here at once;
instructions are checked and queued here and executed by the server's worker thread.

With a :class:`Cell` attached (the digital twin), motions, waits, the jaws and the
jaw-closed input act on that cell instead of the flag model below.

Gripper model: ``close_port`` ON closes the jaws, OFF (or ``open_port`` ON) opens them.
The jaw-closed input reads ON when the jaws are shut on nothing: it stays OFF while an
object is held. ``object_present`` says whether the next close catches an object;
``drop_after_motions`` makes a held object slip out after that many finished motions.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import RMIT_BASE, describe_error

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

RELATIVE_MOTIONS = ("FRC_LinearRelative",)
MOTIONS = ("FRC_LinearMotion", "FRC_JointMotion") + RELATIVE_MOTIONS
INSTRUCTIONS = MOTIONS + ("FRC_WaitTime", "FRC_WaitDIN")


class Cell(Protocol):
    """What the controller drives when a simulated cell stands behind it. Units: mm,
    degrees and mm/s in the given user and tool frames; seconds of the cell's own clock.
    ``stop`` says when the program was aborted mid-way."""

    def move(self, target: dict[str, float], uframe: int, utool: int, speed_mm_s: float, stop: Callable[[], bool]) -> None: ...

    def wait(self, seconds: float, stop: Callable[[], bool]) -> None: ...

    def set_jaws(self, closed: bool) -> None: ...

    def jaws_shut(self) -> bool:
        """True when the jaws are fully shut (on nothing)."""
        ...


@dataclass
class EmulatedController:
    """Shared controller state; every method is called with ``lock`` held."""

    close_port: int = 1
    open_port: int = 2
    jaw_closed_input: int = 1
    servo_ready: bool = True
    tp_enabled: bool = False
    object_present: bool = False
    drop_after_motions: int | None = None
    initialized: bool = False
    hold: bool = False
    next_seq: int = 1
    override: int = 100
    uframe: int = 0
    utool: int = 1
    dout: dict[int, bool] = field(default_factory=dict)
    din: dict[int, bool] = field(default_factory=dict)
    position: dict[str, float] = field(default_factory=lambda: {"X": 0.0, "Y": 0.0, "Z": 500.0, "W": 180.0, "P": 0.0, "R": 0.0})
    jaws_closed: bool = False
    holding: bool = False
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    running: int = 0  # instructions taken from the queue and not yet answered
    max_outstanding: int = 0
    epoch: int = 0  # bumped by FRC_Abort, so the worker drops replies of an aborted program
    lock: threading.Condition = field(default_factory=threading.Condition)
    cell: Cell | None = None  # a simulated cell behind the I/O and motions (None: the flag model)
    arm: dict[str, int] = field(default_factory=lambda: {"Front": 1, "Up": 1, "Left": 0, "Flip": 0, "Turn4": 0, "Turn5": 0, "Turn6": 0})
    errors: deque[str] = field(default_factory=lambda: deque(maxlen=5))  # newest first, for FRC_ReadError
    sequence_error_in: int | None = None  # fault injection: the n-th next instruction is refused as out of order
    started: float = field(default_factory=time.monotonic)

    # -- what the client sees -------------------------------------------------------------
    @property
    def outstanding(self) -> int:
        return len(self.queue) + self.running

    def read_din(self, port: int) -> bool:
        if port == self.jaw_closed_input:
            if self.cell is not None:
                return self.cell.jaws_shut()
            return self.jaws_closed and not self.holding
        return self.din.get(port, False)

    def status(self) -> dict[str, Any]:
        return {
            "ServoReady": int(self.servo_ready),
            "TPMode": int(self.tp_enabled),
            "RMIMotionStatus": int(self.initialized),
            "ProgramStatus": 2 if self.hold else int(self.initialized),
            "SingleStepMode": 0,
            "NumberUTool": 10,
            "NextSequenceID": self.next_seq,
            "NumberUFrame": 9,
            "Override": self.override,
        }

    def configuration(self) -> dict[str, int]:
        """The ``Configuration`` of position replies: frame numbers and the arm's flags."""
        return {"UToolNumber": self.utool, "UFrameNumber": self.uframe, **self.arm}

    def time_tag(self) -> int:
        """Milliseconds since the controller started, as position replies carry."""
        return int(1000 * (time.monotonic() - self.started))

    # -- effects ------------------------------------------------------------------------------
    def write_dout(self, port: int, on: bool) -> None:
        self.dout[port] = on
        if port == self.close_port:
            self._set_jaws(on)
        elif port == self.open_port and on:
            self._set_jaws(False)

    def _set_jaws(self, closed: bool) -> None:
        if self.cell is not None:
            self.cell.set_jaws(closed)
        if closed and not self.jaws_closed:
            self.holding = self.object_present
        if not closed:
            self.holding = False
        self.jaws_closed = closed

    def finish_motion(self, packet: dict[str, Any], target: dict[str, float]) -> None:
        """Apply a finished motion: the TCP is at ``target``; a held object may slip."""
        self.position = dict(target)
        arm = packet.get("Configuration") or {}
        self.arm.update({k: int(arm[k]) for k in self.arm if k in arm})
        if self.holding and self.drop_after_motions is not None:
            self.drop_after_motions -= 1
            if self.drop_after_motions <= 0:
                self.holding = False
                self.object_present = False
                self.drop_after_motions = None

    def abort(self) -> None:
        self.initialized = False
        self.hold = False
        self.queue.clear()
        self.running = 0
        self.epoch += 1
        self.lock.notify_all()

    # -- packets ------------------------------------------------------------------------------
    def command(self, packet: dict[str, Any]) -> dict[str, Any]:
        """The reply to a ``Command`` packet (an unknown verb gets RMIT-013)."""
        verb = packet["Command"]
        reply: dict[str, Any] = {"Command": verb, "ErrorID": 0}
        handler = COMMANDS.get(verb)
        error = handler(self, packet, reply) if handler is not None else ERR_INVALID_COMMAND
        reply["ErrorID"] = error
        if error:
            self.note_error(error, verb)
        return reply

    def note_error(self, error_id: int, verb: str) -> None:
        """Remember an error for ``FRC_ReadError`` (newest first, at most 5)."""
        self.errors.appendleft(f"{describe_error(error_id)} in reply to {verb}")

    def instruction(self, packet: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an ``Instruction`` packet; returns an error reply to send now, or None
        when it was queued (its reply comes when it finishes)."""
        verb, seq = packet["Instruction"], packet.get("SequenceID")
        error = 0
        forced = self.sequence_error_in is not None and self.sequence_error_in <= 1
        if self.sequence_error_in is not None:
            self.sequence_error_in = None if forced else self.sequence_error_in - 1
        if verb not in INSTRUCTIONS:
            error = ERR_INVALID_INSTRUCTION
        elif not self.initialized:
            error = ERR_NOT_RUNNING
        elif self.hold:
            error = ERR_HOLD
        elif seq != self.next_seq or forced:
            error, self.hold = ERR_SEQUENCE_ID, True  # held until FRC_Reset, as the real one
        elif self.outstanding >= rp.MAX_OUTSTANDING:
            error = ERR_QUEUE_FULL
        elif verb in MOTIONS and packet.get("TermType") not in rp.TERM_TYPES:
            error = ERR_INVALID_VALUE
        if error:
            self.note_error(error, verb)
            return {"Instruction": verb, "ErrorID": error, "SequenceID": seq}
        self.next_seq += 1
        self.queue.append(packet)
        self.max_outstanding = max(self.max_outstanding, self.outstanding)
        self.lock.notify_all()
        return None

    def target_of(self, packet: dict[str, Any]) -> dict[str, float]:
        """The absolute user-frame target (mm, degrees) of a motion when it starts: an
        ``FRC_LinearRelative`` position is an increment on the current one."""
        pos = packet["Position"]
        if packet["Instruction"] in RELATIVE_MOTIONS:
            return {k: self.position[k] + float(pos.get(k, 0.0)) for k in "XYZWPR"}
        return {k: float(pos[k]) for k in "XYZWPR"}


# -- command handlers: each fills ``reply`` and returns an ErrorID (0: done) ------------------
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
