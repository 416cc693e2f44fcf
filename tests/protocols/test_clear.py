"""The clearing protocol: its rules, one row per grasp, metrics from the rows."""

import pytest

from simgrasp.policies import make_policy, policy_rng
from simgrasp.protocols.clear import ClearingConfig, EpisodeState, clearing_summary, max_attempts, run_episode


def test_rules_stop_on_clear_failures_and_attempts():
    cfg = ClearingConfig(max_failures=2, attempts_per_object=2.0)
    assert max_attempts(3, cfg) == 6
    s = EpisodeState.start({"objects": ["a", "b", "c"]})
    assert (s.n_objects, s.objects_left) == (3, 3)
    s.record(True, 2)
    s.record(False, 2)
    assert s.why_done(cfg) == "" and s.cleared == 1
    s.record(False, 2)
    assert s.why_done(cfg) == "failures"
    s = EpisodeState.start({"object": "a"})  # a backend that names one object
    s.record(True, 0)
    assert s.why_done(cfg) == "clear"
    s = EpisodeState(1, objects_left=1)
    s.record(False, 1)
    s.record(True, 1)  # pushed back, not counted as put away
    assert s.why_done(cfg) == "attempts"


def _row(episode, attempt, success, n=3, infra=False):
    return {"episode": episode, "attempt": attempt, "success": success, "objects_at_start": n,
            "infrastructure_error": infra}


def test_summary_pools_grasps_and_objects():
    rows = [_row(0, 0, True), _row(0, 1, True), _row(0, 2, False), _row(0, 3, True),
            _row(1, 0, False), _row(1, 1, False),
            _row(2, 0, True), _row(2, 1, False, infra=True)]
    s = clearing_summary(rows)
    assert s["episodes"] == 2 and s["episodes_with_errors"] == 1 and s["grasps"] == 6
    assert s["grasp_success"]["rate"] == pytest.approx(3 / 6)
    assert s["cleared"]["rate"] == pytest.approx(3 / 6) and s["cleared"]["n"] == 6
    assert s["grasps_per_cleared_object"] == pytest.approx(2.0)
    lo, hi = s["cleared"]["ci95"]
    assert lo < 0.5 < hi


def test_an_episode_yields_one_row_per_grasp():
    pytest.importorskip("pybullet")
    from simgrasp.sim.backend import SimBackend

    with SimBackend("random_urdfs:900-909", scene="pile:3") as b:
        oracle = make_policy("oracle")
        oracle.bind(b.privileged())
        rows = list(run_episode(b, oracle, 5, ClearingConfig(), lambda s, k: policy_rng(s * 1000 + k)))
    assert [r["attempt"] for r in rows] == list(range(len(rows)))
    assert all(r["episode"] == 5 and r["objects_at_start"] == 3 for r in rows)
    assert rows[-1]["episode_done"] in ("clear", "failures", "attempts")
    assert all(not r["episode_done"] for r in rows[:-1])
    assert sum(r["success"] for r in rows) >= 2  # the oracle clears most of a pile of three
