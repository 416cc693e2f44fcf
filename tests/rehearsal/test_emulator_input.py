"""The emulator answers bad input as a controller would and keeps serving: one test per
input that used to kill one of its threads or was accepted when it must not be."""

import json
import socket

import pytest

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import RMIT_BASE
from simgrasp.robots.rmi import RMIClient
from simgrasp.rehearsal.emulator import RMIEmulator

from .conftest import RawSession, serves_a_client

INVALID_COMMAND, INVALID_VALUE, INVALID_POSITION = RMIT_BASE + 13, RMIT_BASE + 21, RMIT_BASE + 23
INVALID_UFRAME, INVALID_PORT = RMIT_BASE + 3, RMIT_BASE + 38


def motion(seq=1, **position):
    pose = {"X": 400.0, "Y": 10.0, "Z": 200.0, "W": 180.0, "P": 0.0, "R": 0.0, **position}
    return {"Instruction": "FRC_LinearMotion", "SequenceID": seq, "Configuration": rp.Configuration().to_packet(),
            "Position": {k: v for k, v in pose.items() if v is not None}, "SpeedType": "mmSec", "Speed": 200,
            "TermType": "FINE", "TermValue": 0}


def initialized(emulator) -> RawSession:
    raw = RawSession(emulator.port)
    assert raw.ask({"Command": "FRC_Initialize", "GroupMask": 1})["ErrorID"] == 0
    return raw


@pytest.mark.parametrize("packet, error", [
    ({"Command": "FRC_ReadDIN"}, INVALID_PORT),
    ({"Command": "FRC_WriteDOUT", "PortNumber": "abc", "PortValue": "ON"}, INVALID_PORT),
    ({"Command": "FRC_SetOutput", "PortNumber": "abc"}, INVALID_COMMAND),
    ({"Command": "FRC_SetUFrameUTool"}, INVALID_UFRAME),
])
def test_a_command_missing_or_mistyping_a_field_is_refused_and_the_session_goes_on(emulator, packet, error):
    with RawSession(emulator.port) as raw:
        reply = raw.ask(packet)
        assert (reply["Command"], reply["ErrorID"]) == (packet["Command"], error)
        assert raw.ask({"Command": "FRC_GetStatus"})["ErrorID"] == 0  # the same session still answers
    serves_a_client(emulator.port)


def test_a_line_of_100_kb_without_a_line_end_is_refused_and_the_session_goes_on(emulator):
    with RawSession(emulator.port) as raw:
        raw.send_raw(b"x" * 100_000)
        assert raw.receive()["ErrorID"] == INVALID_COMMAND
        raw.send_raw(b"yyy\r\n")  # the rest of that line: dropped with it
        assert raw.ask({"Command": "FRC_GetStatus"})["ErrorID"] == 0
    serves_a_client(emulator.port)


@pytest.mark.parametrize("packet, error", [
    ({"Instruction": "FRC_WaitTime", "SequenceID": 1}, INVALID_VALUE),
    ({"Instruction": "FRC_WaitDIN", "SequenceID": 1, "PortNumber": 1}, INVALID_VALUE),
    (motion(X="a"), INVALID_POSITION),
    (motion(Z=None), INVALID_POSITION),  # fanuc-rmi's linear_absolute({"X": 400, "Y": 10}, ...)
])
def test_an_instruction_missing_or_mistyping_a_field_is_refused_and_motions_still_run(emulator, packet, error):
    with initialized(emulator) as raw:
        reply = raw.ask(packet)
        assert (reply["Instruction"], reply["SequenceID"], reply["ErrorID"]) == (packet["Instruction"], 1, error)
        # a refused instruction takes no SequenceID: the next one is still 1, and it runs
        assert raw.ask(motion(1)) == {"Instruction": "FRC_LinearMotion", "ErrorID": 0, "SequenceID": 1}
        raw.send({"Command": "FRC_Abort"})
    serves_a_client(emulator.port)


@pytest.mark.parametrize("line", [b"not json", b"[1, 2, 3]", b'"FRC_Connect"', b"{}", b"[" * 5000])
def test_garbage_on_the_connect_port_is_refused_and_the_next_client_is_served(emulator, line):
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=2.0) as conn:
        conn.sendall(line + b"\r\n")
        reply = rp.decode(conn.recv(4096))
    assert (reply["Communication"], reply["ErrorID"]) == ("FRC_Connect", INVALID_COMMAND)
    serves_a_client(emulator.port)


def test_the_key_order_of_a_packet_does_not_matter(emulator):
    with initialized(emulator) as raw:
        assert raw.ask({"Value": 50, "Command": "FRC_SetOverRide"}) == {"Command": "FRC_SetOverRide", "ErrorID": 0}
        packet = motion(1)
        last_first = {k: packet[k] for k in reversed(list(packet))}
        assert raw.ask(last_first) == {"Instruction": "FRC_LinearMotion", "ErrorID": 0, "SequenceID": 1}
        assert emulator.ctl.override == 50 and emulator.ctl.position["X"] == 400.0


def test_a_packet_naming_two_kinds_is_refused(emulator):
    with RawSession(emulator.port) as raw:
        reply = raw.ask({"Command": "FRC_GetStatus", "Instruction": "FRC_WaitTime"})
        assert reply["ErrorID"] == INVALID_COMMAND


def test_a_session_port_never_opened_does_not_keep_the_next_client_waiting(emulator):
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=2.0) as conn:
        conn.sendall(rp.encode(rp.communication("FRC_Connect")))
        assert json.loads(conn.recv(4096))["ErrorID"] == 0  # and this client never opens its session
    with RMIClient("127.0.0.1", emulator.port, timeout_s=1.0) as rmi:  # answered at once, not after a timeout
        assert rmi.status()["ErrorID"] == 0


def test_a_session_port_never_opened_is_closed_again():
    with RMIEmulator(port=0, session_port=0) as emulator:
        check_the_pending_port_closes(emulator)


def check_the_pending_port_closes(emulator):
    emulator.session_accept_s = 0.1
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=2.0) as conn:
        conn.sendall(rp.encode(rp.communication("FRC_Connect")))
        port = json.loads(conn.recv(4096))["PortNumber"]
    for _ in range(100):
        if emulator.pending_session_port is None:
            break
        emulator._stop.wait(0.02)
    assert emulator.pending_session_port is None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
    serves_a_client(emulator.port)
