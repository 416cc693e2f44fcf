"""FANUC Remote Motion Interface packets: pure encode, decode and builders (no sockets).

Facts (RMI option R912, R-30iB Plus): JSON objects, one per line ending in CRLF, over TCP.
A packet names its kind and verb with exactly one of the keys ``Communication`` (session),
``Command`` (runs at once, one reply each) or ``Instruction`` (queued, answered when
finished, carries a ``SequenceID``); JSON objects are unordered, so where that key stands
does not matter. Positions are in millimetres, angles in degrees; W, P, R rotate about
the fixed X, Y, Z axes of the user frame; a top-down grasp is W=180, P=0, R=yaw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from simgrasp.config import INT, NON_NEGATIVE_INT, between, setting
from simgrasp.robots.errors import RMIProtocolError

KINDS = ("Communication", "Command", "Instruction")
EOL = b"\r\n"
MAX_OUTSTANDING = 8  # instructions the controller queues before refusing more
TERM_TYPES = ("FINE", "CNT")


@dataclass(frozen=True)
class Pose:
    """A Cartesian target in the user frame: X, Y, Z in mm; W, P, R in degrees."""

    x: float
    y: float
    z: float
    w: float = 180.0
    p: float = 0.0
    r: float = 0.0

    def to_packet(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in zip("XYZWPR", (self.x, self.y, self.z, self.w, self.p, self.r))}

    @classmethod
    def from_packet(cls, d: dict[str, Any]) -> "Pose":
        try:
            return cls(*(float(d[k]) for k in "XYZWPR"))
        except (KeyError, TypeError, ValueError) as e:
            raise RMIProtocolError(f"expected a Position with X, Y, Z, W, P, R, got {d!r}") from e


BIT = between(0, 1, integer=True)  # an arm flag: 0 or 1


@dataclass(frozen=True)
class Configuration:
    """Arm configuration flags (turn numbers and front/up/left/flip) plus frame numbers;
    the ranges are what the packet can carry, the controller refuses frames it lacks."""

    utool: int = setting(1, NON_NEGATIVE_INT)
    uframe: int = setting(0, NON_NEGATIVE_INT)
    front: int = setting(1, BIT)
    up: int = setting(1, BIT)
    left: int = setting(0, BIT)
    flip: int = setting(0, BIT)
    turn4: int = setting(0, INT)
    turn5: int = setting(0, INT)
    turn6: int = setting(0, INT)

    def to_packet(self) -> dict[str, int]:
        return {
            "UToolNumber": self.utool,
            "UFrameNumber": self.uframe,
            "Front": self.front,
            "Up": self.up,
            "Left": self.left,
            "Flip": self.flip,
            "Turn4": self.turn4,
            "Turn5": self.turn5,
            "Turn6": self.turn6,
        }


# -- wire format ------------------------------------------------------------------------
def packet_kind(packet: dict[str, Any]) -> tuple[str, str]:
    """``(kind, verb)`` of a packet, e.g. ``("Command", "FRC_Reset")``: the one key of
    :data:`KINDS` it holds (anywhere in the object) and its string value."""
    if not isinstance(packet, dict) or not packet:
        raise RMIProtocolError(f"expected a non-empty JSON object, got {str(packet)[:200]}")
    kinds = [k for k in KINDS if k in packet]
    if len(kinds) != 1:
        raise RMIProtocolError(f"a packet must hold exactly one of the keys {KINDS}, got {kinds} in {str(packet)[:200]}")
    verb = packet[kinds[0]]
    if not isinstance(verb, str):
        raise RMIProtocolError(f"expected a string {kinds[0]} verb, got {verb!r}")
    return kinds[0], verb


def encode(packet: dict[str, Any]) -> bytes:
    """One packet as bytes on the wire: compact JSON then CRLF."""
    packet_kind(packet)
    return json.dumps(packet, separators=(",", ":")).encode("ascii") + EOL


def decode(line: bytes | str) -> dict[str, Any]:
    """Parse one line (with or without CRLF) into a packet, checking that it names its kind."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    try:
        packet = json.loads(text.strip())
    except (ValueError, RecursionError) as e:  # RecursionError: arrays nested thousands deep
        raise RMIProtocolError(f"expected one JSON object per line, got {text[:200]!r}: {type(e).__name__}: {e}") from None
    packet_kind(packet)
    return packet


class LineTooLong(RMIProtocolError):
    """No line end within ``max_line`` bytes."""


