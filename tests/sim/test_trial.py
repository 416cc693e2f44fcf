"""The trial protocol: motion profiles, stage checks and simulation faults."""

from __future__ import annotations

import numpy as np
import pytest

from simgrasp.backends.base import APPROACH_COLLISION, POLICY_ERROR, SIM_ERROR
from simgrasp.geometry import WorldGrasp
from simgrasp.sim.backend import SimBackend
from simgrasp.sim.trial import TrialRunner, min_jerk, min_jerk_duration


def test_min_jerk_profile():
    assert min_jerk(0.0) == 0.0 and min_jerk(1.0) == 1.0 and min_jerk(0.5) == pytest.approx(0.5)
    t = np.linspace(0, 1, 101)
    assert np.all(np.diff([min_jerk(x) for x in t]) >= 0)
    # 20 cm within 0.5 m/s and 3 m/s^2: the speed limit decides (1.875 * 0.2 / 0.5)
    assert min_jerk_duration(0.2, 0.5, 3.0) == pytest.approx(0.75)
    assert min_jerk_duration(0.2, 10.0, 1.0) == pytest.approx(np.sqrt(5.7735 * 0.2))


@pytest.fixture(scope="module")
def backend():
    b = SimBackend("pybullet_objects:cube")
    b.reset(0)
    yield b
    b.close()


def _runner(b: SimBackend) -> TrialRunner:
    b.execute(WorldGrasp(0.2, 0.2, 0.05, 0.0, 0.05, 0.02))  # restores the settled state first
    from simgrasp.sim.scene import restore_scene

    restore_scene(b.world, b.scene)
    return TrialRunner(b.world, b.scene.gripper, b.scene.obj.body, b.config.trial)


def _grasp_on_object(b: SimBackend) -> WorldGrasp:
    """Across the cube (5 cm), aligned with its faces."""
    p, q = b.world.pose(b.scene.obj.body)
    yaw = b.world.client.getEulerFromQuaternion(q)[2]
    return WorldGrasp(float(p[0]), float(p[1]), 0.03, float(yaw), 0.05, 0.02)


def test_object_fallen_through_the_table_is_a_sim_error(backend):
    runner = _runner(backend)
    obj = backend.scene.obj.body
    p, q = backend.world.pose(obj)
    backend.world.client.resetBasePositionAndOrientation(obj, [p[0], p[1], -0.3], q)
    out = runner.run(WorldGrasp(0.1, -0.1, 0.05, 0.0, 0.05, 0.02))
    assert out.reason == SIM_ERROR and out.infrastructure_error and "fell through" in out.detail


def test_object_thrown_by_a_penetration_is_a_sim_error(backend):
    runner = _runner(backend)
    backend.world.client.resetBaseVelocity(backend.scene.obj.body, [0, 0, 30.0], [0, 0, 0])
    out = runner.run(WorldGrasp(0.1, -0.1, 0.05, 0.0, 0.05, 0.02))
    assert out.reason == SIM_ERROR and "thrown" in out.detail and not out.success


def test_descending_onto_the_object_is_an_approach_collision(backend):
    g = _grasp_on_object(backend)
    out = backend.execute(WorldGrasp(g.x_m, g.y_m, 0.02, g.yaw_rad, 0.01, g.jaw_m))  # too narrow
    assert out.reason == APPROACH_COLLISION and out.approach_collision and not out.lifted


def test_invalid_world_grasp_is_a_policy_error(backend):
    out = backend.execute(WorldGrasp(float("nan"), 0.0, 0.03, 0.0, 0.05, 0.02))
    assert out.reason == POLICY_ERROR and not out.infrastructure_error


def test_weak_grip_slips(backend):
    g = _grasp_on_object(backend)
    strong = backend.execute(WorldGrasp(g.x_m, g.y_m, g.z_m, g.yaw_rad, 0.05, 0.02))
    assert strong.success
    weak = SimBackend("pybullet_objects:cube", gripper={"close_force_n": 0.05, "friction": 0.05})
    try:
        weak.reset(0)
        out = weak.execute(WorldGrasp(g.x_m, g.y_m, g.z_m, g.yaw_rad, 0.05, 0.02))
        assert not out.success and out.reason in ("slipped_during_lift", "missed", "dropped_during_carry")
    finally:
        weak.close()
