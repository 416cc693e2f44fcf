import socket

import pytest

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import RMIErrorReply, SequenceIDError
from simgrasp.robots.rmi import RMIClient
from simgrasp.rehearsal.emulator import SESSION_PORT, RMIEmulator
from simgrasp.robots.rmi_protocol import Configuration, Pose

CFG = Configuration(utool=1, uframe=1)


def test_position_replies_carry_the_configuration_and_the_frames(emulator, make_client):
    with make_client() as rmi:
        rmi.initialize()
        rmi.set_frames(1, 3)
        rmi.wait(rmi.move([Pose(400.0, 10.0, 200.0, 180.0, 0.0, 30.0)], 100, Configuration(utool=3, uframe=1, turn6=1)))
        reply = rmi.command(rp.command("FRC_ReadCartesianPosition"))
        assert reply["Configuration"] == {"UToolNumber": 3, "UFrameNumber": 1, "Front": 1, "Up": 1, "Left": 0,
                                          "Flip": 0, "Turn4": 0, "Turn5": 0, "Turn6": 1}
        frames = rmi.command(rp.command("FRC_GetUFrameUTool"))
        assert (frames["UFrameNumber"], frames["UToolNumber"]) == (1, 3)


def test_joint_angles_follow_the_tcp(emulator, make_client):
    with make_client() as rmi:
        rmi.initialize()
        angles = []
        for y in (0.0, 200.0):
            rmi.wait(rmi.move([Pose(400.0, y, 200.0)], 100, CFG))
            reply = rmi.command(rp.command("FRC_ReadJointAngles"))
            assert set(reply["JointAngle"]) == {f"J{i}" for i in range(1, 10)} and "TimeTag" in reply
            angles.append(reply["JointAngle"])
        assert angles[0]["J1"] == pytest.approx(0.0) and angles[1]["J1"] == pytest.approx(26.565, abs=1e-3)


def test_linear_relative_moves_by_an_increment(emulator, make_client):
    with make_client() as rmi:
        rmi.initialize()
        rmi.wait(rmi.move([Pose(400.0, 0.0, 200.0)], 100, CFG))
        step = Pose(10.0, -5.0, -50.0, 0.0, 0.0, 15.0)
        rmi.wait(rmi.submit(lambda s: rp.motion(s, step, CFG, 100, verb="FRC_LinearRelative")))
        assert rmi.read_position() == Pose(410.0, -5.0, 150.0, 180.0, 0.0, 15.0)


def test_read_error_reports_the_last_refusal(emulator, make_client):
    with make_client() as rmi:
        assert rmi.command(rp.command("FRC_ReadError"))["ErrorData"] == "No Error"
        with pytest.raises(RMIErrorReply):
            rmi.command(rp.command("FRC_NoSuchThing"))
        reply = rmi.command(rp.command("FRC_ReadError", Count=2))
        assert reply["Count"] == 1 and "RMIT-013" in reply["ErrorData"] and "FRC_NoSuchThing" in reply["ErrorData"]


def test_the_session_port_is_16002_when_free_and_another_when_taken():
    try:
        holder = socket.create_server(("127.0.0.1", SESSION_PORT))  # this test takes 16002
    except OSError:
        holder = None  # something else holds it: only the fallback can be checked here
    try:
        with RMIEmulator(port=0) as emu, RMIClient("127.0.0.1", emu.port) as rmi:
            assert rmi.session_port not in (SESSION_PORT, emu.port)
            assert "RMIMotionStatus" in rmi.status()  # the session on the other port works
    finally:
        if holder is not None:
            holder.close()
    if holder is None:
        return
    with RMIEmulator(port=0) as emu, RMIClient("127.0.0.1", emu.port) as rmi:
        assert rmi.session_port == SESSION_PORT


def test_a_program_left_running_is_refused_until_aborted_as_r912_says(emulator, make_client):
    rmi = make_client().open()
    rmi.initialize()
    rmi._link.send(rp.communication("FRC_Disconnect"))  # leave without FRC_Abort
    rmi._link.receive(2.0)
    rmi._link.close()
    rmi._link = None
    with make_client() as again:
        assert again.status()["RMIMotionStatus"] == 1  # the client can see why...
        with pytest.raises(RMIErrorReply, match="RMIT-015"):
            again.initialize()
        again.abort()  # ...and does what the manual asks before FRC_Initialize
        again.initialize()


def test_an_injected_sequence_error_holds_until_reset(emulator, make_client):
    emulator.inject_sequence_error(2)
    with make_client() as rmi:
        rmi.initialize()
        rmi.wait(rmi.wait_time(0.0))
        with pytest.raises(SequenceIDError):
            rmi.wait(rmi.wait_time(0.0))
        assert emulator.ctl.hold and emulator.ctl.errors[0].startswith("RMIT-029")
