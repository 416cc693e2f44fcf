"""The state of an emulated FANUC controller (no sockets).

:class:`EmulatedController` holds what the RMI emulator's threads share: servo and
pendant flags, the RMI program (initialised, held, next SequenceID, queue), digital I/O,
the TCP pose and a gripper with an object model. Instructions are checked and queued here
and executed by the server's worker thread; commands are answered by
:mod:`simgrasp.rehearsal.commands` from this state.

With a :class:`Cell` attached (the digital twin), motions, waits, the jaws and the
jaw-closed input act on that cell instead of the flag model below.

Gripper model: ``close_port`` ON closes the jaws, OFF (or ``open_port`` ON) opens them.
The jaw-closed input reads ON when the jaws are shut on nothing: it stays OFF while an
object is held. ``object_present`` says whether the next close catches an object;
``drop_after_motions`` makes a held object slip out after that many finished motions.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from simgrasp.rehearsal.fields import (
    ARM_FLAGS,
    ERR_HOLD,
    ERR_INVALID_INSTRUCTION,
    ERR_NOT_RUNNING,
    ERR_QUEUE_FULL,
    ERR_SEQUENCE_ID,
    FieldError,
    check_motion,
    check_reach,
    check_wait,
)
from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import describe_error

RELATIVE_MOTIONS = ("FRC_LinearRelative",)
MOTIONS = ("FRC_LinearMotion", "FRC_JointMotion") + RELATIVE_MOTIONS
JOINT_MOTIONS = ("FRC_JointMotion",)
INSTRUCTIONS = MOTIONS + ("FRC_WaitTime", "FRC_WaitDIN")


class CellCollision(RuntimeError):
    """The cell's arm hit something on a move and stopped at contact: what a controller's
    collision detection reports as alarm SRVO-050."""


class Cell(Protocol):
    """What the controller drives when a simulated cell stands behind it. Units: mm,
    degrees and mm/s in the given user and tool frames; seconds of the cell's own clock.
    ``stop`` says when the program was aborted mid-way. ``move`` raises ``ValueError`` for
    a target the cell cannot take (nothing moved) and :class:`CellCollision` when the arm
    hit something on the way (it stays where it stopped)."""

    def move(
        self, target: dict[str, float], uframe: int, utool: int, speed_mm_s: float, stop: Callable[[], bool]
    ) -> None: ...

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
    arm: dict[str, int] = field(default_factory=lambda: dict(ARM_FLAGS))  # the last motion's configuration flags
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
        arm = packet["Configuration"]  # checked when it was queued
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
    def note_error(self, error_id: int, verb: str) -> None:
        """Remember an error for ``FRC_ReadError`` (newest first, at most 5)."""
        self.errors.appendleft(f"{describe_error(error_id)} in reply to {verb}")

    def instruction(self, packet: dict[str, Any]) -> dict[str, Any] | None:
        """Check and queue an ``Instruction`` packet; returns an error reply to send now,
        or None when it was queued (its reply comes when it finishes). A refused
        instruction takes no SequenceID."""
        verb, seq = packet["Instruction"], packet.get("SequenceID")
        error, why = 0, verb
        forced = self.sequence_error_in is not None and self.sequence_error_in <= 1
        if self.sequence_error_in is not None:
            self.sequence_error_in = None if forced else self.sequence_error_in - 1
        if verb not in INSTRUCTIONS:
            error = ERR_INVALID_INSTRUCTION
        elif not self.initialized:
            error = ERR_NOT_RUNNING
        elif self.hold:
            error = ERR_HOLD
        elif seq != self.next_seq or isinstance(seq, bool) or forced:
            error, self.hold = ERR_SEQUENCE_ID, True  # held until FRC_Reset, as the real one
        elif self.outstanding >= rp.MAX_OUTSTANDING:
            error = ERR_QUEUE_FULL
        else:
            try:
                if verb in MOTIONS:
                    check_motion(packet, verb in RELATIVE_MOTIONS, verb in JOINT_MOTIONS)
                else:
                    check_wait(packet)
            except FieldError as e:
                error, why = e.error_id, f"{verb} ({e})"
        if error:
            self.note_error(error, why)
            return {"Instruction": verb, "ErrorID": error, "SequenceID": seq}
        self.next_seq += 1
        self.queue.append(packet)
        self.max_outstanding = max(self.max_outstanding, self.outstanding)
        self.lock.notify_all()
        return None

    def target_of(self, packet: dict[str, Any]) -> dict[str, float]:
        """The absolute user-frame target (mm, degrees) of a checked motion when it starts:
        an ``FRC_LinearRelative`` position is an increment on the current one. Raises
        :class:`FieldError` (RMIT-036) when that target is beyond the arm's reach."""
        pos = packet["Position"]
        if packet["Instruction"] in RELATIVE_MOTIONS:
            target = {k: self.position[k] + float(pos[k]) for k in "XYZWPR"}
            check_reach(target)
            return target
        return {k: float(pos[k]) for k in "XYZWPR"}
