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
