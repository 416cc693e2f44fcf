import json

import pytest

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import (
    RMIErrorReply,
    RMIProtocolError,
    SequenceIDError,
    ServoOffError,
    TeachPendantEnabledError,
    describe_error,
    error_from_id,
    rmit_code,
)


def test_encode_is_one_json_object_per_crlf_line():
    wire = rp.encode(rp.communication("FRC_Connect"))
    assert wire == b'{"Communication":"FRC_Connect"}\r\n'
    assert rp.decode(wire) == {"Communication": "FRC_Connect"}


@pytest.mark.parametrize("packet", [{}, {"Verb": "x"}, {"Command": "FRC_Reset", "Instruction": "FRC_WaitTime"},
                                    {"Command": 7}, [{"Command": "FRC_Reset"}]])
def test_a_packet_must_name_exactly_one_kind_with_a_string_verb(packet):
    with pytest.raises(RMIProtocolError, match="exactly one of the keys|non-empty|string"):
        rp.encode(packet)


def test_the_kind_key_may_stand_anywhere_in_the_object():
    assert rp.packet_kind({"ErrorID": 0, "Command": "FRC_Reset"}) == ("Command", "FRC_Reset")
    assert rp.decode(b'{"SequenceID":1,"Instruction":"FRC_WaitTime","Time":0}\r\n')["Instruction"] == "FRC_WaitTime"


@pytest.mark.parametrize("line", [b"[1, 2]", b'"FRC_Connect"', b"[" * 100_000, b"\xff\xfe"])
def test_decode_names_what_is_no_packet(line):
    with pytest.raises(RMIProtocolError):
        rp.decode(line)


def test_decode_rejects_non_json_with_the_text():
    with pytest.raises(RMIProtocolError, match="not json"):
        rp.decode(b"not json\r\n")


def test_motion_packet_fields():
    p = rp.motion(3, rp.Pose(400.0, -20.5, 115.0, 180.0, 0.0, 60.0), rp.Configuration(utool=1, uframe=2), 100, "CNT", 50)
    assert list(p)[:2] == ["Instruction", "SequenceID"]
    assert p["Instruction"] == "FRC_LinearMotion" and p["SequenceID"] == 3
    assert p["Position"] == {"X": 400.0, "Y": -20.5, "Z": 115.0, "W": 180.0, "P": 0.0, "R": 60.0}
    assert p["Configuration"]["UFrameNumber"] == 2 and p["Configuration"]["UToolNumber"] == 1
    assert (p["SpeedType"], p["Speed"], p["TermType"], p["TermValue"]) == ("mmSec", 100, "CNT", 50)
    assert isinstance(p["Speed"], int)
    fine = rp.motion(4, rp.Pose(0, 0, 0), rp.Configuration(), 100)
    assert (fine["TermType"], fine["TermValue"]) == ("FINE", 0)
    assert json.loads(rp.encode(fine)) == fine


@pytest.mark.parametrize(
    "kw, why",
    [({"term": "STOP"}, "TermType"), ({"speed_mm_s": 0}, "speed"), ({"term": "CNT", "term_value": 150}, "CNT")],
)
def test_bad_motion_arguments_are_refused(kw, why):
    args = {"seq": 1, "pose": rp.Pose(0, 0, 0), "config": rp.Configuration(), "speed_mm_s": 100, **kw}
    with pytest.raises(ValueError, match=why):
        rp.motion(**args)


def test_command_builders():
    assert rp.initialize(1) == {"Command": "FRC_Initialize", "GroupMask": 1}
    assert rp.set_uframe_utool(2, 3) == {"Command": "FRC_SetUFrameUTool", "UFrameNumber": 2, "UToolNumber": 3}
    assert rp.set_override(10) == {"Command": "FRC_SetOverRide", "Value": 10}
    assert rp.write_dout(5, True) == {"Command": "FRC_WriteDOUT", "PortNumber": 5, "PortValue": "ON"}
    assert rp.write_dout(5, False)["PortValue"] == "OFF"
    assert rp.wait_time(7, 0.5) == {"Instruction": "FRC_WaitTime", "SequenceID": 7, "Time": 0.5}
    with pytest.raises(ValueError, match="1..100"):
        rp.set_override(0)


@pytest.mark.parametrize("value, expected", [(1, True), (0, False), ("ON", True), ("off", False)])
def test_port_value_reads_numbers_and_words(value, expected):
    assert rp.port_value({"Command": "FRC_ReadDIN", "PortValue": value}) is expected


def test_port_value_rejects_garbage():
    with pytest.raises(RMIProtocolError, match="PortValue"):
        rp.port_value({"Command": "FRC_ReadDIN", "PortValue": 7})


def test_line_buffer_splits_and_joins_reads():
    buf = rp.LineBuffer()
    assert buf.feed(b'{"Command":"A"}\r\n{"Comm') == [b'{"Command":"A"}']
    assert buf.feed(b'and":"B"}\r\n\r\n') == [b'{"Command":"B"}']


def test_line_buffer_refuses_an_overlong_line_as_a_client():
    with pytest.raises(rp.LineTooLong, match="no line end within 16 bytes"):
        rp.LineBuffer(16).feed(b"x" * 17)


def test_line_buffer_drops_an_overlong_line_as_a_server_and_keeps_the_next():
    buf = rp.LineBuffer(16)
    assert buf.feed_or_drop(b"x" * 40) == [None]  # reported once, its bytes never kept
    assert buf.feed_or_drop(b"x" * 40 + b'\r\n{"Command":"A"}\r\n') == [b'{"Command":"A"}']
    assert buf.feed_or_drop(b"y" * 20 + b'\r\n{"Command":"B"}\r\n') == [None, b'{"Command":"B"}']


def test_error_ids_map_to_rmit_codes_and_classes():
    assert rmit_code(2556935) == "RMIT-007"
    assert rmit_code(2556957) == "RMIT-029"
    assert isinstance(error_from_id(2556935), ServoOffError)
    assert isinstance(error_from_id(2556936), TeachPendantEnabledError)
    assert isinstance(error_from_id(2556957, "FRC_LinearMotion"), SequenceIDError)
    other = error_from_id(2556999, "FRC_Reset")
    assert type(other) is RMIErrorReply and other.error_id == 2556999
    assert "FRC_Reset" in str(other) and "RMIT-071" in str(other)
    assert "servo" in describe_error(2556935) and "2556935" in describe_error(2556935)
