"""FANUC Remote Motion Interface packets: pure encode, decode and builders (no sockets).

Facts (RMI option R912, R-30iB Plus): JSON objects, one per line ending in CRLF, over TCP.
A packet's first key names its kind and verb: ``Communication`` (session), ``Command``
(runs at once, one reply each) or ``Instruction`` (queued, answered when finished, carries
a ``SequenceID``). Positions are in millimetres, angles in degrees; W, P, R rotate about
the fixed X, Y, Z axes of the user frame; a top-down grasp is W=180, P=0, R=yaw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Configuration:
    """Arm configuration flags (turn numbers and front/up/left/flip) plus frame numbers."""

    utool: int = 1
    uframe: int = 0
    front: int = 1
    up: int = 1
    left: int = 0
    flip: int = 0
    turn4: int = 0
    turn5: int = 0
    turn6: int = 0

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
    """``(kind, verb)`` of a packet, e.g. ``("Command", "FRC_Reset")``; the kind is its
    first key."""
    if not isinstance(packet, dict) or not packet:
        raise RMIProtocolError(f"expected a non-empty JSON object, got {packet!r}")
    first = next(iter(packet))
    if first not in KINDS:
        raise RMIProtocolError(f"a packet's first key must be one of {KINDS}, got {first!r} in {packet!r}")
    return first, str(packet[first])


def encode(packet: dict[str, Any]) -> bytes:
    """One packet as bytes on the wire: compact JSON then CRLF."""
    packet_kind(packet)
    return json.dumps(packet, separators=(",", ":")).encode("ascii") + EOL


def decode(line: bytes | str) -> dict[str, Any]:
    """Parse one line (with or without CRLF) into a packet, checking its first key."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    try:
        packet = json.loads(text.strip())
    except json.JSONDecodeError as e:
        raise RMIProtocolError(f"expected one JSON object per line, got {text[:200]!r}: {e}") from None
    packet_kind(packet)
    return packet


class LineBuffer:
    """Splits a TCP byte stream into CRLF-terminated lines (a read may hold several)."""

    def __init__(self, max_line: int = 65536) -> None:
        self._buf = b""
        self.max_line = max_line

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        lines = []
        while True:
            i = self._buf.find(b"\n")
            if i < 0:
                break
            line, self._buf = self._buf[:i].rstrip(b"\r"), self._buf[i + 1 :]
            if line.strip():
                lines.append(line)
        if len(self._buf) > self.max_line:
            raise RMIProtocolError(f"no line end within {self.max_line} bytes; is this an RMI server?")
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
