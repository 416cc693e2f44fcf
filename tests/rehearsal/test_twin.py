import numpy as np
import pytest

from simgrasp.robots import rmi_protocol as rp
from simgrasp.robots.errors import COLLISION_DETECTED, RMIErrorReply, SystemFaultError
from simgrasp.robots.rmi import RMIClient
from simgrasp.robots.rmi_protocol import Configuration, Pose
from simgrasp.rehearsal.twin import TwinCell, TwinConfig
from simgrasp.sim.backend import SimBackend

CFG = Configuration(utool=1, uframe=1)


def session(rig):
    rmi = RMIClient("127.0.0.1", rig.emulator.port, timeout_s=5.0, motion_timeout_s=20.0).open()
    rmi.initialize()
    rmi.set_frames(1, 1)
    rmi.set_override(100)
    return rmi


def test_a_linear_move_puts_the_hand_at_the_commanded_pose_in_the_user_frame(twin_rig):
    cell = twin_rig.cell
    cell.reset_scene(1)
    with session(twin_rig) as rmi:
        rmi.wait(rmi.move([Pose(430.0, 40.0, 150.0, 180.0, 0.0, 30.0)], 500, CFG))
        # UFrame 1 sits at world (-0.4, 0, 0): user (430, 40, 150) mm is world (0.03, 0.04, 0.15) m.
        assert cell.tcp == pytest.approx([0.03, 0.04, 0.15])
        assert cell.scene.gripper.tcp() == pytest.approx([0.03, 0.04, 0.15], abs=1e-3)
        yaw = cell.world.client.getEulerFromQuaternion(cell.world.pose(cell.scene.gripper.id)[1])[2]
        assert np.degrees(yaw) == pytest.approx(30.0, abs=0.5)
        assert rmi.read_position() == Pose(430.0, 40.0, 150.0, 180.0, 0.0, 30.0)


def test_move_takes_the_simulated_time_its_speed_asks_for(twin_rig):
    cell = twin_rig.cell
    cell.reset_scene(1)
    with session(twin_rig) as rmi:
        rmi.wait(rmi.move([Pose(400.0, 0.0, 300.0, 180.0, 0.0, 0.0)], 500, CFG))
        steps = cell.world.steps
        rmi.wait(rmi.move([Pose(400.0, 0.0, 200.0, 180.0, 0.0, 0.0)], 100, CFG))
        # 100 mm at a 100 mm/s peak (min-jerk: 1.875 s), 240 steps per simulated second
        assert (cell.world.steps - steps) * cell.world.dt == pytest.approx(1.875, abs=0.01)


def test_the_tool_frame_offsets_the_hand(twin_rig):
    cell = twin_rig.cell
    with session(twin_rig) as rmi:
        rmi.set_frames(1, 2)  # UTool 2: the calibration ball, 100 mm from the jaws
        rmi.wait(rmi.move([Pose(400.0, 0.0, 100.0, 180.0, 0.0, 0.0)], 500, Configuration(utool=2, uframe=1)))
        assert cell.tool_point == pytest.approx([0.0, 0.0, 0.1])
        assert cell.tcp == pytest.approx([0.0, -0.1, 0.1])


def test_a_tilted_target_is_refused_with_an_invalid_position(twin_rig):
    with session(twin_rig) as rmi, pytest.raises(RMIErrorReply, match="RMIT-023"):
        rmi.wait(rmi.move([Pose(400.0, 0.0, 200.0, 150.0, 0.0, 0.0)], 500, CFG))


