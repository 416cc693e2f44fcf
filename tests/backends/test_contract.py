"""The backend contract (simgrasp/backends/base.py), held against every backend: the
simulator, the FANUC cell against the RMI emulator on loopback and against the digital
twin, and the tests' fake."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from simgrasp.backends.base import (
    INFO_OBJECT,
    INFRASTRUCTURE_REASONS,
    Backend,
    Observation,
    Outcome,
    SkippedObject,
)
from simgrasp.protocols.base import Job
from simgrasp.protocols.trial import run_trial
from simgrasp.protocols.worker import Worker, WorkerSetup
from simgrasp.geometry import GraspRect
from simgrasp.policies import Decision

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "evaluation"))  # the fake backend lives with the evaluation tests
EXAMPLE_CELL = TESTS.parent / "assets" / "robot" / "example_robot.toml"


@dataclass
class Case:
    """How to build one backend for these tests: ``ref`` and ``options`` as a run would
    pass them, and ``arm_fault(options)``: options (or a side effect) under which the next
    trial fails for the backend's own reasons."""

    ref: str
    options: dict[str, Any]
    arm_fault: Callable[[dict[str, Any]], dict[str, Any]]

    def make(self, **extra: Any) -> Backend:
        from simgrasp.protocols.worker import backend_factory

        return backend_factory(self.ref)(**{**self.options, **extra})


@pytest.fixture(params=["sim", "fanuc", "twin", "twin_rgbd", "fake"])
def case(request, tmp_path) -> Iterator[Case]:
    if request.param == "sim":
        opts = {"objects": "random_urdfs:900-901", "library": {"cache_dir": str(tmp_path)}}
        # Dropped a metre off the centre with one try, the object never rests in view.
        yield Case("sim", opts, lambda o: {**o, "scene": {"drop_radius_m": 1.0, "max_drops": 1}})
    elif request.param == "fanuc":
        from simgrasp.robots.camera import ArrayCamera
        from simgrasp.rehearsal.emulator import RMIEmulator

        with RMIEmulator(port=0) as emu:
            opts = {
                "robot_config": str(EXAMPLE_CELL),
                "camera": ArrayCamera([np.full((480, 640, 3), 90, np.uint8)]),
                "overrides": {
                    "connection": {"host": "127.0.0.1", "port": emu.port, "timeout_s": 2.0, "motion_timeout_s": 2.0},
                    "gripper": {"close_time_s": 0.01, "open_time_s": 0.01},
                },
            }

            def fault(o: dict[str, Any]) -> dict[str, Any]:
                emu.inject_fault(2556935, after_packets=6)  # a system fault in the middle of the trial
                return o

            yield Case("fanuc", opts, fault)
    elif request.param in ("twin", "twin_rgbd"):
        from simgrasp.rehearsal.twin import TwinConfig
        from simgrasp.rehearsal.rig import TwinRig

        with TwinRig(TwinConfig(objects="random_urdfs:900-901")) as rig:
            config = EXAMPLE_CELL.with_name(f"{request.param}.toml")
            opts = {"robot_config": str(config), "overrides": rig.robot_overrides()}

            def twin_fault(o: dict[str, Any]) -> dict[str, Any]:
                rig.emulator.inject_fault(2556935, after_packets=6)
                return o

            yield Case("fanuc", opts, twin_fault)
    else:
        yield Case("fake_backend:FakeBackend", {"objects": "fake:0-4"}, lambda o: {**o, "fail_seeds": (0, 1, 2)})


class CentreGrasp:
    """A policy with one answer: a 40 x 20 px grasp at the image centre."""

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        h, w = observation.rgb.shape[:2]
        return Decision(GraspRect(w / 2, h / 2, 30.0, 40.0, 20.0))


def centre_grasp(obs: Observation):
    return obs.camera.image_to_world(CentreGrasp().act(obs, np.random.default_rng(0)).grasp, obs.depth)


def test_declares_what_the_contract_asks(case):
    b = case.make()
    try:
        assert isinstance(b, Backend)
        assert b.infrastructure_reason in INFRASTRUCTURE_REASONS
        assert isinstance(b.reset_options, frozenset)
        assert all(isinstance(s, SkippedObject) for s in b.skipped_objects())
    finally:
        b.close()


