"""Links carry RMI packets: a TCP socket to a controller, or a dry run that prints them.

A link sends one packet and receives the next one, with a timeout on every read. The
client above it does the protocol (hand-over, sequence IDs, replies); a link only moves
lines, so the dry run exercises exactly the packets a real run would send.
"""

from __future__ import annotations

import json
import socket
from typing import Any, Callable, Protocol

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import RMIConnectionError


class Link(Protocol):
    """One TCP conversation with the controller."""

    def send(self, packet: dict[str, Any]) -> None: ...

    def receive(self, timeout_s: float) -> dict[str, Any]:
        """The next packet; raises ``TimeoutError`` when none comes within ``timeout_s``
        and :class:`RMIConnectionError` when the peer closed the connection."""
        ...

    def close(self) -> None: ...


LinkFactory = Callable[[str, int, float], Link]


class SocketLink:
    """A TCP connection carrying CRLF-terminated JSON packets."""

    def __init__(self, sock: socket.socket, where: str) -> None:
        self._sock = sock
        self._lines = rp.LineBuffer()
        self._pending: list[bytes] = []
        self.where = where

    @classmethod
    def open(cls, host: str, port: int, timeout_s: float) -> "SocketLink":
        """Connect to ``host:port`` within ``timeout_s`` seconds."""
        try:
            sock = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as e:
            raise RMIConnectionError(f"cannot connect to the RMI server at {host}:{port} within {timeout_s} s: {e}") from e
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, f"{host}:{port}")

    def send(self, packet: dict[str, Any]) -> None:
        try:
            self._sock.sendall(rp.encode(packet))
        except OSError as e:
            raise RMIConnectionError(f"lost the connection to {self.where} while sending {packet}: {e}") from e

    def receive(self, timeout_s: float) -> dict[str, Any]:
        while not self._pending:
            self._sock.settimeout(max(timeout_s, 1e-3))
            try:
                data = self._sock.recv(65536)
            except socket.timeout:
                raise TimeoutError(f"no packet from {self.where} within {timeout_s:.1f} s") from None
            except OSError as e:
                raise RMIConnectionError(f"lost the connection to {self.where}: {e}") from e
            if not data:
                raise RMIConnectionError(f"the controller at {self.where} closed the connection")
            self._pending.extend(self._lines.feed(data))
        return rp.decode(self._pending.pop(0))

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


class DryRunLink:
    """Prints every packet it is given and answers as an idle, healthy controller would.

    Nothing connects anywhere. Inputs read OFF unless ``din`` says otherwise."""

    def __init__(self, where: str, print_fn: Callable[[str], None] = print, din: dict[int, bool] | None = None) -> None:
        self.where = where
        self._print = print_fn
        self._replies: list[dict[str, Any]] = []
        self._din = dict(din or {})
        self._next_seq = 1
        self._position: dict[str, float] = {k: 0.0 for k in "XYZWPR"}

    @classmethod
    def factory(cls, print_fn: Callable[[str], None] = print, din: dict[int, bool] | None = None) -> LinkFactory:
        def make(host: str, port: int, timeout_s: float) -> Link:
            return cls(f"{host}:{port}", print_fn, din)

        return make

    def send(self, packet: dict[str, Any]) -> None:
        self._print(f"[dry run -> {self.where}] {json.dumps(packet, separators=(',', ':'))}")
        kind, verb = rp.packet_kind(packet)
        reply: dict[str, Any] = {kind: verb, "ErrorID": 0}
        if verb == "FRC_Connect":
            port = int(self.where.rsplit(":", 1)[1])
            reply.update(PortNumber=port + 1, MajorVersion=0, MinorVersion=0)
        elif verb == "FRC_Initialize":
            self._next_seq = 1
        elif verb == "FRC_GetStatus":
            reply.update(ServoReady=1, TPMode=0, RMIMotionStatus=0, ProgramStatus=0, NextSequenceID=self._next_seq, Override=0)
        elif verb == "FRC_ReadDIN":
            reply.update(PortNumber=packet["PortNumber"], PortValue=int(self._din.get(int(packet["PortNumber"]), False)))
        elif verb == "FRC_ReadCartesianPosition":
            reply.update(Position=dict(self._position), TimeTag=0)
        if kind == "Instruction":
            reply["SequenceID"] = packet["SequenceID"]
            self._next_seq = int(packet["SequenceID"]) + 1
            if "Position" in packet:
                self._position = dict(packet["Position"])
        self._replies.append(reply)

    def receive(self, timeout_s: float) -> dict[str, Any]:
        if not self._replies:
            raise TimeoutError(f"dry run: nothing to answer on {self.where}")
        return self._replies.pop(0)

    def close(self) -> None:
        self._replies.clear()
