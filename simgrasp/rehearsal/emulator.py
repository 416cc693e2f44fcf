"""An RMI emulator on 127.0.0.1: ``python -m simgrasp.rehearsal --port 16001``.

It serves the subset of FANUC RMI that simgrasp uses: the connect-port hand-over to a
session port, one client at a time, commands answered at once, instructions checked
(SequenceID order, at most 8 outstanding, every field) and answered when they finish,
FINE moves answered on arrival and CNT moves only once the next instruction takes over,
digital I/O with a gripper model (see :mod:`simgrasp.rehearsal.controller`). For
tests it runs in a thread (``port=0`` picks a free port) and fails on demand:
:meth:`inject_fault` pushes ``FRC_SystemFault``, :meth:`drop_after` cuts the connection.
Every packet is logged in order in :attr:`log`.

It behaves like a controller under any input: a line that is not a JSON object naming
its kind, longer than :data:`MAX_LINE` bytes, or a packet with a missing, mistyped or
out-of-range field gets an error reply (RMIT-013 for what is no command at all, the
field's RMIT code otherwise) and the session goes on. No thread dies on input: anything
unforeseen is logged and answered RMIT-001 (internal error).
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator

from simgrasp.rehearsal.commands import answer
from simgrasp.rehearsal.controller import MOTIONS, CellCollision, EmulatedController
from simgrasp.rehearsal.fields import (
    ERR_ALREADY_CONNECTED,
    ERR_INTERNAL,
    ERR_INVALID_COMMAND,
    ERR_INVALID_POSITION,
    FieldError,
    speed_mm_s,
)
from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import COLLISION_DETECTED, RMIProtocolError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # never another interface: this is a test double, not a controller
SESSION_PORT = 16002  # the session port a controller hands over to its first client
MAX_LINE = 8192  # bytes; RMI packets are a few hundred
CONNECT_READ_S = 2.0  # how long a connect-port client may take to send its FRC_Connect
SESSION_ACCEPT_S = 5.0  # how long a handed-over session port waits to be opened
MAX_CONNECTING = 16  # connect-port conversations at once; more are closed unanswered
LOGGED_TEXT = 200  # characters of an unreadable line kept in the log


@dataclass(frozen=True)
class LogEntry:
    """One packet: ``channel`` "connect" or "session", ``direction`` "in" (from the
    client) or "out", and the time in seconds since the emulator started. A line that was
    no packet is logged as ``{"Unreadable": the first characters}``."""

    t_s: float
    channel: str
    direction: str
    packet: dict[str, Any]


def _waiting(listener: socket.socket, timeout_s: float = 0.0) -> bool:
    """True when a connection waits on ``listener`` to be accepted (within ``timeout_s``)."""
    try:
        return bool(select.select([listener], [], [], timeout_s)[0])
    except (OSError, ValueError):  # closed meanwhile
        return False


class RMIEmulator:
    """A threaded RMI server. ``motion_time_s``: how long each motion takes;
    ``time_scale``: factor on ``FRC_WaitTime`` durations; other keywords go to
    :class:`EmulatedController` (ports, ``object_present``...)."""

    def __init__(
        self, port: int = 0, session_port: int = SESSION_PORT, motion_time_s: float = 0.0, time_scale: float = 1.0,
        **controller: Any,
    ) -> None:
        self.ctl = EmulatedController(**controller)
        self.motion_time_s, self.time_scale = motion_time_s, time_scale
        self.session_accept_s = SESSION_ACCEPT_S
        self._requested_session_port = session_port
        self.log: list[LogEntry] = []
        self.sessions_opened = 0
        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()  # one packet at a time on a socket, and the session's hand-over
        self._session: socket.socket | None = None
        self._pending: socket.socket | None = None  # a session port handed over and not yet opened
        self._pending_until = 0.0
        self._connecting = threading.BoundedSemaphore(MAX_CONNECTING)
        self._fault: tuple[int, int] | None = None  # (error_id, packets to go)
        self._drop_in: int | None = None
        self._server = socket.create_server((HOST, port))
        self._server.settimeout(0.05)
        self.port = self._server.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept_loop, daemon=True), threading.Thread(target=self._worker, daemon=True)]

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> "RMIEmulator":
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self.ctl.lock:
            self.ctl.lock.notify_all()
        self._close_session()
        self._server.close()  # a handed-over session port closes by itself, within 0.05 s
        for t in self._threads:
            t.join(timeout=2.0)

    def __enter__(self) -> "RMIEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- failure injection -------------------------------------------------------------------
    def inject_fault(self, error_id: int, after_packets: int = 0) -> None:
        """Push ``FRC_SystemFault`` with ``error_id`` and hold the program, now or once
        the ``after_packets``-th next session packet has been handled."""
        if after_packets <= 0:
            self._push_fault(error_id)
        else:
            self._fault = (error_id, after_packets)

    def inject_sequence_error(self, after_instructions: int = 1) -> None:
        """Refuse the ``after_instructions``-th next instruction as out of order (RMIT-029)
        and hold, as a controller does when packets were lost or reordered."""
        with self.ctl.lock:
            self.ctl.sequence_error_in = max(1, int(after_instructions))

    def drop_after(self, n_packets: int) -> None:
        """Close the session socket without a word when ``n_packets`` more have arrived
        (0: now). The controller keeps its program, as a real one does."""
        if n_packets <= 0:
            self._close_session()
        else:
            self._drop_in = n_packets

    # -- inspection ---------------------------------------------------------------------------
    def received(self, kind_verb: str | None = None) -> list[dict[str, Any]]:
        """Session packets from the client, optionally only those of one verb."""
        return [e.packet for e in self.log if e.direction == "in" and (kind_verb is None or kind_verb in e.packet.values())]

    @property
    def session_active(self) -> bool:
        return self._session is not None

    @property
    def pending_session_port(self) -> int | None:
        """The session port handed over and not opened yet (None: none is waiting)."""
        with self._send_lock:
            return None if self._pending is None else self._pending.getsockname()[1]

    # -- plumbing -----------------------------------------------------------------------------
    def _record(self, channel: str, direction: str, packet: dict[str, Any]) -> None:
        self.log.append(LogEntry(time.monotonic() - self._t0, channel, direction, packet))

    def _send(self, sock: socket.socket | None, channel: str, packet: dict[str, Any]) -> None:
        if sock is None:
            return
        with self._send_lock:
            self._record(channel, "out", packet)
            try:
                sock.sendall(rp.encode(packet))
            except OSError:
                pass  # the client went away; its side reports it

    def _push_fault(self, error_id: int) -> None:
        with self.ctl.lock:
            self.ctl.hold = True
            seq = self.ctl.next_seq - 1
        self._send(self._session, "session", {"Communication": "FRC_SystemFault", "SequenceID": seq, "ErrorID": error_id})

    def _close_session(self) -> None:
        with self._send_lock:
            sock, self._session = self._session, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _read_lines(self, sock: socket.socket, patient: bool = True) -> Iterator[bytes | None]:
        """Lines from ``sock`` until it closes (or, not ``patient``, until a read times
        out); ``None`` for each line longer than :data:`MAX_LINE`."""
        buf = rp.LineBuffer(MAX_LINE)
        while not self._stop.is_set():
            try:
                data = sock.recv(65536)
            except socket.timeout:
                if patient:
                    continue
                return
            except OSError:
                return
            if not data:
                return
            yield from buf.feed_or_drop(data)

    def _parse(self, line: bytes | None, channel: str) -> tuple[dict[str, Any] | None, str]:
        """The packet on ``line``, or None and why it is none (logged either way)."""
        if line is None:
            why = f"a line longer than {MAX_LINE} bytes"
            self._record(channel, "in", {"Unreadable": why})
            return None, why
        try:
            packet = rp.decode(line)
        except RMIProtocolError as e:
            self._record(channel, "in", {"Unreadable": line[:LOGGED_TEXT].decode("utf-8", "replace")})
            return None, str(e)
        self._record(channel, "in", packet)
        return packet, ""

    # -- the connect port -------------------------------------------------------------------
    def _accept_loop(self) -> None:
        """Take connect-port clients, each answered in a thread of its own, so one that is
        slow to speak keeps no other waiting."""
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (socket.timeout, OSError):
                continue
            if not self._connecting.acquire(blocking=False):
                conn.close()  # a flood of connections: the newest are turned away
                continue
            threading.Thread(target=self._connect_client, args=(conn,), daemon=True).start()

    def _connect_client(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(CONNECT_READ_S)
                for line in self._read_lines(conn, patient=False):
                    packet, why = self._parse(line, "connect")
                    self._hand_over(conn, packet, why)
                    break
        except Exception:  # never let one client's packet end the service
            log.exception("RMI emulator: connect-port client failed")
        finally:
            self._connecting.release()

    def _hand_over(self, conn: socket.socket, packet: dict[str, Any] | None, why: str) -> None:
        """Answer an FRC_Connect with the session port, opening it for the next
        :attr:`session_accept_s` seconds; a client that never comes keeps no one waiting:
        the next FRC_Connect is handed the same port."""
        if packet is None or packet.get("Communication") != "FRC_Connect":
            log.info("RMI emulator: refused on the connect port: %s", why or packet)
            self._send(conn, "connect", {"Communication": "FRC_Connect", "ErrorID": ERR_INVALID_COMMAND})
            return
        with self._send_lock:
            # Taken once its client opened it, or once that client's connection waits to be
            # accepted (its connect() has returned, so it may already be talking).
            if self._session is not None or (self._pending is not None and _waiting(self._pending)):
                busy = True
            else:
                busy = False
                if self._pending is None:
                    self._pending = self._session_listener()
                    self._pending.settimeout(0.05)
                    threading.Thread(target=self._await_session, args=(self._pending,), daemon=True).start()
                self._pending_until = time.monotonic() + self.session_accept_s
                port = self._pending.getsockname()[1]
        if busy:
            self._send(conn, "connect", {"Communication": "FRC_Connect", "ErrorID": ERR_ALREADY_CONNECTED})
            return
        reply = {"Communication": "FRC_Connect", "ErrorID": 0, "PortNumber": port, "MajorVersion": 1, "MinorVersion": 0}
        self._send(conn, "connect", reply)

    def _await_session(self, listener: socket.socket) -> None:
        """Wait for the client on a handed-over session port, then serve it; close the
        port when nobody came in time."""
        sock = None
        try:
            while not self._stop.is_set():
                ready = _waiting(listener, 0.05)
                with self._send_lock:  # accepted and taken in one step: no hand-over slips in between
                    if ready:
                        sock, _ = listener.accept()
                        self._session = sock
                        break
                    if time.monotonic() > self._pending_until:
                        break
        except OSError:
            sock = None
        with self._send_lock:
            if self._pending is listener:
                self._pending = None
        listener.close()
        if sock is None:
            return
        self.sessions_opened += 1
        try:
            sock.settimeout(0.05)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # replies are small; do not batch them
            self._serve(sock)
        except Exception:
            log.exception("RMI emulator: session failed")
        finally:
            if self._session is sock:
                self._close_session()
            else:
                sock.close()

    def _session_listener(self) -> socket.socket:
        """A listener on the requested session port, or on any free one when it is taken
        (several emulators on one machine)."""
        try:
            return socket.create_server((HOST, self._requested_session_port))
        except OSError:
            if self._requested_session_port == 0:
                raise
            return socket.create_server((HOST, 0))

    # -- the session ---------------------------------------------------------------------------
    def _serve(self, sock: socket.socket) -> None:
        for line in self._read_lines(sock):
            packet, why = self._parse(line, "session")
            if packet is None:
                log.info("RMI emulator: refused a session line: %s", why)
                self._send(sock, "session", {"Command": "Unknown", "ErrorID": ERR_INVALID_COMMAND})
                continue
            if self._drop_in is not None:
                self._drop_in -= 1
                if self._drop_in <= 0:
                    self._drop_in = None
                    self._close_session()
                    return
            try:
                if not self._handle(sock, packet):
                    return
            except Exception as e:  # a bug here must not end the session: answer it, log it
                log.exception("RMI emulator: failed on %s", packet)
                kind, verb = rp.packet_kind(packet)
                with self.ctl.lock:
                    self.ctl.note_error(ERR_INTERNAL, f"{verb} ({type(e).__name__}: {e})")
                reply = {kind: verb, "ErrorID": ERR_INTERNAL}
                if kind == "Instruction":
                    reply["SequenceID"] = packet.get("SequenceID")
                self._send(sock, "session", reply)
            if self._fault is not None:  # after the packet: a fault while it executes
                error_id, left = self._fault
                self._fault = (error_id, left - 1) if left > 1 else None
                if left <= 1:
                    self._push_fault(error_id)

    def _handle(self, sock: socket.socket, packet: dict[str, Any]) -> bool:
        """Answer one session packet; False when the session ends with it."""
        kind, verb = rp.packet_kind(packet)
        if kind == "Communication":
            if verb == "FRC_Disconnect":
                # Forget the session before answering: once the client has the reply,
                # the controller is free for the next one.
                with self._send_lock:
                    self._session = None
                self._send(sock, "session", {"Communication": verb, "ErrorID": 0})
                sock.close()
                return False
            self._send(sock, "session", {"Communication": verb, "ErrorID": ERR_INVALID_COMMAND})
            return True
        with self.ctl.lock:
            reply = answer(self.ctl, packet) if kind == "Command" else self.ctl.instruction(packet)
        if reply is not None:
            self._send(sock, "session", reply)
        return True

    # -- the motion program ------------------------------------------------------------------
    def _worker(self) -> None:
        """Execute queued instructions in order; answer FINE moves when done and CNT
        moves when the next instruction starts (the controller blends into it)."""
        ctl = self.ctl
        blending: tuple[int, dict[str, Any]] | None = None
        while not self._stop.is_set():
            with ctl.lock:
                while not self._stop.is_set() and (not ctl.queue or ctl.hold):
                    ctl.lock.wait(0.05)
                if self._stop.is_set():
                    return
                packet, epoch = ctl.queue.popleft(), ctl.epoch
                ctl.running += 1
            if blending is not None:
                self._answer(*blending)
                blending = None
            try:
                blending = self._execute(packet, epoch)
            except Exception as e:  # never a dead worker: the instruction fails, the program holds
                log.exception("RMI emulator: failed to execute %s", packet)
                self._refuse(epoch, packet, ERR_INTERNAL, f"{type(e).__name__}: {e}")

    def _execute(self, packet: dict[str, Any], epoch: int) -> tuple[int, dict[str, Any]] | None:
        """Run one checked instruction; returns it when its answer waits for the next one
        (a CNT move), else answers it (or refuses it) here and returns None."""
        ctl = self.ctl
        verb = packet["Instruction"]
        stop = lambda: ctl.epoch != epoch or self._stop.is_set()  # noqa: E731
        target = None
        if verb in MOTIONS:
            try:
                with ctl.lock:
                    target = ctl.target_of(packet)
                    distance = sum((target[k] - ctl.position[k]) ** 2 for k in "XYZ") ** 0.5
                    speed = speed_mm_s(packet, distance) * ctl.override / 100.0
            except FieldError as e:  # a relative move that would leave the arm's reach
                self._refuse(epoch, packet, e.error_id, str(e))
                return None
            if ctl.cell is not None:
                cfg = packet["Configuration"]
                try:
                    ctl.cell.move(target, int(cfg["UFrameNumber"]), int(cfg["UToolNumber"]), speed, stop)
                except CellCollision as e:  # stopped at contact: an alarm, the program held
                    self._collide(epoch, packet, str(e))
                    return None
                except ValueError as e:  # a target the cell cannot take: refused, the program held
                    self._refuse(epoch, packet, ERR_INVALID_POSITION, str(e))
                    return None
            else:
                self._pause(self.motion_time_s, epoch)
        elif verb == "FRC_WaitTime":
            if ctl.cell is not None:
                ctl.cell.wait(float(packet["Time"]), stop)
            else:
                self._pause(float(packet["Time"]) * self.time_scale, epoch)
        elif verb == "FRC_WaitDIN":
            want, port = packet["PortValue"] == "ON", int(packet["PortNumber"])
            with ctl.lock:
                while not stop() and ctl.read_din(port) != want:
                    ctl.lock.wait(0.05)
        with ctl.lock:
            if ctl.epoch != epoch:  # aborted while it ran
                return None
            if target is not None:
                ctl.finish_motion(packet, target)
        if verb in MOTIONS and packet["TermType"] == "CNT":
            return epoch, packet
        self._answer(epoch, packet)
        return None

    def _refuse(self, epoch: int, packet: dict[str, Any], error_id: int, why: str) -> None:
        """Answer an instruction that cannot run with ``error_id`` and hold the program."""
        with self.ctl.lock:
            if self.ctl.epoch != epoch:
                return
            self.ctl.hold = True
            self.ctl.running = max(0, self.ctl.running - 1)
            self.ctl.note_error(error_id, f"{packet['Instruction']} ({why})")
        reply = {"Instruction": packet["Instruction"], "ErrorID": error_id, "SequenceID": packet["SequenceID"]}
        self._send(self._session, "session", reply)

    def _collide(self, epoch: int, packet: dict[str, Any], why: str) -> None:
        """The arm hit something on the way: as a controller's collision detection, stop
        there, raise the alarm (``FRC_SystemFault``) and hold; the motion is never answered."""
        with self.ctl.lock:
            if self.ctl.epoch != epoch:
                return
            self.ctl.running = max(0, self.ctl.running - 1)
            self.ctl.note_error(COLLISION_DETECTED, f"{packet['Instruction']} ({why})")
        self._push_fault(COLLISION_DETECTED)

    def _pause(self, seconds: float, epoch: int) -> None:
        """Let ``seconds`` pass, unless the program is aborted or the emulator stops."""
        end = time.monotonic() + seconds
        with self.ctl.lock:
            while self.ctl.epoch == epoch and not self._stop.is_set() and time.monotonic() < end:
                self.ctl.lock.wait(min(0.05, max(end - time.monotonic(), 0.0)))

    def _answer(self, epoch: int, packet: dict[str, Any]) -> None:
        with self.ctl.lock:
            if self.ctl.epoch != epoch:
                return
            self.ctl.running = max(0, self.ctl.running - 1)
        self._send(self._session, "session", {"Instruction": packet["Instruction"], "ErrorID": 0, "SequenceID": packet["SequenceID"]})

