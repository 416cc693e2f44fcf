"""The evaluation against the real simulator: one trial per policy, and the shipped suite."""

from dataclasses import replace

import pytest

from simgrasp.evaluation.runner import RunConfig, run_evaluation
from simgrasp.evaluation.suite import load_suite
from simgrasp.policies import POLICIES, REPO_ROOT

pytest.importorskip("pybullet")


@pytest.fixture(scope="module")
def sim_config():
    return RunConfig(backend="sim", objects="random_urdfs:900-901", trials=1, seed=0)


@pytest.mark.parametrize("name", POLICIES.names())
def test_one_sim_trial_per_policy(name, sim_config, tiny_cards, tmp_path):
    res = run_evaluation(
        replace(sim_config, policies=(tiny_cards.get(name, name),), record=True), tmp_path / "run", progress=False
    )
    (row,) = res.rows
    assert row["error"] is None, row["error"]
    assert not row["infrastructure_error"] and row["object"] is not None
    assert (tmp_path / "run" / row["image"]).is_file()
    if name == "heuristic":
        assert row["success"], row  # seed 0 is an easy scene for the minor-axis grasp


def test_shipped_suites_are_valid():
    suites = sorted((REPO_ROOT / "evaluations").glob("*.toml"))
    assert suites, "no suite shipped"
    for path in suites:
        suite = load_suite(path)
        assert suite.bounds and set(suite.policies) <= set(POLICIES.names()) | {
            p.stem for p in (REPO_ROOT / "policies").glob("*.toml")
        }


def _object_folder(root, good: bool):
    """Broken files (random bytes, an empty STL, a URDF naming a missing mesh), and with
    ``good`` two valid meshes beside them."""
    import numpy as np
    import trimesh

    root.mkdir()
    (root / "junk.obj").write_bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes())
    (root / "empty.stl").write_bytes(b"")
    (root / "thing.urdf").write_text('<robot name="t"><link name="b"><collision><geometry><mesh filename="missing.obj"/>'
                                     "</geometry></collision></link></robot>")
    if good:
        trimesh.creation.box((0.05, 0.04, 0.03)).export(root / "box.obj")
        trimesh.creation.cylinder(radius=0.02, height=0.06).export(root / "can.obj")
    return root


def test_a_folder_where_no_object_loads_is_refused_before_any_trial(tmp_path, capsys, monkeypatch):
    from simgrasp import evaluate

    monkeypatch.setenv("SIMGRASP_CACHE", str(tmp_path / "cache"))
    objs = _object_folder(tmp_path / "objs", good=False)
    code = evaluate.main(["--policy", "heuristic", "--objects", str(objs), "--trials", "3", "--no-progress",
                          "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    for name in ("junk.obj", "empty.stl", "thing.urdf"):
        assert str(objs / name) in err
    assert not (tmp_path / "run").exists()


def test_skipped_files_are_reported_and_valid_meshes_beside_a_urdf_run(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("SIMGRASP_CACHE", str(tmp_path / "cache"))
    objs = _object_folder(tmp_path / "objs", good=True)
    cfg = RunConfig(policies=("heuristic",), backend="sim", objects=str(objs), trials=2, seed=0)
    res = run_evaluation(cfg, tmp_path / "run", progress=False)
    assert sorted(r["object"] for r in res.rows) == ["objs/box", "objs/can"]
    skipped = json.loads((tmp_path / "run" / "results.json").read_text())["skipped_objects"]
    assert sorted(s["path"] for s in skipped) == sorted(str(objs / n) for n in ("junk.obj", "empty.stl", "thing.urdf"))
    html = (tmp_path / "run" / "report.html").read_text()
    assert all(s["path"] in html and s["reason"] in html for s in skipped)
