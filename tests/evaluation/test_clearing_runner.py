"""evaluate --protocol clear: rows per grasp, paired episodes, resume, results and bounds."""

import json

import pytest

from simgrasp.evaluate import main
from simgrasp.protocols.rows import TRIALS_FILE, read_rows

pytest.importorskip("pybullet")

ARGS = ["--protocol", "clear", "--objects", "random_urdfs:900-909", "--scene", "pile:2", "--trials", "2",
        "--policy", "heuristic,oracle", "--no-progress"]


def test_clearing_run_rows_results_and_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(ARGS + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "grasp success" in text and "oracle (privileged)" in text
    rows = read_rows(out / TRIALS_FILE)
    for label in ("heuristic", "oracle"):
        eps = sorted({r["episode"] for r in rows if r["policy"] == label})
        assert eps == [0, 1]  # episode i is the scene of seed i for every policy
    assert all(r["episode_done"] for r in rows if r["objects_left"] == 0)
    res = json.loads((out / "results.json").read_text())
    oracle = res["policies"]["oracle"]
    assert oracle["privileged"] and oracle["episodes"] == 2 and oracle["grasps"] >= 2
    assert oracle["success"] == oracle["grasp_success"] and 0.0 <= oracle["cleared"]["rate"] <= 1.0
    assert (out / "report.html").read_text().count("<tr>") == 3
    # An episode cut off by a crash is not in the log: drop the last one's rows, resume runs it again.
    last = rows[-1]
    kept = [r for r in rows if (r["policy"], r["episode"]) != (last["policy"], last["episode"])]
    (out / TRIALS_FILE).write_text("".join(json.dumps(r) + "\n" for r in kept))
    assert main(ARGS + ["--out", str(out), "--resume"]) == 0
    again = read_rows(out / TRIALS_FILE)
    key = (last["policy"], last["episode"])
    redone = again[len(kept):]
    assert {(r["policy"], r["episode"]) for r in redone} == {key}
    assert [r["success"] for r in redone] == [r["success"] for r in rows if (r["policy"], r["episode"]) == key]
