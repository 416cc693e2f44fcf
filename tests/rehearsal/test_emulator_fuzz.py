"""Fuzz the emulator: every command and instruction with each field removed, mistyped and
out of range, then random bytes, overlong lines and garbage on both ports; afterwards the
same emulator still serves a well-formed client, a FanucBackend trial and fanuc-rmi."""

import copy
import random
import socket
from typing import Any, Iterator

import pytest

from simgrasp.geometry import GraspRect
from simgrasp.robots import rmi_protocol as rp
from simgrasp.rehearsal.commands import COMMANDS
from simgrasp.rehearsal.controller import INSTRUCTIONS
from simgrasp.robots.errors import RMIT_BASE
from simgrasp.rehearsal.emulator import RMIEmulator

from .conftest import RawSession, serves_a_client

BAD_TYPES = ["abc", None, [], {}, True, 1e308]  # wrong for every field below (2.5: for integer fields)
CONFIGURATION = rp.Configuration(uframe=1).to_packet()
POSE = {"X": 400.0, "Y": 0.0, "Z": 200.0, "W": 180.0, "P": 0.0, "R": 0.0}

# verb -> (a well-formed packet, its optional fields, {field path: out-of-range values})
COMMAND_CASES: dict[str, tuple[dict[str, Any], set[str], dict[str, list[Any]]]] = {
    "FRC_Initialize": ({"GroupMask": 1}, {"GroupMask"}, {"GroupMask": [0, 2, -1, 1.5]}),
    "FRC_Abort": ({}, set(), {}),
    "FRC_Reset": ({}, set(), {}),
    "FRC_GetStatus": ({}, set(), {}),
    "FRC_SetUFrameUTool": ({"UFrameNumber": 1, "UToolNumber": 1}, set(), {"UFrameNumber": [-1, 10, 2.5],
                                                                        "UToolNumber": [0, 11, 2.5]}),
    "FRC_GetUFrameUTool": ({}, set(), {}),
    "FRC_SetOverRide": ({"Value": 50}, set(), {"Value": [0, 101, -50, 10**12, 2.5]}),
    "FRC_WriteDOUT": ({"PortNumber": 7, "PortValue": "ON"}, set(), {"PortNumber": [0, 513, 2.5],
                                                                     "PortValue": ["on", "1", 1, "TRUE"]}),
    "FRC_ReadDIN": ({"PortNumber": 7}, set(), {"PortNumber": [0, 513, 10**9, 2.5]}),
    "FRC_ReadCartesianPosition": ({}, set(), {}),
    "FRC_ReadJointAngles": ({}, set(), {}),
    "FRC_ReadError": ({"Count": 1}, {"Count"}, {"Count": [0, 6, -1, 2.5]}),
}

MOTION = {"Configuration": CONFIGURATION, "Position": POSE, "SpeedType": "mmSec", "Speed": 200, "TermType": "CNT",
          "TermValue": 50}
MOTION_RANGES = {"SequenceID": [0, 2, 2.5], "Position.X": [5000.0, -1e6], "Position.Z": [3000.0],
                 "Position.W": [720.0, -1e4], "Configuration.UFrameNumber": [10, -1, 2.5],
                 "Configuration.UToolNumber": [0, 11], "Configuration.Front": [2, -1, 0.5], "Configuration.Turn4": [9, -9],
                 "Speed": [0, -5, 10**7], "SpeedType": ["fast", "mmsec", ""], "TermType": ["STOP", "fine", "CR"],
                 "TermValue": [101, -1, 2.5]}
INSTRUCTION_CASES: dict[str, tuple[dict[str, Any], set[str], dict[str, list[Any]]]] = {
    "FRC_LinearMotion": (MOTION, set(), MOTION_RANGES),
    "FRC_LinearRelative": ({**MOTION, "Position": {k: 0.0 for k in "XYZWPR"}}, set(),
                           {**MOTION_RANGES, "Position.X": [5000.0], "Position.Z": [-1e5]}),
    "FRC_JointMotion": (MOTION, set(), MOTION_RANGES),
    "FRC_WaitTime": ({"Time": 0.0}, set(), {"SequenceID": [0, 2], "Time": [-1.0, 1e7]}),
    "FRC_WaitDIN": ({"PortNumber": 7, "PortValue": "ON"}, set(), {"SequenceID": [2], "PortNumber": [0, 600, 2.5],
                                                                   "PortValue": ["ON ", 0]}),
}


