"""The perturbation spec and its draws: checked, seeded per scene, recorded and rebuilt."""

import math

import pytest

from simgrasp.backends.perturb import Draw, PerturbError, PerturbSpec, parameter_values
from simgrasp.geometry import WorldGrasp

SPEC = {"friction": [0.5, 1.5], "mass": [0.5, 2.0], "jaw_force": [0.5, 1.0], "grasp_xy_mm": 2,
        "grasp_yaw_deg": 2, "camera_xy_mm": 2, "draws": 4}


def test_draws_are_deterministic_per_seed_and_draw():
    spec = PerturbSpec.parse(SPEC)
    assert spec.draw(7, 1) == PerturbSpec.parse(dict(SPEC)).draw(7, 1)
    assert spec.draw(7, 1) != spec.draw(7, 2) and spec.draw(7, 1) != spec.draw(8, 1)
    d = spec.draw(7, 3)
    assert 0.5 <= d.friction <= 1.5 and 0.5 <= d.mass <= 2.0 and 0.5 <= d.jaw_force <= 1.0
    assert d.index == 3 and not d.nominal


def test_nominal_draw_changes_nothing():
    d = PerturbSpec.parse(SPEC).draw(3, 0)
    assert d.nominal and d == Draw()
    g = WorldGrasp(0.01, -0.02, 0.03, 0.4, 0.05, 0.025)
    assert d.moved(g) is g


def test_a_parameter_left_out_leaves_the_others_draws_unchanged():
    full = PerturbSpec.parse(SPEC).draw(11, 2)
    part = PerturbSpec.parse({"friction": [0.5, 1.5], "camera_xy_mm": 2}).draw(11, 2)
    assert part.friction == full.friction and part.camera_dx_mm == full.camera_dx_mm
    assert part.mass == 1.0 and part.grasp_dx_mm == 0.0


def test_factors_are_log_uniform():
    spec = PerturbSpec.parse({"mass": [0.25, 4.0]})
    logs = [math.log(spec.draw(s, 1).mass) for s in range(4000)]
    below = sum(v < 0 for v in logs) / len(logs)  # log-uniform on [1/4, 4]: half below 1
    assert 0.46 < below < 0.54
    assert min(logs) >= math.log(0.25) and max(logs) <= math.log(4.0)


def test_recorded_draw_rebuilds_exactly():
    d = PerturbSpec.parse(SPEC).draw(5, 2)
    assert Draw.from_dict(d.to_dict()) == d
    with pytest.raises(PerturbError, match="unknown field"):
        Draw.from_dict({**d.to_dict(), "gravity": 1.0})


def test_moved_grasp_follows_the_offsets_and_folds_the_yaw():
    d = Draw(index=1, grasp_dx_mm=1.0, camera_dx_mm=2.0, camera_dy_mm=-3.0, grasp_yaw_deg=10.0)
    g = d.moved(WorldGrasp(0.0, 0.0, 0.02, math.pi / 2 - 0.01, 0.05, 0.025))
    assert g.x_m == pytest.approx(0.003) and g.y_m == pytest.approx(-0.003) and g.z_m == 0.02
    assert -math.pi / 2 <= g.yaw_rad < math.pi / 2
    assert g.yaw_rad == pytest.approx(math.pi / 2 - 0.01 + math.radians(10) - math.pi)
    assert parameter_values(d.to_dict(), "camera_xy_mm") == pytest.approx(math.hypot(2, 3))
    assert parameter_values(d.to_dict(), "friction") == 0.0


@pytest.mark.parametrize("spec, field", [
    ({"gravity": [0.5, 1.0]}, "gravity"),
    ({"friction": [-0.5, 1.0]}, "perturb.friction"),
    ({"friction": [1.5, 0.5]}, "perturb.friction"),
    ({"mass": [0.5, float("nan")]}, "perturb.mass"),
    ({"mass": 2.0}, "perturb.mass"),
    ({"grasp_xy_mm": -1}, "perturb.grasp_xy_mm"),
    ({"camera_xy_mm": float("nan")}, "perturb.camera_xy_mm"),
    ({"grasp_yaw_deg": "2"}, "perturb.grasp_yaw_deg"),
    ({"draws": 0}, "perturb.draws"),
    ({"draws": True}, "perturb.draws"),
])
def test_bad_spec_is_refused_naming_the_field(spec, field):
    with pytest.raises(PerturbError, match=field.replace(".", r"\.")):
        PerturbSpec.parse(spec)


def test_spec_round_trips():
    spec = PerturbSpec.parse(SPEC)
    assert PerturbSpec.parse(spec.to_dict()) == spec
    assert spec.parameters == ("friction", "mass", "jaw_force", "grasp_xy_mm", "grasp_yaw_deg", "camera_xy_mm")
