"""The oracle: privileged, bound to the sim backend's door, executes a grasp that worked."""

import pytest

from simgrasp.backends.base import PrivilegedAccess
from simgrasp.backends.capabilities import privileged_access
from simgrasp.policies import make_policy, policy_rng

pytest.importorskip("pybullet")


@pytest.fixture(scope="module")
def pile():
    from simgrasp.sim.backend import SimBackend

    b = SimBackend("random_urdfs:900-909", scene="pile:3")
    yield b
    b.close()


def test_the_oracle_needs_its_door():
    oracle = make_policy("oracle")
    assert oracle.privileged and not getattr(make_policy("heuristic"), "privileged", False)
    with pytest.raises(RuntimeError, match="privileged"):
        oracle.act(None, policy_rng(0))


def test_a_backend_without_a_door_is_a_clear_error():
    class RealCell:  # a FANUC cell has no privileged door
        pass

    with pytest.raises(ValueError, match="policy 'oracle' is privileged .* RealCell offers no privileged access"):
        privileged_access(RealCell(), "policy 'oracle'")


def test_the_oracle_executes_a_grasp_that_succeeded_on_the_saved_scene(pile):
    door = pile.privileged()
    assert isinstance(door, PrivilegedAccess)
    oracle = make_policy("oracle")
    oracle.bind(door)
    for seed in (3, 4):
        obs, info = pile.reset(seed)
        labels = door.segmentation_mask()
        assert labels.max() == 3 and (labels > 0).sum() == pile.segmentation_mask().sum()
        d = oracle.act(obs, policy_rng(seed))
        assert d.info["found"] and d.info["privileged"]
        out = pile.execute(obs.camera.image_to_world(d.grasp, obs.depth))
        assert out.success and out.taken in info["objects"]  # the saved state is restored before each execute
