"""Trials under perturbed physics and calibration in the simulator (simgrasp.backends.perturb)."""

from dataclasses import asdict

import pytest

from simgrasp.backends.base import SUCCESS
from simgrasp.backends.capabilities import Perturbing, offers
from simgrasp.backends.perturb import Draw, PerturbError, PerturbSpec
from simgrasp.sim.backend import SimBackend

GRASPABLE = "random_urdfs:900-902"  # the objects of conftest.GRASPABLE (seeds 0-2 show 900-902)


def _key(outcome):
    d = asdict(outcome)
    d.pop("timings_s")
    return d


@pytest.fixture(scope="module")
def sim():
    b = SimBackend(GRASPABLE)
    yield b
    b.close()


def _good(backend, seed, minor_axis_grasp):
    obs, _ = backend.reset(seed)
    return obs.camera.image_to_world(minor_axis_grasp(backend.segmentation_mask()), obs.depth)


def test_the_sim_offers_perturbed_trials(sim):
    assert offers(sim, Perturbing)


def test_nominal_draw_is_the_unperturbed_trial_and_perturbed_values_are_put_back(sim, minor_axis_grasp):
    g = _good(sim, 1, minor_axis_grasp)
    plain = _key(sim.execute(g))
    assert plain["perturbation"] is None and plain["reason"] == SUCCESS
    assert _key(sim.execute_perturbed(g, Draw())) == plain
    hand = sim.scene.gripper
    c = sim.world.client
    before = [c.getDynamicsInfo(b, -1)[:3] for b in sim.scene.bodies], [c.getDynamicsInfo(hand.id, k)[1] for k in
                                                                         hand.plate_links], hand.cfg
    heavy = sim.execute_perturbed(g, Draw(index=1, friction=0.7, mass=1.8, jaw_force=0.6, grasp_dx_mm=1.0))
    assert heavy.perturbation == Draw(index=1, friction=0.7, mass=1.8, jaw_force=0.6, grasp_dx_mm=1.0).to_dict()
    after = [c.getDynamicsInfo(b, -1)[:3] for b in sim.scene.bodies], [c.getDynamicsInfo(hand.id, k)[1] for k in
                                                                        hand.plate_links], hand.cfg
    assert after == before
    assert _key(sim.execute(g)) == plain  # bit for bit, after a perturbed trial
    fresh = SimBackend(GRASPABLE)
    try:
        assert _key(fresh.execute(_good(fresh, 1, minor_axis_grasp))) == plain
    finally:
        fresh.close()


def test_slippery_plates_lose_a_grasp_that_holds(sim, minor_axis_grasp):
    g = _good(sim, 0, minor_axis_grasp)
    assert sim.execute(g).success
    slippery = sim.execute_perturbed(g, Draw(index=1, friction=0.01))
    assert not slippery.success and not slippery.lifted


def test_a_calibration_off_by_centimetres_misses(sim, minor_axis_grasp):
    g = _good(sim, 2, minor_axis_grasp)
    assert sim.execute(g).success
    off = sim.execute_perturbed(g, Draw(index=1, camera_dx_mm=120.0))
    assert not off.success


def test_backend_option_runs_draw_one_of_each_scene(minor_axis_grasp):
    spec = {"friction": [0.5, 1.5], "grasp_xy_mm": 2}
    b = SimBackend(GRASPABLE, perturb=spec)
    try:
        out = b.execute(_good(b, 2, minor_axis_grasp))
        assert out.perturbation == PerturbSpec.parse(spec).draw(2, 1).to_dict()
    finally:
        b.close()


def test_backend_refuses_a_bad_spec_before_starting():
    with pytest.raises(PerturbError, match=r"perturb\.mass"):
        SimBackend(GRASPABLE, perturb={"mass": [0.0, 2.0]})
