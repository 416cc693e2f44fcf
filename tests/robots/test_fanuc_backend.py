import numpy as np
import pytest

from simgrasp.backends.trial import STAGES

from simgrasp.backends import make_backend
from simgrasp.backends.base import (
    DROPPED_CARRY,
    MISSED,
    ROBOT_ERROR,
    SLIPPED,
    SUCCESS,
    UNREACHABLE,
    Backend,
    BackendError,
)
from simgrasp.geometry import GraspRect, WorldGrasp
from simgrasp.geometry.homography import HomographyCamera
from simgrasp.robots.camera import ArrayCamera
from simgrasp.robots.errors import RMIConnectionError, RobotError, ServoOffError, SystemFaultError

CENTRE = GraspRect(320.0, 240.0, 30.0, 50.0, 20.0)  # maps to (384, 0) mm in the example cell


def verbs_in(emu):
    return [p.get("Communication") or p.get("Command") or p.get("Instruction") for p in emu.received()]


def run_trial(backend, seed=0):
    obs, info = backend.reset(seed)
    return backend.execute(obs.camera.image_to_world(CENTRE)), obs, info


def test_whole_trial_succeeds_when_the_object_stays_between_the_jaws(emulator, make_backend):
    emulator.ctl.object_present = True
    backend = make_backend()
    out, obs, info = run_trial(backend)
    assert isinstance(backend, Backend)
    assert obs.rgb.shape == (480, 640, 3) and obs.depth is None
    assert isinstance(obs.camera, HomographyCamera)
    assert info["object"] == "mug" and info["backend"] == "fanuc"
    assert (out.success, out.reason, out.lifted, out.carried, out.placed) == (True, SUCCESS, True, True, True)
    assert set(out.timings_s) == {"validate", *STAGES}  # the one protocol's stages, as in the sim
    assert not emulator.ctl.jaws_closed  # released
    pos = emulator.ctl.position
    # set down at the carried-to place (the default carry: 150 mm along +Y), then up from there
    assert (pos["X"], pos["Y"], pos["Z"]) == pytest.approx((384.0, 150.0, 115.0))
    assert pos["R"] == pytest.approx(60.0)  # image 30 deg maps to world -120 = 60 folded
    backend.close()
    assert verbs_in(emulator)[-2:] == ["FRC_Abort", "FRC_Disconnect"]


def test_jaws_closing_fully_is_a_miss(emulator, make_backend):
    out, _, _ = run_trial(make_backend())
    assert (out.success, out.reason, out.lifted) == (False, MISSED, False)
    assert not emulator.ctl.jaws_closed  # opened again after the miss


@pytest.mark.parametrize("motions, reason, lifted", [(1, SLIPPED, False), (2, DROPPED_CARRY, True)])
def test_an_object_lost_on_the_way_is_labelled(emulator, make_backend, motions, reason, lifted):
    emulator.ctl.object_present = True
    emulator.ctl.drop_after_motions = motions  # 1: during the lift, 2: during the carry
    out, _, _ = run_trial(make_backend())
    assert (out.success, out.reason, out.lifted, out.carried) == (False, reason, lifted, False)


def test_gripper_switches_only_after_the_fine_move_is_answered(emulator, make_backend):
    emulator.ctl.object_present = True
    run_trial(make_backend())
    done: set[int] = set()
    sent: set[int] = set()
    douts = 0
    for e in emulator.log:
        p = e.packet
        if e.channel != "session":
            continue
        if e.direction == "in" and p.get("Instruction") in ("FRC_LinearMotion", "FRC_JointMotion"):
            sent.add(p["SequenceID"])
        elif e.direction == "out" and "Instruction" in p:
            done.add(p["SequenceID"])
        elif e.direction == "in" and p.get("Command") == "FRC_WriteDOUT":
            douts += 1
            assert sent <= done, f"DOUT {p} sent while motions {sorted(sent - done)} were unanswered"
    assert douts == 6  # open, close, open: two ports each


def test_target_outside_the_workspace_is_refused_before_anything_moves(emulator, make_backend):
    backend = make_backend()
    backend.reset(0)
    before = len(emulator.log)
    far = WorldGrasp(0.9, 0.0, 0.015, 0.0, 0.04, 0.01)
    out = backend.execute(far)
    assert (out.success, out.reason) == (False, UNREACHABLE)
    assert "outside" in out.detail and "x=0.900 m" in out.detail  # the protocol's box, in metres
    wide = backend.execute(WorldGrasp(0.38, 0.0, 0.015, 0.0, 0.2, 0.01))
    assert wide.reason == UNREACHABLE and "wider" in wide.detail
    assert len(emulator.log) == before  # not one packet


