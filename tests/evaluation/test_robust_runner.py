"""evaluate --protocol robust: one decision per scene, executed nominal and under perturbed
draws that are paired across policies, recorded in the rows and rebuilt from them."""

import json

import numpy as np
import pytest

from simgrasp.backends.perturb import Draw, PerturbSpec
from simgrasp.evaluate import main
from simgrasp.evaluation.suite import SuiteError, load_suite
from simgrasp.protocols.robust import (
    DEFAULT_SPEC, SceneOutcomes, paired_figures, policy_figures, ranking_holds, sensitivity,
)
from simgrasp.protocols.rows import TRIALS_FILE, read_rows
from simgrasp.sim.backend import SimBackend

pytest.importorskip("pybullet")

SPEC = {"friction": [0.3, 1.5], "mass": [0.5, 3.0], "grasp_xy_mm": 3, "draws": 3}
ARGS = ["--protocol", "robust", "--objects", "procedural:test", "--trials", "4", "--policy", "heuristic,oracle",
        "--no-progress", "--backend-option", "perturb={friction = [0.3, 1.5], mass = [0.5, 3.0], grasp_xy_mm = 3, "
        "draws = 3}"]


def test_robust_run_rows_are_paired_recorded_and_rebuilt(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(ARGS + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "robust" in text and "sensitivity" in text and "heuristic - oracle" in text
    rows = read_rows(out / TRIALS_FILE)
    spec = PerturbSpec.parse(SPEC)
    assert len(rows) == 2 * 4 * (spec.draws + 1)
    by = {(r["policy"], r["seed"], r["draw"]): r for r in rows}
    for seed in range(4):
        h, o = by[("heuristic", seed, 0)], by[("oracle", seed, 0)]
        assert "perturbation" not in h and "perturbation" not in o  # the nominal draw: nothing applied
        for k in range(1, spec.draws + 1):
            a, b = by[("heuristic", seed, k)], by[("oracle", seed, k)]
            assert a["perturbation"] == b["perturbation"] == spec.draw(seed, k).to_dict()  # paired across policies
            assert a["world_grasp"] == h["world_grasp"]  # one decision per scene
    # A recorded draw rebuilds its trial exactly.
    r = next(r for r in rows if r["policy"] == "heuristic" and r["draw"] == 2)
    b = SimBackend("procedural:test", perturb=SPEC)
    try:
        b.reset(r["seed"])
        from simgrasp.geometry import WorldGrasp
        again = b.execute_perturbed(WorldGrasp(**r["world_grasp"]), Draw.from_dict(r["perturbation"]))
        assert (again.success, again.reason, again.steps) == (r["success"], r["reason"], r["steps"])
        nominal = b.execute(WorldGrasp(**r["world_grasp"]))  # perturb's option: draw 1 of the seed
        assert nominal.perturbation == spec.draw(r["seed"], 1).to_dict()
    finally:
        b.close()
    res = json.loads((out / "results.json").read_text())
    assert res["perturb"] == spec.to_dict()
    h = res["policies"]["heuristic"]
    assert h["scenes"] == 4 and h["success"]["n"] == 4 * spec.draws and h["nominal"]["n"] == 4
    assert set(h["sensitivity"]) == {"friction", "mass", "grasp_xy_mm"}
    assert sum(o["scenes"] for o in h["per_object"].values()) == 4
    assert res["policies"]["oracle"]["privileged"]
    assert res["paired"][0]["pairs"] == 4 and "per_parameter" in res["paired"][0]
    assert "Fragile grasps" in (out / "report.html").read_text()
    # A scene cut off by a crash runs again on resume, with the same draws and outcomes.
    last = rows[-1]
    kept = [x for x in rows if (x["policy"], x["seed"]) != (last["policy"], last["seed"])]
    kept += [x for x in rows if (x["policy"], x["seed"]) == (last["policy"], last["seed"])][:2]
    (out / TRIALS_FILE).write_text("".join(json.dumps(x) + "\n" for x in kept))
    assert main(ARGS + ["--out", str(out), "--resume"]) == 0
    redone = read_rows(out / TRIALS_FILE)[len(kept):]
    assert {(x["policy"], x["seed"]) for x in redone} == {(last["policy"], last["seed"])}
    old = {x["draw"]: (x["success"], x.get("perturbation")) for x in rows if (x["policy"], x["seed"]) == (last["policy"], last["seed"])}
    assert {x["draw"]: (x["success"], x.get("perturbation")) for x in redone} == old
    assert json.loads((out / "results.json").read_text())["policies"] == res["policies"]


def test_the_default_spec_is_used_when_none_is_given(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--protocol", "robust", "--objects", "procedural:test", "--trials", "1", "--policy", "random",
                 "--no-progress", "--out", str(out)]) == 0
    rows = read_rows(out / TRIALS_FILE)
    assert len(rows) == DEFAULT_SPEC["draws"] + 1
    assert json.loads((out / "results.json").read_text())["perturb"] == PerturbSpec.parse(DEFAULT_SPEC).to_dict()


def test_a_bad_spec_is_one_line_before_any_trial(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["--protocol", "robust", "--policy", "random", "--trials", "1", "--out", str(out), "--no-progress",
                 "--backend-option", "perturb={mass = [-1.0, 2.0]}"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "perturb.mass" in err, err
    assert not (out / TRIALS_FILE).exists()


def test_suite_perturb_table_becomes_the_backend_option(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('policies = ["random"]\nprotocol = "robust"\n[perturb]\nfriction = [0.5, 1.5]\ndraws = 2\n')
    assert load_suite(p).backend_options["perturb"] == {"friction": [0.5, 1.5], "draws": 2}
    p.write_text('policies = ["random"]\n[perturb]\nfriction = [1.5, 0.5]\n')
    with pytest.raises(SuiteError, match=r"perturb\.friction"):
        load_suite(p)
    p.write_text('policies = ["random"]\n[perturb]\nfriction = [0.5, 1.5]\n[backend_options.perturb]\nmass = [1, 2]\n')
    with pytest.raises(SuiteError, match="not both"):
        load_suite(p)


def _scene(seed, success, values, obj="a"):
    return SceneOutcomes(seed, obj, list(success), [list(v) for v in values])


def test_sensitivity_finds_the_parameter_that_moves_success():
    # Success only when friction's factor is above 1 (log > 0): its effect is large, mass's nil.
    spec = PerturbSpec.parse({"friction": [0.5, 2.0], "mass": [0.5, 2.0], "draws": 4})
    rng = np.random.default_rng(0)
    y, x = [], []
    for _ in range(60):
        v = np.c_[rng.uniform(np.log(0.5), np.log(2.0), 5), rng.uniform(np.log(0.5), np.log(2.0), 5)]
        v[0] = 0.0
        y.append((v[:, 0] > 0) | (np.arange(5) == 0))
        x.append(v)
    s = sensitivity(np.array(y, float), np.array(x), spec)
    assert s["friction"]["effect"] > 0.5 and s["friction"]["ci95"][0] > 0.3
    assert abs(s["mass"]["effect"]) < 0.15 and s["mass"]["ci95"][0] < 0 < s["mass"]["ci95"][1]


def test_flips_fragile_scenes_and_ranking():
    spec = PerturbSpec.parse({"friction": [0.5, 2.0], "draws": 2})
    lo, hi = [np.log(0.6)], [np.log(1.8)]
    a = {0: _scene(0, [1, 1, 0], [[0], hi, lo]), 1: _scene(1, [1, 1, 1], [[0], hi, lo], "b"),
         2: _scene(2, [0, 0, 0], [[0], hi, lo], "b")}
    f = policy_figures(a, spec)
    assert f["nominal"]["successes"] == 2 and f["success"]["successes"] == 3 and f["success"]["n"] == 6
    assert f["flips"]["flips"] == 1 and f["flips"]["fragile_scenes"] == 1 and f["flips"]["broken_by_perturbation"] == 1
    assert f["per_object"]["a"]["flips"] == 1 and f["per_object"]["b"]["scenes"] == 2
    lost = {**a, 3: SceneOutcomes(3, "c", [True] * 3, [[0.0]] * 3, lost=True)}
    assert policy_figures(lost, spec)["scenes"] == 3 and policy_figures(lost, spec)["scenes_lost"] == 1
    never = {s: _scene(s, [0, 0, 0], [[0], hi, lo]) for s in a}
    p = paired_figures(a, never, spec)
    assert p["pairs"] == 3 and p["difference"] == pytest.approx(3 / 6)
    assert p["per_parameter"]["friction"]["upper"]["difference"] == pytest.approx(2 / 3)
    assert p["per_parameter"]["friction"]["lower"]["difference"] == pytest.approx(1 / 3)


def test_ranking_holds_only_with_every_interval_clear_of_zero():
    nominal = {"ci95": [0.1, 0.3]}
    assert ranking_holds(nominal, {"ci95": [0.05, 0.2]}, {"f": {"lower": {"ci95": [0.01, 0.2], "draws": 5}}})
    assert not ranking_holds(nominal, {"ci95": [0.05, 0.2]}, {"f": {"lower": {"ci95": [-0.01, 0.2], "draws": 5}}})
    assert ranking_holds({"ci95": [-0.1, 0.3]}, {"ci95": [0.05, 0.2]}, {}) is None
    assert ranking_holds({"ci95": [-0.3, -0.1]}, {"ci95": [-0.2, -0.05]}, {})
