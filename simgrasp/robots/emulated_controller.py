"""The state of an emulated FANUC controller and its answers to commands (no sockets).

:class:`EmulatedController` holds what the RMI emulator's threads share: servo and
pendant flags, the RMI program (initialised, held, next SequenceID, queue), digital I/O,
the TCP pose and a gripper with an object model. Commands are answered here at once;
instructions are checked and queued here and executed by the server's worker thread.

Gripper model: ``close_port`` ON closes the jaws, OFF (or ``open_port`` ON) opens them.
The jaw-closed input reads ON when the jaws are shut on nothing: it stays OFF while an
object is held. ``object_present`` says whether the next close catches an object;
``drop_after_motions`` makes a held object slip out after that many finished motions.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import RMIT_BASE

ERR_INVALID_OVERRIDE = RMIT_BASE + 5
ERR_SERVO_OFF = RMIT_BASE + 7
ERR_TP_ENABLED = RMIT_BASE + 8
ERR_NOT_RUNNING = RMIT_BASE + 9
ERR_INVALID_COMMAND = RMIT_BASE + 13
ERR_INVALID_STATE = RMIT_BASE + 15
ERR_INVALID_INSTRUCTION = RMIT_BASE + 20
ERR_INVALID_VALUE = RMIT_BASE + 21
ERR_HOLD = RMIT_BASE + 24
ERR_ALREADY_CONNECTED = RMIT_BASE + 26
ERR_QUEUE_FULL = RMIT_BASE + 28
ERR_SEQUENCE_ID = RMIT_BASE + 29

MOTIONS = ("FRC_LinearMotion", "FRC_JointMotion")
INSTRUCTIONS = MOTIONS + ("FRC_WaitTime", "FRC_WaitDIN")


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

    # -- what the client sees -------------------------------------------------------------
    @property
    def outstanding(self) -> int:
        return len(self.queue) + self.running

    def read_din(self, port: int) -> bool:
        if port == self.jaw_closed_input:
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

    # -- effects ------------------------------------------------------------------------------
    def write_dout(self, port: int, on: bool) -> None:
        self.dout[port] = on
        if port == self.close_port:
            self._set_jaws(on)
        elif port == self.open_port and on:
            self._set_jaws(False)

    def _set_jaws(self, closed: bool) -> None:
        if closed and not self.jaws_closed:
            self.holding = self.object_present
        if not closed:
            self.holding = False
        self.jaws_closed = closed

    def finish_motion(self, packet: dict[str, Any]) -> None:
        """Apply a finished motion: the TCP is at its target; a held object may slip."""
        self.position = {k: float(packet["Position"][k]) for k in "XYZWPR"}
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
        """The reply to a ``Command`` packet."""
        verb = packet["Command"]
        reply: dict[str, Any] = {"Command": verb, "ErrorID": 0}
        error = 0
        if verb == "FRC_Initialize":
            if not self.servo_ready:
                error = ERR_SERVO_OFF
            elif self.tp_enabled:
                error = ERR_TP_ENABLED
            elif self.initialized:
                error = ERR_INVALID_STATE  # a previous session's program still runs
            else:
                self.initialized, self.hold, self.next_seq = True, False, 1
            reply["GroupMask"] = packet.get("GroupMask", 1)
        elif verb == "FRC_Abort":
            self.abort()
        elif verb == "FRC_Reset":
            self.hold = False
            self.lock.notify_all()
        elif verb == "FRC_GetStatus":
            reply.update(self.status())
        elif verb == "FRC_SetUFrameUTool":
            self.uframe, self.utool = int(packet["UFrameNumber"]), int(packet["UToolNumber"])
        elif verb == "FRC_SetOverRide":
            value = packet.get("Value")
            if not isinstance(value, int) or not 1 <= value <= 100:
                error = ERR_INVALID_OVERRIDE
            else:
                self.override = value
        elif verb == "FRC_WriteDOUT":
            if packet.get("PortValue") not in ("ON", "OFF"):
                error = ERR_INVALID_VALUE
            else:
                self.write_dout(int(packet["PortNumber"]), packet["PortValue"] == "ON")
        elif verb == "FRC_ReadDIN":
            port = int(packet["PortNumber"])
            reply.update(PortNumber=port, PortValue=int(self.read_din(port)))
        elif verb == "FRC_ReadCartesianPosition":
            reply.update(TimeTag=0, Configuration={}, Position=dict(self.position))
        else:
            error = ERR_INVALID_COMMAND
        reply["ErrorID"] = error
        return reply

    def instruction(self, packet: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an ``Instruction`` packet; returns an error reply to send now, or None
        when it was queued (its reply comes when it finishes)."""
        verb, seq = packet["Instruction"], packet.get("SequenceID")
        error = 0
        if verb not in INSTRUCTIONS:
            error = ERR_INVALID_INSTRUCTION
        elif not self.initialized:
            error = ERR_NOT_RUNNING
        elif self.hold:
            error = ERR_HOLD
        elif seq != self.next_seq:
            error, self.hold = ERR_SEQUENCE_ID, True  # held until FRC_Reset, as the real one
        elif self.outstanding >= rp.MAX_OUTSTANDING:
            error = ERR_QUEUE_FULL
        elif verb in MOTIONS and packet.get("TermType") not in rp.TERM_TYPES:
            error = ERR_INVALID_VALUE
        if error:
            return {"Instruction": verb, "ErrorID": error, "SequenceID": seq}
        self.next_seq += 1
        self.queue.append(packet)
        self.max_outstanding = max(self.max_outstanding, self.outstanding)
        self.lock.notify_all()
        return None
