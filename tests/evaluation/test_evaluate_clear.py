"""``python -m simgrasp.evaluate --protocol clear`` on the fake pile: the protocol a folder
was run with is the one resumed, a backend that cannot clear is refused before anything
moves, episodes run on any number of workers alike, and comparisons read the clearing
figures."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from simgrasp import evaluate
from simgrasp.protocols.rows import TRIALS_FILE, read_rows

HERE = Path(__file__).resolve().parent
EXAMPLE_ROBOT = HERE.parents[1] / "assets" / "robot" / "example_robot.toml"
PILE = ["--backend", "fake_backend:FakePileBackend", "--objects", "fake:0-4", "--no-progress"]
CLEAR = [*PILE, "--protocol", "clear", "--policy", "heuristic,random", "--trials", "4", "--seed", "2"]
VOLATILE = {"timings_s", "started_at", "finished_at"}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = evaluate.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stable(rows: list[dict]) -> list[dict]:
    """Rows without their timings, in (policy, episode, attempt) order."""
    return sorted(({k: v for k, v in r.items() if k not in VOLATILE} for r in rows),
                  key=lambda r: (r["policy"], r["episode"], r["attempt"]))


def test_ctrl_c_then_the_printed_hint_finishes_the_clearing_run(tmp_path, capsys, monkeypatch):
    """Before: the hint resumed the trial protocol into the clearing folder (20 trial rows,
    run.json rewritten), and the next clearing resume ended in KeyError: 'episode'."""
    out = tmp_path / "run"
    monkeypatch.setenv("FAKE_INTERRUPT_SEED", "4")
    code, _, err = run_cli(capsys, *CLEAR, "--out", str(out))
    monkeypatch.delenv("FAKE_INTERRUPT_SEED")
    assert code == 130
    hint = re.search(r"python -m simgrasp\.evaluate (.*)$", err.strip()).group(1).split()
    kept = read_rows(out / TRIALS_FILE)
    assert kept and all("episode" in r for r in kept)
    code, text, err = run_cli(capsys, *hint, "--no-progress")
    assert code == 0, err
    rows = read_rows(out / TRIALS_FILE)
    assert all("episode" in r and "attempt" in r for r in rows)  # no trial row was added
    assert json.loads((out / "run.json").read_text())["identity"]["protocol"] == "clear"
    results = json.loads((out / "results.json").read_text())
    assert results["run"]["protocol"] == "clear" and "grasp success" in text
    assert {p: s["episodes"] for p, s in results["policies"].items()} == {"heuristic": 4, "random": 4}
    code, _, err = run_cli(capsys, "--resume", "--protocol", "clear", "--out", str(out), "--no-progress")
    assert code == 0, err
    assert len(read_rows(out / TRIALS_FILE)) == len(rows)  # nothing left to run


def test_a_resume_refuses_flags_that_contradict_the_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(capsys, *CLEAR, "--trials", "1", "--out", str(out))[0] == 0
    before = (out / TRIALS_FILE).read_text(), (out / "run.json").read_text()
    for flags, message in ((["--protocol", "trial"], "--protocol trial contradicts its run.json (protocol clear)"),
                           (["--seed", "5"], "--seed 5 contradicts its run.json (seed 2)"),
                           (["--policy", "heuristic"], "--policy heuristic contradicts its run.json (policies heuristic,random)")):
        code, _, err = run_cli(capsys, "--resume", "--out", str(out), *flags, "--no-progress")
        assert code == 2 and err.count("\n") == 1 and f"cannot resume {out}: {message}" in err, err
    assert ((out / TRIALS_FILE).read_text(), (out / "run.json").read_text()) == before


def test_the_resume_check_compares_the_whole_identity(tmp_path):
    """Before: only the keys the new run names were compared, so a trial run went on into
    a clearing folder (whose identity also holds protocol and clearing)."""
    from simgrasp.evaluation.runner import RunConfig, run_evaluation
    from simgrasp.protocols.folder import RunError

    cfg = RunConfig(policies=("heuristic",), backend="fake_backend:FakePileBackend", objects="fake:0-4", trials=1,
                    protocol="clear")
    run_evaluation(cfg, tmp_path / "run", progress=False)
    with pytest.raises(RunError, match="it was run with protocol='clear', this run has 'trial'"):
        run_evaluation(RunConfig(**{**cfg.__dict__, "protocol": "trial"}), tmp_path / "run", resume=True, progress=False)
    identity = json.loads((tmp_path / "run" / "run.json").read_text())["identity"]
    extra = {**identity, "camera": "left"}  # a key this run does not name
    (tmp_path / "run" / "run.json").write_text(json.dumps({"identity": extra, "config": {}}))
    with pytest.raises(RunError, match="it was run with camera='left', this run has none"):
        run_evaluation(cfg, tmp_path / "run", resume=True, progress=False)


def test_a_backend_that_cannot_clear_is_refused_before_any_trial(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "--backend", "fake_backend:FakeBackend", "--objects", "fake:0-4", "--protocol", "clear",
                           "--policy", "heuristic", "--trials", "2", "--out", str(out), "--no-progress")
    assert code == 2 and err.count("\n") == 1, err
    assert "protocol 'clear' needs a backend that can clear" in err and "FakeBackend" in err
    assert not out.exists()


def test_clear_on_the_fanuc_backend_is_refused_before_the_arm_moves(tmp_path, capsys):
    """Before: the arm ran a whole grasp, then AttributeError: keep_going, and exit 0."""
    import cv2

    from simgrasp.rehearsal.emulator import RMIEmulator

    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0.png"), np.full((480, 640, 3), 90, np.uint8))
    out = tmp_path / "run"
    with RMIEmulator(port=0) as emu:
        conn = f'overrides={{connection={{host="127.0.0.1",port={emu.port},timeout_s=1.0,motion_timeout_s=1.0}}}}'
        code, _, err = run_cli(capsys, "--backend", "fanuc", "--robot-config", str(EXAMPLE_ROBOT), "--protocol",
                               "clear", "--policy", "heuristic", "--trials", "1", "--backend-option", f'camera="{frames}"',
                               "--backend-option", conn, "--out", str(out), "--no-progress")
        motions = [p for p in emu.received() if any("Motion" in str(v) for v in p.values())]
    assert code == 2 and err.count("\n") == 1 and "needs a backend that can clear" in err and "FanucBackend" in err, err
    assert motions == [] and not out.exists()


def test_episodes_on_two_workers_are_the_rows_of_one(tmp_path, capsys):
    one, two = tmp_path / "w1", tmp_path / "w2"
    assert run_cli(capsys, *CLEAR, "--out", str(one))[0] == 0
    assert run_cli(capsys, *CLEAR, "--workers", "2", "--out", str(two))[0] == 0
    rows = read_rows(one / TRIALS_FILE)
    assert len({(r["policy"], r["episode"]) for r in rows}) == 8 and len(rows) > 8
    assert stable(read_rows(two / TRIALS_FILE)) == stable(rows)
    res = [json.loads((d / "results.json").read_text())["policies"] for d in (one, two)]
    assert res[0] == res[1]


@pytest.mark.slow
def test_sim_episodes_on_two_workers_are_the_rows_of_one(tmp_path, capsys):
    pytest.importorskip("pybullet")
    args = ["--protocol", "clear", "--objects", "random_urdfs:900-909", "--scene", "pile:3", "--trials", "4",
            "--policy", "heuristic", "--no-progress"]
    assert run_cli(capsys, *args, "--out", str(tmp_path / "w1"))[0] == 0
    assert run_cli(capsys, *args, "--workers", "2", "--out", str(tmp_path / "w2"))[0] == 0
    assert stable(read_rows(tmp_path / "w2" / TRIALS_FILE)) == stable(read_rows(tmp_path / "w1" / TRIALS_FILE))


def test_kill_9_during_a_clearing_run_then_resume_loses_and_repeats_no_episode(tmp_path, capsys):
    whole = tmp_path / "whole"
    assert run_cli(capsys, *CLEAR, "--out", str(whole))[0] == 0
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    slow = [*CLEAR, "--backend-option", "delay_s=0.05", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "simgrasp.evaluate", *slow], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(read_rows(out / TRIALS_FILE)) < 3:
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    cut = read_rows(out / TRIALS_FILE)
    assert 3 <= len(cut) < len(read_rows(whole / TRIALS_FILE)), "the kill came too late to test anything"
    assert run_cli(capsys, "--resume", "--out", str(out), "--no-progress")[0] == 0
    results = json.loads((out / "results.json").read_text())["policies"]
    assert results == json.loads((whole / "results.json").read_text())["policies"]
    from simgrasp.protocols.clear import CLEAR as protocol

    saved = protocol.saved_rows(out / TRIALS_FILE)
    assert stable(list(saved)) == stable(read_rows(whole / TRIALS_FILE))  # each episode once, none lost


def test_compare_of_clearing_runs_reads_their_results(tmp_path, capsys):
    """Before: the last grasp of each episode stood for the run ("4/20" for 27 of 64)."""
    a, b, trial = tmp_path / "a", tmp_path / "b", tmp_path / "trial"
    assert run_cli(capsys, *CLEAR, "--out", str(a))[0] == 0
    assert run_cli(capsys, *CLEAR, "--seed", "9", "--out", str(b))[0] == 0
    for paired in ([], ["--paired"]):
        code, text, err = run_cli(capsys, "--compare", str(a), str(b), *paired, "--out", str(tmp_path / "cmp"))
        if paired:  # other seeds: not the same scenes
            assert code == 2 and "not the same scenes" in err
            continue
        assert code == 0, err
        cmp = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
        res = json.loads((a / "results.json").read_text())["policies"]["heuristic"]
        first = cmp["policies"]["heuristic"][0]
        g, c = res["grasp_success"], res["cleared"]
        assert (first["grasps"], first["grasp_success"], first["cleared"]) == (g["n"], g, c)
        assert f"{g['successes']}/{g['n']}" in text and "cleared" in text
    code, text, err = run_cli(capsys, "--compare", str(a), str(a), "--paired", "--out", str(tmp_path / "same"))
    assert code == 0 and "the same scenes" in text, err
    same = json.loads((tmp_path / "same" / "comparison.json").read_text())["policies"]["heuristic"]
    assert [e["grasp_success"] for e in same] == [g, g] and same[1]["difference"] == 0.0
    assert run_cli(capsys, *PILE, "--policy", "heuristic", "--trials", "2", "--out", str(trial))[0] == 0
    code, _, err = run_cli(capsys, "--compare", str(a), str(trial), "--out", str(tmp_path / "mixed"))
    assert code == 2 and err.count("\n") == 1
    assert f"cannot compare {trial} (protocol trial) with {a} (protocol clear)" in err, err
