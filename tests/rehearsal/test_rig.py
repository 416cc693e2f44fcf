"""The real-robot path end to end on the twin: camera, calibration, RMI, plan, judging."""

import json

import numpy as np

import pytest

from simgrasp.backends.base import ROBOT_ERROR, SUCCESS
from simgrasp.protocols.rows import TRIALS_FILE, read_rows
from simgrasp.evaluation.runner import RunConfig, run_evaluation
from simgrasp.policies import build_policy, policy_rng, resolve_policy
from simgrasp.robots.errors import RMIT_BASE, RobotError

from .conftest import TWIN


def heuristic_trial(backend, seed):
    obs, info = backend.reset(seed)
    decision = build_policy(resolve_policy("heuristic")).act(obs, policy_rng(seed))
    return backend.execute(obs.camera.image_to_world(decision.grasp)), info


def verbs(emu):
    return [p.get("Communication") or p.get("Command") or p.get("Instruction") for p in emu.received()]


def test_a_grasp_chosen_in_the_twin_camera_lifts_the_object_where_the_policy_meant(twin_rig, twin_backend):
    backend = twin_backend()
    out, info = heuristic_trial(backend, 2)
    assert info["object"] == "random_urdfs/902" and out.reason == SUCCESS and out.placed
    assert twin_rig.cell.faults == []
    # set down at the place, as in the sim: the object rests within 2 cm of the grasp point
    # moved by the carry (the twin's config: 200 mm along +Y)
    start = twin_rig.cell.info  # staged seed 2
    assert start["seed"] == 2
    x, y, _ = twin_rig.cell.object_position()
    grasp = twin_rig.emulator.received("FRC_LinearMotion")[1]["Position"]  # the grasp pose (user frame, mm)
    dx, dy = backend.cfg.motion.carry_offset_mm
    assert (dx, dy) == (0.0, 200.0)
    assert (((grasp["X"] + dx) / 1000 - 0.4 - x) ** 2 + ((grasp["Y"] + dy) / 1000 - y) ** 2) ** 0.5 < 0.02


@pytest.mark.parametrize("fault", ["drop", "system_fault", "sequence_error"])
def test_every_fault_on_the_twin_ends_aborted_disconnected_and_recorded(twin_rig, twin_backend, fault):
    emu = twin_rig.emulator
    backend = twin_backend()
    obs, _ = backend.reset(1)
    world = obs.camera.image_to_world(build_policy(resolve_policy("heuristic")).act(obs, policy_rng(1)).grasp)
    {"drop": lambda: emu.drop_after(6), "system_fault": lambda: emu.inject_fault(RMIT_BASE + 7, after_packets=6),
     "sequence_error": lambda: emu.inject_sequence_error(3)}[fault]()
    with pytest.raises(RobotError) as err:
        backend.execute(world)
    assert err.value.outcome.reason == ROBOT_ERROR and err.value.outcome.infrastructure_error
    assert not emu.ctl.initialized and not emu.session_active
    assert verbs(emu)[-2:] == ["FRC_Abort", "FRC_Disconnect"]


def test_a_trial_that_drives_the_jaws_into_the_table_is_recorded_as_a_robot_error(twin_rig, tmp_path):
    # the config puts the table 50 mm lower than it is: the descent presses the jaws onto it
    overrides = twin_rig.robot_overrides() | {"motion": {"table_z_mm": -50.0}, "workspace": {"z_mm": [-100.0, 500.0]}}
    cfg = RunConfig(("heuristic",), "fanuc", {"robot_config": str(TWIN), "overrides": overrides}, None, trials=1)
    result = run_evaluation(cfg, tmp_path / "run", progress=False)
    (row,) = read_rows(tmp_path / "run" / TRIALS_FILE)
    assert row["reason"] == ROBOT_ERROR and row["infrastructure_error"] and "SRVO-050" in row["error"]
    assert result.stopped is not None
    assert twin_rig.cell.collisions and not twin_rig.emulator.session_active


def test_the_twin_console_stages_the_largest_seed_and_refuses_the_next(twin_rig):
    from simgrasp.rehearsal.console import MAX_SEED
    from simgrasp.robots.console import CellStagingError, stage

    assert stage(twin_rig.console.url, MAX_SEED)["seed"] == MAX_SEED  # the sim takes every seed the console passes
    with pytest.raises(CellStagingError, match="expected a seed in"):
        stage(twin_rig.console.url, MAX_SEED + 1)


@pytest.mark.slow
def test_twin_trials_end_to_end_compare_row_by_row_with_sim(twin_rig, tmp_path):
    options = {"robot_config": str(TWIN), "overrides": twin_rig.robot_overrides()}
    twin_cfg = RunConfig(("heuristic",), "fanuc", options, None, trials=6)
    sim_cfg = RunConfig(("heuristic",), "sim", {}, "random_urdfs:900-909", trials=6)
    twin = run_evaluation(twin_cfg, tmp_path / "twin", progress=False)
    sim = run_evaluation(sim_cfg, tmp_path / "sim", progress=False)
    assert twin.stopped is None and sim.stopped is None
    rows_t, rows_s = read_rows(tmp_path / "twin" / TRIALS_FILE), read_rows(tmp_path / "sim" / TRIALS_FILE)
    assert [(r["seed"], r["object"]) for r in rows_t] == [(r["seed"], r["object"]) for r in rows_s]
    assert all(r["backend"] == "fanuc" and not r["infrastructure_error"] for r in rows_t)
    agree = sum(a["success"] == b["success"] for a, b in zip(rows_t, rows_s))
    assert agree >= 5, json.dumps([(a["reason"], b["reason"]) for a, b in zip(rows_t, rows_s)])


