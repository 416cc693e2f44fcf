"""simgrasp/Clearing-v0: the Gymnasium checker, determinism, and a backend that cannot clear
(the rules themselves: tests/protocols/test_clear.py)."""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import simgrasp  # noqa: F401  registers the envs
from simgrasp.policies import make_policy, policy_rng

ENV_ID = "simgrasp/Clearing-v0"
OBJECTS = "random_urdfs:900-909"


def test_check_env_passes_without_warnings():
    e = gymnasium.make(ENV_ID, objects=OBJECTS, scene="pile:2", normalized_actions=True).unwrapped
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(e, skip_render_check=True)
    finally:
        e.close()


def _episode(env, seed: int) -> list:
    obs, info = env.reset(seed=seed)
    policy = make_policy("heuristic")
    trace = [(info["objects"], obs["depth"].copy())]
    done, k = False, 0
    while not done:
        decision = policy.act(env.unwrapped.observation, policy_rng(k))
        obs, reward, terminated, truncated, info = env.step(decision.grasp.as_array())
        trace.append((reward, info["objects_left"], info["outcome"], obs["depth"].copy()))
        done, k = terminated or truncated, k + 1
    return trace


def test_an_episode_clears_objects_and_two_envs_agree():
    a = gymnasium.make(ENV_ID, objects=OBJECTS, scene="pile:3")
    b = gymnasium.make(ENV_ID, objects=OBJECTS, scene="pile:3")
    try:
        ta, tb = _episode(a, 7), _episode(b, 7)
    finally:
        a.close()
        b.close()
    assert len(ta) == len(tb) >= 2
    for x, y in zip(ta[1:], tb[1:]):
        assert x[:3] == y[:3] and np.array_equal(x[3], y[3])
    rewards = [t[0] for t in ta[1:]]
    left = [t[1] for t in ta[1:]]
    assert all(l1 <= l0 for l0, l1 in zip([3] + left, left))  # objects only leave the table
    assert sum(rewards) >= 1 and left[-1] <= 3 - sum(rewards)
    with pytest.raises(RuntimeError, match="the episode is over"):
        a.unwrapped.step(np.zeros(5))


def test_the_env_package_imports_first_in_a_fresh_process():
    import subprocess
    import sys

    code = "import simgrasp.env.clearing, gymnasium; assert 'simgrasp/Clearing-v0' in gymnasium.registry"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


class CannotClear:
    """A backend with nothing beyond the contract (as a real cell): it cannot clear."""

    infrastructure_reason, reset_options = "robot_error", frozenset()
    image_shape = (8, 8)
    closed = 0

    def close(self) -> None:
        CannotClear.closed += 1


def test_a_backend_that_cannot_clear_is_refused_and_closed():
    from simgrasp.backends.capabilities import MissingCapability
    from simgrasp.env.clearing import ClearingEnv

    with pytest.raises(MissingCapability, match="Clearing-v0 needs a backend that can clear .*CannotClear has none"):
        ClearingEnv(backend=f"{__name__}:CannotClear")
    assert CannotClear.closed == 1