class LineBuffer:
    """Splits a TCP byte stream into CRLF-terminated lines (a read may hold several), at
    most ``max_line`` bytes each: the buffer never holds more."""

    def __init__(self, max_line: int = 65536) -> None:
        self._buf = b""
        self.max_line = max_line
        self._dropping = False  # inside an overlong line already reported: skip to its end

    def feed(self, data: bytes) -> list[bytes]:
        """The lines ``data`` completes; raises :class:`LineTooLong` on a longer one (for a
        client: the peer is no RMI server)."""
        lines = self.feed_or_drop(data)
        if None in lines:
            raise LineTooLong(f"no line end within {self.max_line} bytes; is this an RMI server?")
        return [line for line in lines if line is not None]

    def feed_or_drop(self, data: bytes) -> list[bytes | None]:
        """The lines ``data`` completes, ``None`` in place of each longer than ``max_line``,
        whose bytes are discarded up to its line end (for a server: answer it, go on)."""
        self._buf += data
        lines: list[bytes | None] = []
        while True:
            i = self._buf.find(b"\n")
            if i < 0:
                break
            line, self._buf = self._buf[:i].rstrip(b"\r"), self._buf[i + 1 :]
            if self._dropping:
                self._dropping = False
            elif len(line) > self.max_line:
                lines.append(None)
            elif line.strip():
                lines.append(line)
        if len(self._buf) > self.max_line:
            self._buf = b""
            if not self._dropping:
                lines.append(None)
                self._dropping = True
        return lines


# -- builders -------------------------------------------------------------------------------
def communication(verb: str) -> dict[str, Any]:
    return {"Communication": verb}


def command(verb: str, **fields: Any) -> dict[str, Any]:
    return {"Command": verb, **fields}


def initialize(group_mask: int = 1) -> dict[str, Any]:
    return command("FRC_Initialize", GroupMask=int(group_mask))


def set_uframe_utool(uframe: int, utool: int) -> dict[str, Any]:
    return command("FRC_SetUFrameUTool", UFrameNumber=int(uframe), UToolNumber=int(utool))


def set_override(percent: int) -> dict[str, Any]:
    if not 1 <= int(percent) <= 100:
        raise ValueError(f"speed override must be 1..100 percent, got {percent}")
    return command("FRC_SetOverRide", Value=int(percent))


def write_dout(port: int, on: bool) -> dict[str, Any]:
    return command("FRC_WriteDOUT", PortNumber=int(port), PortValue="ON" if on else "OFF")


def read_din(port: int) -> dict[str, Any]:
    return command("FRC_ReadDIN", PortNumber=int(port))


def port_value(reply: dict[str, Any]) -> bool:
    """A DIN reply's ``PortValue`` as a bool (controllers send 0/1; "ON"/"OFF" accepted)."""
    v = reply.get("PortValue")
    if isinstance(v, str) and v.upper() in ("ON", "OFF"):
        return v.upper() == "ON"
    if isinstance(v, (int, bool)) and int(v) in (0, 1):
        return bool(v)
    raise RMIProtocolError(f"expected PortValue 0/1 or ON/OFF, got {v!r} in {reply!r}")


def motion(
    seq: int,
    pose: Pose,
    config: Configuration,
    speed_mm_s: int,
    term: str = "FINE",
    term_value: int = 0,
    verb: str = "FRC_LinearMotion",
) -> dict[str, Any]:
    """A Cartesian motion instruction (``FRC_LinearMotion`` or ``FRC_JointMotion``)."""
    if term not in TERM_TYPES:
        raise ValueError(f"TermType must be one of {TERM_TYPES}, got {term!r}")
    if int(speed_mm_s) < 1:
        raise ValueError(f"speed must be a positive integer in mm/s, got {speed_mm_s}")
    if term == "CNT" and not 0 <= term_value <= 100:
        raise ValueError(f"CNT TermValue must be 0..100, got {term_value}")
    return {
        "Instruction": verb,
        "SequenceID": int(seq),
        "Configuration": config.to_packet(),
        "Position": pose.to_packet(),
        "SpeedType": "mmSec",
        "Speed": int(speed_mm_s),
        "TermType": term,
        "TermValue": int(term_value) if term == "CNT" else 0,
    }


def wait_time(seq: int, seconds: float) -> dict[str, Any]:
    return {"Instruction": "FRC_WaitTime", "SequenceID": int(seq), "Time": round(float(seconds), 3)}


def wait_din(seq: int, port: int, on: bool) -> dict[str, Any]:
    return {"Instruction": "FRC_WaitDIN", "SequenceID": int(seq), "PortNumber": int(port), "PortValue": "ON" if on else "OFF"}
