"""The README's loop: a registered policy acting on the env's observation."""

import gymnasium as gym
import numpy as np
import pytest

import simgrasp  # noqa: F401  (registers the env)
from simgrasp.policies import PolicyError, make_policy, policy_rng
from simgrasp.sim import HELD_OUT_OBJECTS


def test_heuristic_policy_drives_the_env():
    env = gym.make("simgrasp/TopDownGrasp-v0", objects=HELD_OUT_OBJECTS)
    policy = make_policy("heuristic")
    rewards = []
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        seen = env.unwrapped.observation
        np.testing.assert_array_equal(seen.rgb, obs["rgb"])
        decision = policy.act(seen, policy_rng(seed))
        _, reward, terminated, _, info = env.step(decision.grasp.as_array())
        assert terminated and reward in (0.0, 1.0)
        assert (reward == 1.0) == info["outcome"]["success"]
        rewards.append(reward)
    env.close()
    assert sum(rewards) >= 2  # the minor-axis heuristic holds most held-out objects


def test_observation_before_reset_is_an_error():
    env = gym.make("simgrasp/TopDownGrasp-v0", objects=HELD_OUT_OBJECTS)
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.observation
    env.close()


def test_unknown_policy_lists_the_known_ones():
    with pytest.raises(PolicyError, match="heuristic"):
        make_policy("no-such-policy")
