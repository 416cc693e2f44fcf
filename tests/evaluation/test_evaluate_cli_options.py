"""``python -m simgrasp.evaluate`` refuses backend options and object specs no trial can
use: exit 2, one line naming the field, its range and the value, before run.json is
written and before any trial."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simgrasp import evaluate

SIM = ["--policy", "random", "--objects", "pybullet_objects:cube", "--trials", "2", "--no-progress"]


@pytest.mark.parametrize(
    "option, message",
    [
        ("gripper={max_opening_m=-0.1}", "gripper.max_opening_m must be > 0, got -0.1"),
        ("trial={opening_margin_m=-1}", "trial.opening_margin_m must be >= 0, got -1"),
        ("camera={width=0}", "camera.width must be an int >= 1, got 0"),
        ("scene={time_step_s=0}", "scene.time_step_s must be > 0, got 0"),
        ("scene={max_drops=0}", "scene.max_drops must be an int >= 1, got 0"),
        ("scene={settle_max_steps=-1}", "scene.settle_max_steps must be an int >= 1, got -1"),
        ("trial={lift_m=nan}", "trial.lift_m must be finite and > 0, got nan"),
    ],
)
def test_an_option_out_of_range_is_refused_before_the_run(tmp_path, capsys, option, message):
    out = tmp_path / "run"
    code = evaluate.main([*SIM, "--out", str(out), "--backend-option", option])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [f"error: cannot start backend 'sim': SimBackend: {message}"]
    assert not out.exists()  # no run.json, no trials.jsonl, no empty folder


def test_an_empty_object_selector_is_refused_naming_the_spec(tmp_path, capsys):
    out = tmp_path / "run"
    code = evaluate.main(["--policy", "random", "--objects", "random_urdfs:", "--out", str(out), "--no-progress"])
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "object spec 'random_urdfs:'" in line and "empty selector" in line
    assert not out.exists()


def test_the_refusal_is_the_process_exit_status(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "simgrasp.evaluate", *SIM, "--out", str(out), "--backend-option", "trial={lift_m=nan}"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith("trial.lift_m must be finite and > 0, got nan")
    assert "Traceback" not in done.stderr and not out.exists()