def test_the_observation_holds_the_streams_the_camera_declares(case):
    from simgrasp.backends.base import COLOR, DEPTH, PINHOLE, STREAMS, camera_streams
    from simgrasp.geometry import PinholeCamera

    b = case.make()
    try:
        gives = camera_streams(b)
        obs, _ = b.reset(1)
    finally:
        b.close()
    assert gives is not None, f"{case.ref} does not declare camera_streams"
    assert COLOR in gives and gives <= set(STREAMS)
    assert (obs.depth is not None) == (DEPTH in gives) and isinstance(obs.camera, PinholeCamera) == (PINHOLE in gives)
    if obs.depth is not None:
        assert obs.depth.dtype == np.float32


def test_reset_execute_close(case):
    b = case.make()
    try:
        obs, info = b.reset(1)
        assert isinstance(obs, Observation) and obs.rgb.dtype == np.uint8
        assert isinstance(info[INFO_OBJECT], str) and info[INFO_OBJECT]
        out = b.execute(centre_grasp(obs))
        assert isinstance(out, Outcome) and not out.infrastructure_error
    finally:
        b.close()
    b.close()  # safe twice


def test_bad_seeds_and_options_are_refused(case):
    b = case.make()
    try:
        for seed in (-1, 2.5, True):
            with pytest.raises(ValueError, match="seed must be a non-negative int"):
                b.reset(seed)
        with pytest.raises(ValueError, match="unknown options"):
            b.reset(0, {"no_such_option": 1})
    finally:
        b.close()


def test_same_seed_same_scene_and_outcome(case):
    runs = []
    for _ in range(2):
        b = case.make()
        try:
            obs, info = b.reset(3)
            out = b.execute(centre_grasp(obs)).to_dict()
            out.pop("timings_s")
            runs.append((obs.rgb, info[INFO_OBJECT], out))
        finally:
            b.close()
    (rgb_a, obj_a, out_a), (rgb_b, obj_b, out_b) = runs
    assert np.array_equal(rgb_a, rgb_b) and obj_a == obj_b and out_a == out_b


def test_faults_are_recorded_as_infrastructure_errors(case):
    worker = Worker(WorkerSetup(case.ref, case.arm_fault(dict(case.options))))
    worker.policies["centre"] = CentreGrasp()
    try:
        reason = worker.backend.infrastructure_reason
        row = run_trial(worker, Job("centre", 0, 0))
    finally:
        worker.close()
    assert row["reason"] == reason and row["infrastructure_error"] and not row["success"], row
    assert row["error"]


@pytest.mark.parametrize("case", ["sim", "fanuc", "twin"], indirect=True)
def test_every_cell_runs_the_one_trial_protocol(case):
    """The sim, the emulator and the twin run the same stages in the same order and end
    with a reason of the protocol's verdict (simgrasp.backends.trial)."""
    from simgrasp.backends.base import APPROACH_COLLISION, DROPPED_CARRY, DROPPED_PLACE, MISSED, SLIPPED, SUCCESS
    from simgrasp.backends.trial import STAGES

    b = case.make()
    try:
        obs, _ = b.reset(1)
        assert obs.rgb.shape[:2] == b.image_shape  # known before the reset, and true
        out = b.execute(centre_grasp(obs))
        stages = list(out.timings_s)
        assert stages == ["validate", *STAGES][: len(stages)] and len(stages) >= 2  # a prefix, in order
        assert out.reason in {SUCCESS, APPROACH_COLLISION, MISSED, SLIPPED, DROPPED_CARRY, DROPPED_PLACE}
        reached = {"lift": out.lifted or out.reason in (SLIPPED,), "carry": out.lifted, "place": out.carried}
        for stage, expected in reached.items():
            if out.reason != APPROACH_COLLISION:
                assert (stage in stages) == bool(expected) or stage == "lift", (stage, out)
        assert out.success == (out.reason == SUCCESS) == (out.lifted and out.carried and out.placed)
    finally:
        b.close()
