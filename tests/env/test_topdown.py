"""simgrasp/TopDownGrasp-v0: the Gymnasium checker, determinism, and bad actions."""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import simgrasp  # noqa: F401  registers the env
from simgrasp.geometry import minor_axis_grasp

ENV_ID = "simgrasp/TopDownGrasp-v0"
OBJECTS = "random_urdfs:900-902"  # graspable across their short side


def across_short_side(obs: dict) -> np.ndarray:
    """An action closing across the short side of the silhouette, found from the depth image
    (the object is what stands above the table)."""
    depth = obs["depth"]
    mask = depth < np.median(depth) - 0.005
    return minor_axis_grasp(mask).as_array().astype(np.float32)


@pytest.fixture(scope="module")
def env():
    e = gymnasium.make(ENV_ID, objects=OBJECTS)
    yield e
    e.close()


def test_check_env_passes_without_warnings():
    e = gymnasium.make(ENV_ID, objects=OBJECTS, normalized_actions=True, render_mode="rgb_array").unwrapped
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(e, skip_render_check=False)
    finally:
        e.close()


def test_check_env_pixel_actions_only_warns_about_normalisation():
    """Pixel actions are the image grasp itself; the checker's one remark is its advice to
    normalise Box actions, which ``normalized_actions=True`` follows."""
    e = gymnasium.make(ENV_ID, objects=OBJECTS).unwrapped
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.filterwarnings("ignore", message=".*symmetric and normalized space.*")
            check_env(e)
    finally:
        e.close()


def test_normalized_actions_map_onto_pixels():
    e = gymnasium.make(ENV_ID, objects=OBJECTS, normalized_actions=True).unwrapped
    try:
        e.reset(seed=0)
        r = e.check_action(np.array([-1.0, 1.0, 0.0, 0.0, -0.5]))
        assert (r.x, r.y, r.theta_deg, r.w, r.h) == pytest.approx((0.0, 319.0, 0.0, 160.0, 80.0))
        with pytest.raises(ValueError, match="positive"):
            e.check_action(np.array([0.0, 0.0, 0.0, -1.0, 0.0]))
    finally:
        e.close()


def test_same_seed_same_observation_and_outcome():
    a, b = gymnasium.make(ENV_ID, objects=OBJECTS), gymnasium.make(ENV_ID, objects=OBJECTS)
    try:
        oa, ia = a.reset(seed=7)
        ob, ib = b.reset(seed=7)
        assert ia == ib
        for k in ("rgb", "depth"):
            np.testing.assert_array_equal(oa[k], ob[k])
        act = across_short_side(oa)
        ra, rb = a.step(act), b.step(act)
        assert ra[1:] == rb[1:]
        assert a.reset(seed=8)[1]["seed"] != ia["seed"]  # another seed, another backend seed
    finally:
        a.close()
        b.close()


def test_step_reports_outcome_grasp_and_camera(env):
    obs, info = env.reset(seed=3)
    assert obs["rgb"].dtype == np.uint8 and obs["depth"].dtype == np.float32
    _, reward, terminated, truncated, info = env.step(across_short_side(obs))
    assert terminated and not truncated
    assert reward == (1.0 if info["outcome"]["success"] else 0.0)
    assert set(info) >= {"outcome", "world_grasp", "camera"}
    assert info["camera"]["model"] == "pinhole" and info["world_grasp"]["opening_m"] > 0


def test_empty_space_gets_no_reward(env):
    obs, _ = env.reset(seed=3)
    cols = np.nonzero((obs["depth"] < np.median(obs["depth"]) - 0.005).any(0))[0]
    x = 20.0 if cols.mean() > 160 else 300.0
    _, reward, terminated, _, info = env.step(np.array([x, 20.0, 0.0, 30.0, 20.0], np.float32))
    assert reward == 0.0 and terminated and info["outcome"]["reason"] == "missed"


@pytest.mark.parametrize(
    "action, message",
    [
        ([np.nan, 100, 0, 30, 20], "finite"),
        ([100, np.inf, 0, 30, 20], "finite"),
        ([100, 100, 0, 30], "shape"),
        ([-5, 100, 0, 30, 20], "in the image"),
        ([100, 400, 0, 30, 20], "in the image"),
        ([100, 100, 0, 0, 20], "positive"),
        ([100, 100, 0, 30, -1], "positive"),
    ],
)
def test_bad_actions_raise(env, action, message):
    env.reset(seed=1)
    with pytest.raises(ValueError, match=message):
        env.step(np.array(action, np.float32))


def test_randomized_appearance_through_make():
    a = gymnasium.make(ENV_ID, objects=OBJECTS, appearance="randomized", normalized_actions=True)
    b = gymnasium.make(ENV_ID, objects=OBJECTS, appearance="randomized")
    plain = gymnasium.make(ENV_ID, objects=OBJECTS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(a.unwrapped, skip_render_check=True)
        oa, ob, op = a.reset(seed=3)[0], b.reset(seed=3)[0], plain.reset(seed=3)[0]
        np.testing.assert_array_equal(oa["rgb"], ob["rgb"])
        np.testing.assert_array_equal(oa["depth"], ob["depth"])
        assert not np.array_equal(oa["rgb"], op["rgb"]) and (oa["depth"] == 0).any() and not (op["depth"] == 0).any()
    finally:
        a.close(), b.close(), plain.close()


@pytest.mark.parametrize(
    "action, message",
    [
        ([100 + 1j, 100, 0, 30, 20], "5 real numbers"),
        ([True, True, False, True, True], "5 real numbers"),
        (["100", "100", "0", "30", "20"], "5 real numbers"),
        ({"x": 100}, "5 real numbers"),
        ([100, 100, 0, 1e9, 20], r"action must lie in the action space, low \[0.0, 0.0, -90.0, 1.0, 1.0\]"),
        ([100, 100, 0, 1e308, 20], "action must lie in the action space"),
        ([100, 100, 120, 30, 20], "action must lie in the action space"),
    ],
)
def test_actions_outside_the_space_raise_naming_what_was_expected(env, action, message):
    env.reset(seed=1)
    with pytest.raises(ValueError, match=message):
        env.step(action)


def test_construction_shows_no_scene_and_takes_module_attr_backends():
    """Before: __init__ reset seed 0 to learn the image size (a pile that did not build
    failed construction; on the FANUC backend the arm moved), and ``backend="pkg:Cls"``
    was not resolved."""
    env = gymnasium.make("simgrasp/TopDownGrasp-v0", backend="simgrasp.sim.backend:SimBackend",
                   objects="pybullet_objects", scene="pile:5", camera={"width": 96, "height": 80})
    try:
        backend = env.unwrapped.backend
        assert backend.scene is None  # nothing was dropped, rendered or moved
        assert env.observation_space["rgb"].shape == (80, 96, 3)
        obs, info = env.reset(seed=0)
        assert obs["rgb"].shape == (80, 96, 3) and info["scene_summary"]["kind"] == "pile:5"
    finally:
        env.close()
