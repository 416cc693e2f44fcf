import pytest

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import (
    AlreadyConnectedError,
    RMIConnectionError,
    RMITimeoutError,
    SequenceIDError,
    ServoOffError,
    SystemFaultError,
    TeachPendantEnabledError,
)
from simgrasp.robots.rmi_protocol import Configuration, Pose

CFG = Configuration()


def verbs(emu, direction="in", channel="session"):
    out = []
    for e in emu.log:
        if e.direction == direction and e.channel == channel:
            p = e.packet
            out.append(p.get("Communication") or p.get("Command") or p.get("Instruction"))
    return out


def test_connect_hands_over_to_the_session_port(emulator, make_client):
    with make_client() as rmi:
        assert rmi.session_port not in (None, emulator.port)
        assert rmi.version == (1, 0)
        rmi.status()
        assert emulator.session_active
    assert verbs(emulator, channel="connect") == ["FRC_Connect"]
    assert verbs(emulator)[-2:] == ["FRC_Abort", "FRC_Disconnect"]
    assert not emulator.session_active


def test_one_client_at_a_time(make_client):
    with make_client():
        with pytest.raises(AlreadyConnectedError, match="already connected"):
            make_client().open()


def test_sequence_ids_start_at_one_and_are_consecutive(emulator, make_client):
    with make_client() as rmi:
        rmi.initialize()
        last = rmi.move([Pose(300, 0, 300), Pose(300, 0, 200), Pose(300, 50, 200)], 100, CFG)
        rmi.wait(last)
        rmi.abort()
        rmi.initialize()  # a new program: numbering starts again
        rmi.wait(rmi.wait_time(0.0))
    ids = [p["SequenceID"] for p in emulator.received() if "Instruction" in p]
    assert ids == [1, 2, 3, 1]


def test_sequence_gap_holds_until_reset_then_resumes(emulator, make_client):
    with make_client() as rmi:
        rmi.initialize()
        rmi.wait(rmi.wait_time(0.0))
        rmi.next_seq += 1  # skip an ID, as a buggy client would
        with pytest.raises(SequenceIDError, match="RMIT-029"):
            rmi.wait(rmi.wait_time(0.0))
        assert emulator.ctl.hold
        rmi.reset()
        assert rmi.next_seq == 2  # taken from the controller's NextSequenceID
        rmi.wait(rmi.wait_time(0.0))
    assert [p["SequenceID"] for p in emulator.received("FRC_WaitTime")] == [1, 3, 2]


def test_never_more_than_eight_outstanding(emulator, make_client):
    emulator.time_scale = 1.0
    with make_client() as rmi:
        rmi.initialize()
        for _ in range(20):
            rmi.wait_time(0.005)
        rmi.wait_all()
        assert rmi.max_outstanding_seen == 8
        assert not rmi.outstanding
    assert emulator.ctl.max_outstanding == 8  # the controller never saw a 9th


def test_cnt_is_answered_only_when_the_next_motion_takes_over(emulator, make_client):
    with make_client() as rmi:
        rmi.initialize()
        cnt = rmi.submit(lambda s: rp.motion(s, Pose(300, 0, 300), CFG, 100, "CNT", 50))
        with pytest.raises(ValueError, match="FINE"):
            rmi.wait(cnt)  # would never be answered: refused instead of hanging
        fine = rmi.move([Pose(300, 0, 200)], 100, CFG)
        rmi.wait(fine)
        assert not rmi.outstanding
    out = [e.packet.get("SequenceID") for e in emulator.log if e.direction == "out" and "Instruction" in e.packet]
    assert out == [cnt, fine]


def test_command_timeout_is_reported(emulator, make_client):
    with make_client(motion_timeout_s=0.2) as rmi:
        rmi.initialize()
        seq = rmi.wait_time(5.0)
        with pytest.raises(RMITimeoutError, match=f"SequenceID {seq}.*0.2 s"):
            rmi.wait(seq)
    assert not emulator.ctl.initialized  # aborted on the way out


def test_pushed_fault_raises_and_the_session_ends_aborted(emulator, make_client):
    with pytest.raises(SystemFaultError, match="RMIT-007"):
        with make_client() as rmi:
            rmi.initialize()
            emulator.inject_fault(2556935, after_packets=1)  # while the next one runs
            rmi.wait(rmi.wait_time(5.0))
    assert verbs(emulator)[-2:] == ["FRC_Abort", "FRC_Disconnect"]
    assert not emulator.ctl.initialized and not emulator.session_active


def test_dropped_connection_raises(emulator, make_client):
    rmi = make_client().open()
    rmi.initialize()
    emulator.drop_after(1)
    with pytest.raises(RMIConnectionError, match="closed the connection|lost the connection"):
        rmi.status()
    rmi.close()  # nothing to tell a closed socket; must not raise
    assert not rmi.connected


@pytest.mark.parametrize("flag, error", [("servo_ready", ServoOffError), ("tp_enabled", TeachPendantEnabledError)])
def test_refusals_become_named_errors(emulator, make_client, flag, error):
    setattr(emulator.ctl, flag, not getattr(emulator.ctl, flag))
    with make_client() as rmi:
        with pytest.raises(error):
            rmi.initialize()


def test_ctrl_c_still_aborts_and_disconnects(emulator, make_client):
    with pytest.raises(KeyboardInterrupt):
        with make_client() as rmi:
            rmi.initialize()
            raise KeyboardInterrupt
    assert verbs(emulator)[-2:] == ["FRC_Abort", "FRC_Disconnect"]
    assert not emulator.session_active


def test_a_second_client_right_after_the_first_is_refused_every_time(make_client):
    """The first client's session connection may still wait to be accepted when a second
    asks: it was once handed the same port, which then closed (connection refused)."""
    for _ in range(25):
        with make_client():
            with pytest.raises(AlreadyConnectedError, match="already connected"):
                make_client().open()