def fields(packet: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every field path of ``packet``, nested objects' fields as ``Outer.inner``."""
    for k, v in packet.items():
        yield prefix + k
        if isinstance(v, dict):
            yield from fields(v, f"{prefix}{k}.")


def mutated(packet: dict[str, Any], path: str, value: Any = ...) -> dict[str, Any]:
    """``packet`` with the field at ``path`` set to ``value`` (``...``: removed)."""
    out = copy.deepcopy(packet)
    *outer, last = path.split(".")
    d = out
    for k in outer:
        d = d[k]
    if value is ...:
        del d[last]
    else:
        d[last] = value
    return out


def variants(packet: dict[str, Any], optional: set[str], ranges: dict[str, list[Any]]) -> Iterator[tuple[str, dict]]:
    """Malformed copies of ``packet``: each required field removed, each field mistyped,
    each listed field out of range."""
    for path in fields(packet):
        if path not in optional:
            yield f"{path} removed", mutated(packet, path)
        for bad in BAD_TYPES:
            yield f"{path}={bad!r}", mutated(packet, path, bad)
        for bad in ranges.get(path, []):
            yield f"{path}={bad!r}", mutated(packet, path, bad)


def test_the_fuzz_cases_cover_every_command_and_instruction():
    assert set(COMMAND_CASES) == set(COMMANDS) and set(INSTRUCTION_CASES) == set(INSTRUCTIONS)


def is_refusal(reply: dict[str, Any], kind: str, verb: str) -> bool:
    return reply.get(kind) == verb and 0 < reply.get("ErrorID", 0) - RMIT_BASE < 100


def fuzz_commands(raw: RawSession, emulator: RMIEmulator) -> list[str]:
    misses = []
    state = (emulator.ctl.override, emulator.ctl.uframe, emulator.ctl.utool, dict(emulator.ctl.dout))
    for verb, (template, optional, ranges) in COMMAND_CASES.items():
        for what, packet in variants({"Command": verb, **template}, optional | {"Command"}, ranges):
            if what.startswith("Command"):
                continue  # the verb itself is fuzzed with the garbage lines
            reply = raw.ask(packet)
            if not is_refusal(reply, "Command", verb):
                misses.append(f"{verb} {what}: {reply}")
    after = (emulator.ctl.override, emulator.ctl.uframe, emulator.ctl.utool, dict(emulator.ctl.dout))
    assert after == state, "a refused command changed the controller"
    return misses


def fuzz_instructions(raw: RawSession) -> list[str]:
    misses = []
    for verb, (template, optional, ranges) in INSTRUCTION_CASES.items():
        packet = {"Instruction": verb, "SequenceID": 1, **template}
        for what, bad in variants(packet, optional, ranges):
            if what.startswith("Instruction"):
                continue
            assert raw.ask({"Command": "FRC_Abort"})["ErrorID"] == 0  # a fresh program: SequenceID 1 is next
            assert raw.ask({"Command": "FRC_Initialize"})["ErrorID"] == 0
            reply = raw.ask(bad)
            if not is_refusal(reply, "Instruction", verb):
                misses.append(f"{verb} {what}: {reply}")
    raw.ask({"Command": "FRC_Abort"})
    return misses


def garbage_lines(rng: random.Random) -> list[bytes]:
    lines = [bytes(rng.choice([b for b in range(256) if b not in (10, 13)]) for _ in range(rng.randint(1, 300)))
             for _ in range(150)]
    lines += [b"[1, 2]", b"42", b'"FRC_Reset"', b"null", b"{}", b'{"Command": 5}', b'{"Command": {"a": 1}}',
              b'{"Command": "FRC_Reset", "Communication": "FRC_Connect"}', b"[" * 6000, b'{"a":' * 3000,
              b'{"Command": "FRC_GetStatus"', b"\xff\xfe\x00", b"NaN", b'{"Instruction": null}']
    return [line for line in lines if line.strip()]


def fuzz_lines(raw: RawSession) -> list[str]:
    misses = []
    for line in garbage_lines(random.Random(0)):
        raw.send_raw(line + b"\r\n")
        reply = raw.receive()
        if reply.get("ErrorID") != RMIT_BASE + 13:
            misses.append(f"{line[:40]!r}: {reply}")
    raw.send_raw(b"z" * 300_000 + b"\r\n")  # overlong, with its line end
    assert raw.receive()["ErrorID"] == RMIT_BASE + 13
    raw.send_raw(b"z" * 1_000_000)  # overlong, line end much later
    assert raw.receive()["ErrorID"] == RMIT_BASE + 13
    raw.send_raw(b'z"}\r\n')
    assert raw.ask({"Command": "FRC_GetStatus"})["ErrorID"] == 0
    return misses


def fuzz_connect_port(port: int) -> list[socket.socket]:
    """Garbage on the connect port; returns connections left open and silent."""
    for line in (b"not json", b"[]", b'{"Communication": "FRC_Disconnect"}', b"\x00" * 20_000, b"{" * 20):
        with socket.create_connection(("127.0.0.1", port), timeout=2.0) as conn:
            conn.sendall(line + b"\r\n")
            reply = rp.decode(conn.recv(4096))
            assert (reply["Communication"], reply["ErrorID"]) == ("FRC_Connect", RMIT_BASE + 13), line[:20]
    silent = [socket.create_connection(("127.0.0.1", port), timeout=2.0) for _ in range(3)]
    with socket.create_connection(("127.0.0.1", port), timeout=2.0) as conn:  # handed a port, never opened
        conn.sendall(rp.encode(rp.communication("FRC_Connect")))
        assert rp.decode(conn.recv(4096))["ErrorID"] == 0
    return silent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fuzzed():
    """An emulator on a known session port that has been through the whole fuzz."""
    with RMIEmulator(port=0, session_port=free_port()) as emu:
        with RawSession(emu.port) as raw:
            misses = fuzz_commands(raw, emu) + fuzz_instructions(raw) + fuzz_lines(raw)
        assert misses == []
        silent = fuzz_connect_port(emu.port)
        try:
            yield emu
        finally:
            for conn in silent:
                conn.close()


def test_after_the_fuzz_a_client_completes_a_sequence(fuzzed):
    assert len(fuzzed.log) > 2000  # the fuzz did run
    serves_a_client(fuzzed.port)


def test_after_the_fuzz_a_fanuc_backend_completes_a_trial(fuzzed, make_backend):
    fuzzed.ctl.object_present = True
    backend = make_backend({"connection": {"port": fuzzed.port}})
    obs, _ = backend.reset(0)
    out = backend.execute(obs.camera.image_to_world(GraspRect(320.0, 240.0, 30.0, 50.0, 20.0)))
    assert out.success, out


def test_after_the_fuzz_fanuc_rmi_drives_a_motion(fuzzed):
    fanuc_rmi = pytest.importorskip("fanuc_rmi", reason="fanuc-rmi (the dev extra) is not installed")
    robot = fanuc_rmi.RobotClient("127.0.0.1", startup_port=fuzzed.port, main_port=fuzzed._requested_session_port,
                                  socket_timeout=5.0, reader_timeout=5.0, attempts=3, retry_delay=0.1,
                                  startup_pause=0.0)
    robot.connect()
    try:
        robot.initialize(uframe=1, utool=1)
        robot.linear_absolute({"X": 400, "Y": 10}, speed=200, sequence_id=1, uframe=1)  # no Z: refused, ID unused
        robot.linear_absolute({**POSE, "Y": 10.0}, speed=200, sequence_id=1, uframe=1)
    finally:
        robot.abort()
        robot.close()
    replies = [e.packet for e in fuzzed.log if e.direction == "out" and "Instruction" in e.packet][-2:]
    assert [(r["SequenceID"], r["ErrorID"]) for r in replies] == [(1, RMIT_BASE + 23), (1, 0)]
    assert (fuzzed.ctl.position["X"], fuzzed.ctl.position["Y"], fuzzed.ctl.position["Z"]) == (400.0, 10.0, 200.0)