def test_fault_mid_trial_raises_with_the_outcome_and_leaves_the_controller_clean(emulator, make_backend):
    emulator.ctl.object_present = True
    backend = make_backend()
    obs, _ = backend.reset(0)
    emulator.inject_fault(2556935, after_packets=6)
    with pytest.raises(SystemFaultError, match="RMIT-007") as err:
        backend.execute(obs.camera.image_to_world(CENTRE))
    assert isinstance(err.value, RobotError) and isinstance(err.value, BackendError)
    out = err.value.outcome
    assert out.reason == ROBOT_ERROR and out.infrastructure_error and not out.success
    assert "SystemFaultError" in out.detail
    assert verbs_in(emulator)[-2:] == ["FRC_Abort", "FRC_Disconnect"]
    assert not emulator.ctl.initialized and not emulator.session_active


def test_dropped_connection_raises_and_the_next_session_recovers(emulator, make_backend):
    emulator.ctl.object_present = True
    backend = make_backend()
    obs, _ = backend.reset(0)
    emulator.drop_after(4)
    with pytest.raises(RMIConnectionError) as err:
        backend.execute(obs.camera.image_to_world(CENTRE))
    assert err.value.outcome.reason == ROBOT_ERROR
    # The cut session's program is aborted by a fresh session that then disconnects.
    assert not emulator.ctl.initialized and not emulator.session_active
    assert verbs_in(emulator)[-2:] == ["FRC_Abort", "FRC_Disconnect"]
    out, _, _ = run_trial(backend, seed=1)  # and the run goes on from a clean controller
    assert out.success


def test_operator_confirmation_replaces_the_input(emulator, make_backend):
    answers = iter(["", "y", "maybe", "y", "n"])  # placed; held after close, after lift; dropped
    prompts: list[str] = []
    backend = make_backend(confirm=True, input_fn=lambda p: prompts.append(p) or next(answers))
    out, _, info = run_trial(backend, seed=1)
    assert info["object"] == "banana" and "banana" in prompts[0]
    assert (out.reason, out.lifted, out.carried) == (DROPPED_CARRY, True, False)
    assert len(prompts) == 5


def test_speed_is_capped_and_override_low(emulator, make_backend):
    backend = make_backend({"motion": {"speed_mm_s": 1000, "max_speed_mm_s": 200}})
    run_trial(backend)
    speeds = {p["Speed"] for p in emulator.received("FRC_LinearMotion")}
    assert speeds == {200}
    assert [p["Value"] for p in emulator.received("FRC_SetOverRide")] == [10]


def test_servo_off_stops_before_moving(emulator, make_backend):
    emulator.ctl.servo_ready = False
    with pytest.raises(ServoOffError, match="servo"):
        make_backend().reset(0)
    assert not emulator.received("FRC_LinearMotion")
    assert not emulator.session_active


def test_dry_run_prints_packets_and_connects_nowhere(emulator, example_config):
    lines: list[str] = []
    camera = ArrayCamera([np.zeros((480, 640, 3), np.uint8)])
    backend = make_backend("fanuc", robot_config=example_config, dry_run=True, camera=camera, print_fn=lines.append)
    obs, info = backend.reset(2, {"object": "cup"})
    out = backend.execute(obs.camera.image_to_world(CENTRE))
    backend.close()
    assert info["object"] == "cup" and info["dry_run"]
    assert out.reason == ROBOT_ERROR and "dry run" in out.detail
    text = "\n".join(lines)
    for verb in ("FRC_Connect", "FRC_Initialize", "FRC_LinearMotion", "FRC_WriteDOUT", "FRC_Abort", "FRC_Disconnect"):
        assert verb in text
    assert emulator.log == []


def test_uncalibrated_config_is_refused(tmp_path):
    cfg = tmp_path / "robot.toml"
    cfg.write_text("[connection]\nport = 1\n")
    with pytest.raises(ValueError, match="calibrate"):
        make_backend("fanuc", robot_config=cfg, dry_run=True)