@pytest.mark.parametrize("on_object, shut", [(False, True), (True, False)])
def test_the_jaw_closed_input_reads_the_simulated_jaws(twin_rig, on_object, shut):
    cell = twin_rig.cell
    cell.reset_scene(0)
    x, y, _ = cell.object_position() if on_object else (0.2, 0.2, 0.0)
    with session(twin_rig) as rmi:
        xy = (x * 1000 + 400, y * 1000)
        rmi.wait(rmi.move([Pose(*xy, 200.0), Pose(*xy, 15.0)], 500, CFG))
        rmi.write_dout(1, True)
        rmi.write_dout(2, False)
        rmi.wait(rmi.wait_time(0.4))
        assert rmi.read_din(1) is shut
        assert (cell.scene.gripper.opening() < 0.003) is shut


def test_a_scene_is_the_sim_backends_scene_for_the_same_seed(twin_rig):
    info = twin_rig.cell.reset_scene(7)
    with SimBackend("random_urdfs:900-909") as sim:
        _, sim_info = sim.reset(7)
        sim_position = sim.world.pose(sim.scene.obj.body)[0]
    assert info["object"] == sim_info["object"] == "random_urdfs/907"
    assert twin_rig.cell.object_position() == pytest.approx(sim_position, abs=1e-9)


def test_an_undefined_frame_is_named():
    cell = TwinCell.__new__(TwinCell)
    cell.cfg = TwinConfig()
    with pytest.raises(ValueError, match="UTool 7 is not defined"):
        cell.hand_target({k: 0.0 for k in "XYZWPR"} | {"W": 180.0}, 1, 7)


@pytest.mark.parametrize("modules, banned", [
    ("simgrasp.robots.backend, simgrasp.robots.rmi, simgrasp.robots.collect, simgrasp.robots.console, "
     "simgrasp.calibrate", ("simgrasp.sim", "pybullet", "torch", "simgrasp.rehearsal")),
    ("simgrasp.rehearsal.emulator, simgrasp.rehearsal.cli", ("simgrasp.sim", "pybullet", "torch")),
])
def test_the_real_robot_path_and_the_bare_emulator_never_import_the_simulator(modules, banned):
    import subprocess
    import sys

    code = f"import sys, {modules}; print(sorted(m for m in sys.modules if m.startswith({banned!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_an_abort_mid_move_leaves_the_arm_where_it_got_to(twin_rig):
    cell = twin_rig.cell
    cell.reset_scene(1)
    with session(twin_rig) as rmi:
        rmi.wait(rmi.move([Pose(400.0, 0.0, 300.0)], 500, CFG))
    stops = iter([False] * 60 + [True] * 1000)
    cell.move({"X": 400.0, "Y": 0.0, "Z": 100.0, "W": 180.0, "P": 0.0, "R": 0.0}, 1, 1, 100.0, lambda: next(stops))
    assert 0.1 < cell.tcp[2] < 0.3  # stopped part of the way down, not at the target
    assert cell.tcp == pytest.approx(cell.scene.gripper.tcp())


def test_a_move_into_the_table_stops_at_contact_with_a_collision_alarm(twin_rig):
    cell = twin_rig.cell
    cell.reset_scene(1)
    tips_below_tcp = cell.cfg.sim.gripper.tip_below_tcp_m
    with session(twin_rig) as rmi:
        rmi.wait(rmi.move([Pose(550.0, 120.0, 100.0)], 500, CFG))  # beside the object
        with pytest.raises(SystemFaultError, match="SRVO-050") as err:
            rmi.wait(rmi.move([Pose(550.0, 120.0, -100.0)], 500, CFG))
        assert err.value.error_id == COLLISION_DETECTED
        assert abs(cell.tcp[2] - tips_below_tcp) < 0.005  # stopped with the fingertips at the table top
        assert twin_rig.emulator.ctl.hold and cell.collisions and cell.faults == []
        assert "SRVO-050" in rmi.command(rp.command("FRC_ReadError"))["ErrorData"]
    with session(twin_rig) as rmi:  # aborted and initialised again: the arm lifts off the table
        rmi.wait(rmi.move([Pose(550.0, 120.0, 200.0)], 500, CFG))
        assert cell.tcp[2] == pytest.approx(0.2)