# -- the RGB-D twin -----------------------------------------------------------------------------
from simgrasp.backends.base import COLOR, DEPTH, PINHOLE, POLICY_ERROR  # noqa: E402
from simgrasp.protocols.folder import RunError as EvaluationError  # noqa: E402
from simgrasp.geometry import PinholeCamera  # noqa: E402

from .conftest import TWIN_RGBD  # noqa: E402


def test_the_rig_points_a_cell_at_its_depth_frames(twin_rig):
    camera = twin_rig.robot_overrides()["camera"]
    assert camera["depth_source"] == f"snapshot:{twin_rig.console.url}/depth.png"


def test_depth_goes_from_the_twin_console_through_the_camera_into_the_observation_and_a_policy(twin_rig, twin_backend):
    from simgrasp.policies.heuristic import HeuristicPolicy

    backend = twin_backend(config=TWIN_RGBD)
    assert backend.camera_streams == {COLOR, DEPTH, PINHOLE}
    obs, info = backend.reset(0)
    assert obs.depth is not None and obs.depth.dtype == np.float32 and obs.depth.shape == obs.rgb.shape[:2]
    assert isinstance(obs.camera, PinholeCamera) and (obs.depth == 0).any()  # stereo holes came over HTTP
    policy = HeuristicPolicy()
    mask, height = policy._segment(obs)
    assert height is not None and mask.sum() > 100  # the heuristic segmented by depth
    decision = policy.act(obs, policy_rng(0))
    world = obs.camera.image_to_world(decision.grasp, obs.depth)
    assert 0.03 < world.z_m < 0.06  # 20 mm below the top the depth shows, far above the 10 mm floor
    out = backend.execute(world)
    assert out.reason == SUCCESS and info["object"] == "random_urdfs/900"


class DepthReader:
    """A policy that cannot do without depth and a pinhole camera (as the plate check)."""

    reads = {DEPTH: "test", PINHOLE: "test"}

    def act(self, observation, rng):
        raise AssertionError("never asked: the run is refused first")


def test_a_policy_reading_depth_against_a_colour_only_twin_is_refused_before_the_arm_moves(twin_rig, tmp_path):
    moves = len(twin_rig.emulator.received("FRC_LinearMotion"))
    options = {"robot_config": str(TWIN), "overrides": twin_rig.robot_overrides()}
    cfg = RunConfig(("heuristic", f"{__name__}:DepthReader"), "fanuc", options, None, trials=3)
    with pytest.raises(EvaluationError, match=r"reads depth \(test\), pinhole \(test\); the camera of backend "
                                              r"'fanuc' gives color \(missing: depth, pinhole\)$"):
        run_evaluation(cfg, tmp_path / "run", progress=False)
    assert len(twin_rig.emulator.received("FRC_LinearMotion")) == moves  # the arm never moved
    assert not (tmp_path / "run").exists() and not twin_rig.emulator.session_active


@pytest.mark.slow  # loads the network
def test_an_rgbd_network_against_a_colour_only_twin_is_refused_before_the_arm_moves(twin_rig, tmp_path):
    moves = len(twin_rig.emulator.received("FRC_LinearMotion"))
    cfg = RunConfig(("heuristic", "scorer"), "fanuc", {"robot_config": str(TWIN), "overrides": twin_rig.robot_overrides()},
                    None, trials=3)
    with pytest.raises(EvaluationError) as err:
        run_evaluation(cfg, tmp_path / "run", progress=False)
    message = str(err.value)
    assert message.count("\n") == 0 and message.startswith("policy 'scorer' reads color (network input 'rgbd'), "
                                                           "depth (network input 'rgbd' and plate check), pinhole")
    assert message.endswith("the camera of backend 'fanuc' gives color (missing: depth, pinhole)")
    assert len(twin_rig.emulator.received("FRC_LinearMotion")) == moves  # the arm never moved
    assert not (tmp_path / "run").exists() and not twin_rig.emulator.session_active


def _three_clean_twin_trials(twin_rig, tmp_path, policy, config):
    """Three trials of ``policy`` on the twin cell of ``config``: every row an outcome, no
    policy error and no infrastructure error; returns the rows."""
    options = {"robot_config": str(config), "overrides": twin_rig.robot_overrides()}
    result = run_evaluation(RunConfig((policy,), "fanuc", options, None, trials=3), tmp_path / "run", progress=False)
    rows = read_rows(tmp_path / "run" / TRIALS_FILE)
    assert result.stopped is None and len(rows) == 3
    assert [r["reason"] for r in rows if r["reason"] == POLICY_ERROR or r["infrastructure_error"]] == []
    return rows


@pytest.mark.slow
def test_the_scorer_runs_on_the_rgbd_twin_without_a_policy_error(twin_rig, tmp_path):
    rows = _three_clean_twin_trials(twin_rig, tmp_path, "scorer", TWIN_RGBD)
    assert all(r["world_grasp"]["z_m"] >= 0.010 for r in rows)


@pytest.mark.slow
def test_the_colour_only_card_runs_on_the_colour_only_twin(twin_rig, tmp_path):
    rows = _three_clean_twin_trials(twin_rig, tmp_path, "scorer_rgb", TWIN)
    assert all(r["image_grasp"] is not None for r in rows)  # the network decided from the colour frame alone
