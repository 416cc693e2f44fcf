"""An RMI client: session hand-over, commands, queued instructions, faults and clean exits.

Use it as a context manager: ``with RMIClient(host) as rmi: ...``. Leaving the block, by
return, exception or Ctrl-C, sends ``FRC_Abort`` then ``FRC_Disconnect``: a controller
that keeps a session's motion program refuses the next one.

Rules the client enforces (from the RMI manual): commands get exactly one reply and the
next packet waits for it; instruction SequenceIDs start at 1 after ``FRC_Initialize`` and
are consecutive; at most 8 instructions are outstanding; the motion before a wait is FINE.
A pushed ``FRC_SystemFault``, a non-zero ``ErrorID``, a timeout or a closed socket raise a
:class:`~simgrasp.robots.errors.RobotError` subclass.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import (
    RMIConnectionError,
    RMIProtocolError,
    RMITimeoutError,
    RobotError,
    SystemFaultError,
    error_from_id,
)
from simgrasp.robots.links import Link, LinkFactory, SocketLink
from simgrasp.robots.rmi_protocol import Configuration, Pose


class RMIClient:
    """One RMI session with a FANUC controller.

    ``host``, ``port``: the controller's connect port (16001); ``timeout_s``: the longest
    wait for a command's reply; ``motion_timeout_s``: the longest wait for a queued
    instruction to finish; ``link_factory``: how to open a link (a socket, or a dry run)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 16001,
        timeout_s: float = 5.0,
        motion_timeout_s: float = 60.0,
        link_factory: LinkFactory = SocketLink.open,
    ) -> None:
        self.host, self.port = host, int(port)
        self.timeout_s, self.motion_timeout_s = float(timeout_s), float(motion_timeout_s)
        self._link_factory = link_factory
        self._link: Link | None = None
        self.session_port: int | None = None
        self.version: tuple[int, int] | None = None
        self.next_seq = 1
        self.outstanding: dict[int, str] = {}  # SequenceID -> verb, sent and not yet answered
        self._finished: set[int] = set()
        self._last_term: str | None = None  # TermType of the newest instruction (None: not a motion)
        self.max_outstanding_seen = 0

    # -- session ---------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._link is not None

    def open(self) -> "RMIClient":
        """Ask the connect port for a session port, then open the session there."""
        if self._link is not None:
            return self
        first = self._link_factory(self.host, self.port, self.timeout_s)
        try:
            first.send(rp.communication("FRC_Connect"))
            reply = self._receive_on(first, self.timeout_s, "the FRC_Connect reply")
        finally:
            first.close()
        if reply.get("Communication") != "FRC_Connect":
            raise RMIProtocolError(f"expected the FRC_Connect reply, got {reply}")
        if int(reply.get("ErrorID", 0)):
            raise error_from_id(reply["ErrorID"], "FRC_Connect")
        if "PortNumber" not in reply:
            raise RMIProtocolError(f"the FRC_Connect reply names no PortNumber: {reply}")
        self.session_port = int(reply["PortNumber"])
        self.version = (int(reply.get("MajorVersion", 0)), int(reply.get("MinorVersion", 0)))
        self._link = self._link_factory(self.host, self.session_port, self.timeout_s)
        return self

    def __enter__(self) -> "RMIClient":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Abort the motion program, disconnect and close the socket; never raises, safe
        to call twice. After a lost connection there is nothing left to tell the controller."""
        link, self._link = self._link, None
        if link is None:
            return
        try:
            for packet in (rp.command("FRC_Abort"), rp.communication("FRC_Disconnect")):
                link.send(packet)
                _, verb = rp.packet_kind(packet)
                deadline = time.monotonic() + self.timeout_s
                # Skip faults and late instruction replies: we are leaving anyway.
                while True:
                    reply = link.receive(max(deadline - time.monotonic(), 1e-3))
                    if reply.get("Command", reply.get("Communication")) == verb:
                        break
        except (RobotError, TimeoutError, OSError):
            pass
        finally:
            link.close()
            self.outstanding.clear()

    # -- reading ---------------------------------------------------------------------------
    def _receive_on(self, link: Link, timeout_s: float, what: str) -> dict[str, Any]:
        try:
            return link.receive(timeout_s)
        except TimeoutError:
            raise RMITimeoutError(f"no {what} from the controller at {self.host} within {timeout_s:.1f} s") from None

    def _next(self, deadline: float, what: str) -> dict[str, Any] | None:
        """Read one packet. Instruction replies are booked here; returns the packet if it
        is a command or communication reply, else None."""
        if self._link is None:
            raise RMIConnectionError("not connected: open the session first")
        packet = self._receive_on(self._link, max(deadline - time.monotonic(), 1e-3), what)
        kind, verb = rp.packet_kind(packet)
        if kind == "Communication" and verb == "FRC_SystemFault":
            raise SystemFaultError(
                int(packet.get("ErrorID", 0)),
                "FRC_SystemFault",
                f"; controller stopped at SequenceID {packet.get('SequenceID', '?')} while waiting for {what}",
            )
        if kind == "Communication" and verb == "FRC_Terminate":
            raise RMIConnectionError("the controller ended the session (FRC_Terminate: inactivity timeout)")
        if kind == "Instruction":
            seq = int(packet.get("SequenceID", -1))
            if self.outstanding.pop(seq, None) is None:
                raise RMIProtocolError(f"reply for SequenceID {seq}, which is not outstanding: {packet}")
            if int(packet.get("ErrorID", 0)):
                raise error_from_id(packet["ErrorID"], f"{verb} (SequenceID {seq})")
            self._finished.add(seq)
            return None
        return packet

    # -- commands --------------------------------------------------------------------------
    def command(self, packet: dict[str, Any]) -> dict[str, Any]:
        """Send a command and return its reply (raising on a non-zero ErrorID)."""
        kind, verb = rp.packet_kind(packet)
        if kind == "Instruction":
            raise ValueError(f"{verb} is an instruction: use submit()")
        self._link_or_raise().send(packet)
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._next(deadline, f"the {verb} reply")
            if reply is None:
                continue
            if reply.get(kind) != verb:
                raise RMIProtocolError(f"expected the reply to {verb}, got {reply}")
            if int(reply.get("ErrorID", 0)):
                raise error_from_id(reply["ErrorID"], verb)
            return reply

    def _link_or_raise(self) -> Link:
        if self._link is None:
            raise RMIConnectionError("not connected: open the session first")
        return self._link

    def initialize(self, group_mask: int = 1) -> None:
        """Start the controller's RMI motion program; SequenceIDs restart at 1."""
        self.command(rp.initialize(group_mask))
        self.next_seq, self._last_term = 1, None
        self.outstanding.clear()
        self._finished.clear()

    def abort(self) -> None:
        self.command(rp.command("FRC_Abort"))
        self.outstanding.clear()

    def reset(self) -> None:
        """Clear alarms and a HOLD, then take the next SequenceID from the controller (a
        rejected instruction did not consume its ID there)."""
        self.command(rp.command("FRC_Reset"))
        self.next_seq = int(self.status()["NextSequenceID"])

    def status(self) -> dict[str, Any]:
        return self.command(rp.command("FRC_GetStatus"))

    def set_frames(self, uframe: int, utool: int) -> None:
        self.command(rp.set_uframe_utool(uframe, utool))

    def set_override(self, percent: int) -> None:
        self.command(rp.set_override(percent))

    def write_dout(self, port: int, on: bool) -> None:
        """Switch a digital output now. Commands act at once, even while the arm moves, so
        callers wait for the FINE motion's reply first."""
        self.command(rp.write_dout(port, on))

    def read_din(self, port: int) -> bool:
        return rp.port_value(self.command(rp.read_din(port)))

    def read_position(self) -> Pose:
        return Pose.from_packet(self.command(rp.command("FRC_ReadCartesianPosition"))["Position"])

    # -- instructions ----------------------------------------------------------------------
    def submit(self, build: Callable[[int], dict[str, Any]]) -> int:
        """Queue the instruction ``build(seq)`` under the next SequenceID, first waiting
        while 8 are outstanding. Returns its SequenceID."""
        deadline = time.monotonic() + self.motion_timeout_s
        while len(self.outstanding) >= rp.MAX_OUTSTANDING:
            self._next(deadline, "a queued instruction to finish")
        seq = self.next_seq
        packet = build(seq)
        kind, verb = rp.packet_kind(packet)
        if kind != "Instruction" or packet.get("SequenceID") != seq:
            raise ValueError(f"expected an instruction with SequenceID {seq}, got {packet}")
        self._link_or_raise().send(packet)
        self.next_seq += 1
        self.outstanding[seq] = verb
        self.max_outstanding_seen = max(self.max_outstanding_seen, len(self.outstanding))
        self._last_term = packet.get("TermType")
        return seq

    def move(self, poses: Iterable[Pose], speed_mm_s: int, config: Configuration, cnt: int = 50) -> int:
        """Queue linear moves through ``poses``: CNT blends between them, FINE at the last
        (the arm stops there). Returns the last SequenceID."""
        poses = list(poses)
        if not poses:
            raise ValueError("move() needs at least one pose")
        seq = -1
        for i, pose in enumerate(poses):
            last = i == len(poses) - 1
            seq = self.submit(lambda s: rp.motion(s, pose, config, speed_mm_s, "FINE" if last else "CNT", cnt))
        return seq

    def wait_time(self, seconds: float) -> int:
        return self.submit(lambda s: rp.wait_time(s, seconds))

    def wait(self, seq: int, timeout_s: float | None = None) -> None:
        """Block until instruction ``seq`` has been answered."""
        if self._last_term == "CNT" and seq == self.next_seq - 1 and seq in self.outstanding:
            # The controller blends a CNT move into the next one, so it never answers the
            # newest move while no FINE follows it: waiting would only time out.
            raise ValueError("the last queued motion is CNT: end a path with a FINE motion before waiting")
        deadline = time.monotonic() + (self.motion_timeout_s if timeout_s is None else timeout_s)
        while seq not in self._finished:
            if seq not in self.outstanding:
                raise ValueError(f"SequenceID {seq} was never submitted (next is {self.next_seq})")
            self._next(deadline, f"SequenceID {seq} to finish")
        self._finished.discard(seq)

    def wait_all(self) -> None:
        """Block until every queued instruction has finished."""
        for seq in sorted(self.outstanding):
            self.wait(seq)
        self._finished.clear()
