"""An RMI emulator on 127.0.0.1: ``python -m simgrasp.robots.rmi_emulator --port 16001``.

It serves the subset of FANUC RMI that simgrasp uses: the connect-port hand-over to a
session port, one client at a time, commands answered at once, instructions checked
(SequenceID order, at most 8 outstanding) and answered when they finish, FINE moves
answered on arrival and CNT moves only once the next instruction takes over, digital I/O
with a gripper model (see :mod:`simgrasp.robots.emulated_controller`). For tests it runs
in a thread (``port=0`` picks a free port) and fails on demand: :meth:`inject_fault`
pushes ``FRC_SystemFault``, :meth:`drop_after` cuts the connection. Every packet is
logged in order in :attr:`log`.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.emulated_commands import (
    ERR_ALREADY_CONNECTED,
    ERR_INTERNAL,
    ERR_INVALID_COMMAND,
    ERR_INVALID_POSITION,
)
from simgrasp.robots.emulated_controller import MOTIONS, EmulatedController
from simgrasp.robots.errors import RMIProtocolError

HOST = "127.0.0.1"  # never another interface: this is a test double, not a controller
SESSION_PORT = 16002  # the session port a controller hands over to its first client


@dataclass(frozen=True)
class LogEntry:
    """One packet: ``channel`` "connect" or "session", ``direction`` "in" (from the
    client) or "out", and the time in seconds since the emulator started."""

    t_s: float
    channel: str
    direction: str
    packet: dict[str, Any]


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
        self._requested_session_port = session_port
        self.log: list[LogEntry] = []
        self.sessions_opened = 0
        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._session: socket.socket | None = None
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
        self._server.close()
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

    def _read_lines(self, sock: socket.socket, patient: bool = True) -> Iterator[bytes]:
        buf = rp.LineBuffer()
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
            yield from buf.feed(data)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(2.0)
                for line in self._read_lines(conn, patient=False):
                    packet = rp.decode(line)
                    self._record("connect", "in", packet)
                    self._hand_over(conn, packet)
                    break

    def _hand_over(self, conn: socket.socket, packet: dict[str, Any]) -> None:
        if packet.get("Communication") != "FRC_Connect":
            self._send(conn, "connect", {"Communication": "FRC_Connect", "ErrorID": ERR_INVALID_COMMAND})
            return
        if self._session is not None:
            self._send(conn, "connect", {"Communication": "FRC_Connect", "ErrorID": ERR_ALREADY_CONNECTED})
            return
        listener = self._session_listener()
        listener.settimeout(5.0)
        port = listener.getsockname()[1]
        reply = {"Communication": "FRC_Connect", "ErrorID": 0, "PortNumber": port, "MajorVersion": 1, "MinorVersion": 0}
        self._send(conn, "connect", reply)
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        finally:
            listener.close()
        sock.settimeout(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # replies are small; do not batch them
        self._session = sock
        self.sessions_opened += 1
        threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _session_listener(self) -> socket.socket:
        """A listener on the requested session port, or on any free one when it is taken
        (several emulators on one machine)."""
        try:
            return socket.create_server((HOST, self._requested_session_port))
        except OSError:
            if self._requested_session_port == 0:
                raise
            return socket.create_server((HOST, 0))

    def _serve(self, sock: socket.socket) -> None:
        for line in self._read_lines(sock):
            try:
                packet = rp.decode(line)
            except RMIProtocolError:
                self._send(sock, "session", {"Command": "Unknown", "ErrorID": ERR_INVALID_COMMAND})
                continue
            self._record("session", "in", packet)
            if self._drop_in is not None:
                self._drop_in -= 1
                if self._drop_in <= 0:
                    self._drop_in = None
                    self._close_session()
                    return
            kind, verb = rp.packet_kind(packet)
            if kind == "Communication":
                if verb == "FRC_Disconnect":
                    # Forget the session before answering: once the client has the reply,
                    # the controller is free for the next one.
                    with self._send_lock:
                        self._session = None
                    self._send(sock, "session", {"Communication": verb, "ErrorID": 0})
                    sock.close()
                    return
                self._send(sock, "session", {"Communication": verb, "ErrorID": 0})
                continue
            with self.ctl.lock:
                reply = self.ctl.command(packet) if kind == "Command" else self.ctl.instruction(packet)
            if reply is not None:
                self._send(sock, "session", reply)
            if self._fault is not None:  # after the packet: a fault while it executes
                error_id, left = self._fault
                self._fault = (error_id, left - 1) if left > 1 else None
                if left <= 1:
                    self._push_fault(error_id)
        if self._session is sock:
            self._close_session()

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
            verb = packet["Instruction"]
            stop = lambda: ctl.epoch != epoch or self._stop.is_set()  # noqa: E731
            target = None
            if verb in MOTIONS:
                with ctl.lock:
                    target = ctl.target_of(packet)
                    frames = ctl.uframe, ctl.utool
                    speed = float(packet.get("Speed", 100)) * ctl.override / 100.0
                if ctl.cell is not None:
                    cfg = packet.get("Configuration") or {}
                    try:
                        uframe, utool = int(cfg.get("UFrameNumber", frames[0])), int(cfg.get("UToolNumber", frames[1]))
                        ctl.cell.move(target, uframe, utool, speed, stop)
                    except ValueError as e:  # a target the cell cannot take: refused, the program held
                        self._refuse(epoch, packet, ERR_INVALID_POSITION, str(e))
                        continue
                    except Exception as e:  # the cell broke: an internal error, never a hung worker
                        self._refuse(epoch, packet, ERR_INTERNAL, f"{type(e).__name__}: {e}")
                        continue
                else:
                    self._pause(self.motion_time_s, epoch)
            elif verb == "FRC_WaitTime":
                if ctl.cell is not None:
                    ctl.cell.wait(float(packet["Time"]), stop)
                else:
                    self._pause(float(packet["Time"]) * self.time_scale, epoch)
            elif verb == "FRC_WaitDIN":
                want = packet["PortValue"] == "ON"
                with ctl.lock:
                    while ctl.epoch == epoch and not self._stop.is_set() and ctl.read_din(int(packet["PortNumber"])) != want:
                        ctl.lock.wait(0.05)
            with ctl.lock:
                if ctl.epoch != epoch:  # aborted while it ran
                    continue
                if target is not None:
                    ctl.finish_motion(packet, target)
            if verb in MOTIONS and packet.get("TermType") == "CNT":
                blending = (epoch, packet)
            else:
                self._answer(epoch, packet)

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


if __name__ == "__main__":
    from simgrasp.robots.emulator_cli import main

    main()