def test_resume_with_the_controller_unreachable_is_one_line_and_writes_no_row(example_config, tmp_path, capsys):
    import cv2

    from simgrasp import evaluate
    from simgrasp.protocols.rows import TRIALS_FILE, read_rows
    from simgrasp.rehearsal.emulator import RMIEmulator

    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0.png"), np.full((480, 640, 3), 90, np.uint8))
    out = tmp_path / "run"
    with RMIEmulator(port=0) as emu:
        port = emu.port
        conn = f'overrides={{connection={{host="127.0.0.1",port={port},timeout_s=1.0,motion_timeout_s=1.0}}}}'
        argv = ["--backend", "fanuc", "--robot-config", str(example_config), "--policy", "heuristic", "--no-progress",
                "--backend-option", f'camera="{frames}"', "--backend-option", conn, "--out", str(out)]
        assert evaluate.main([*argv, "--trials", "1"]) == 0
    before = (out / TRIALS_FILE).read_text()
    capsys.readouterr()
    code = evaluate.main(["--resume", "--out", str(out), "--trials", "2", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: cannot start backend 'fanuc'") and err.count("\n") == 1, err
    assert (out / TRIALS_FILE).read_text() == before and len(read_rows(out / TRIALS_FILE)) == 1


# -- RGB-D cells ------------------------------------------------------------------------------
from simgrasp.backends.base import COLOR, DEPTH, PINHOLE  # noqa: E402
from simgrasp.geometry import PinholeCamera  # noqa: E402

from .test_cell_camera import PINHOLE as PINHOLE_CALIBRATION  # noqa: E402


def box_depth() -> np.ndarray:
    """The table 600 mm below the camera, a box 40 mm high under the image centre (metres)."""
    depth = np.full((480, 640), 0.6, np.float32)
    depth[200:280, 280:360] = 0.56
    return depth


def rgbd_backend(emulator, example_config, camera=None, streams="color+depth", **calibration):
    overrides = {
        "connection": {"host": "127.0.0.1", "port": emulator.port, "timeout_s": 2.0, "motion_timeout_s": 2.0},
        "gripper": {"close_time_s": 0.01, "open_time_s": 0.01},
        "camera": {"streams": streams},
        "calibration": {**PINHOLE_CALIBRATION, **calibration},
    }
    if camera is None:
        camera = ArrayCamera([np.full((480, 640, 3), 90, np.uint8)], [box_depth()])
    return make_backend("fanuc", robot_config=example_config, camera=camera, overrides=overrides)


def test_an_rgbd_cell_observes_depth_and_grasps_at_the_height_it_shows(emulator, example_config):
    emulator.ctl.object_present = True
    with rgbd_backend(emulator, example_config) as backend:
        assert backend.camera_streams == {COLOR, DEPTH, PINHOLE}
        obs, _ = backend.reset(0)
        assert obs.depth is not None and obs.depth.dtype == np.float32 and obs.depth.shape == (480, 640)
        assert obs.depth[240, 320] == pytest.approx(0.56) and isinstance(obs.camera, PinholeCamera)
        world = obs.camera.image_to_world(GraspRect(319.5, 239.5, 0.0, 60.0, 20.0), obs.depth)
        assert backend.execute(world).success
    grasp = emulator.received("FRC_LinearMotion")[2]["Position"]  # view pose, approach, grasp
    assert (grasp["X"], grasp["Y"], grasp["Z"]) == pytest.approx((400.0, 0.0, 20.0), abs=1e-6)  # 40 mm top - 20 mm


def test_a_colour_only_cell_with_a_3d_calibration_gives_no_depth(emulator, example_config):
    with rgbd_backend(emulator, example_config, ArrayCamera([np.zeros((480, 640, 3), np.uint8)]), "color") as b:
        assert b.camera_streams == {COLOR, PINHOLE}
        obs, _ = b.reset(0)
        assert obs.depth is None and obs.camera.image_to_world(CENTRE).z_m == pytest.approx(0.015)


def test_a_homography_cell_declares_colour_only(make_backend):
    assert make_backend().camera_streams == {COLOR}


def test_an_rgbd_config_with_a_colour_only_camera_is_refused(emulator, example_config):
    with pytest.raises(ValueError, match="read_rgbd"):
        rgbd_backend(emulator, example_config, ArrayCamera([np.zeros((480, 640, 3), np.uint8)]))


def test_the_rgbd_frames_are_undistorted_with_the_calibrated_lens(emulator, example_config):
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[:, 600:] = 255  # a band at the right edge: a barrel lens showed it further in than the ideal image has it
    with rgbd_backend(emulator, example_config, ArrayCamera([rgb], [box_depth()]), distortion=[-0.3, 0.0]) as b:
        obs, _ = b.reset(0)
    assert np.nonzero(obs.rgb[240, :, 0] > 128)[0].min() > 600
    assert obs.depth[240, 320] == pytest.approx(0.56)


def test_an_rgbd_dry_run_without_a_camera_gives_blank_frames(example_config):
    overrides = {"camera": {"streams": "color+depth", "source": "/nonexistent"}, "calibration": PINHOLE_CALIBRATION}
    lines: list[str] = []
    with make_backend("fanuc", robot_config=example_config, dry_run=True, overrides=overrides,
                      print_fn=lines.append) as b:
        obs, _ = b.reset(0)
    assert obs.depth is not None and not obs.depth.any() and "camera unavailable" in lines[0]


def test_a_perturbation_spec_is_refused_with_one_line():
    from simgrasp.backends.capabilities import MissingCapability, Perturbing, require
    from simgrasp.robots.backend import FanucBackend

    with pytest.raises(ValueError, match="perturb is for the sim backend") as e:
        FanucBackend(perturb={"friction": [0.5, 1.5]})
    assert "\n" not in str(e.value)
    with pytest.raises(MissingCapability, match="protocol 'robust' needs a backend whose physics"):
        require(FanucBackend, Perturbing, "protocol 'robust'")  # the robust protocol: refused before any motion
