"""Object size modes: fit (the default), real and explicit ranges."""

import numpy as np
import pytest

from simgrasp.sim.config import ObjectConfig
from simgrasp.sim.sizing import check_size, object_scale, parse_size_range


def test_fit_is_the_default_and_unchanged():
    cfg = ObjectConfig()
    assert cfg.size == "fit"
    assert object_scale(np.array([0.05, 0.16, 0.2]), cfg, "x", "/x.urdf") == pytest.approx(0.07 / 0.16)


def test_real_keeps_file_units_and_sizes_synthetic_sets():
    cfg = ObjectConfig(size="real")
    assert object_scale(np.array([0.3, 0.2, 0.1]), cfg, "ycb/003_cracker_box", "/ycb/003.obj") == 1.0
    longest = [0.13 * object_scale(np.array([0.1, 0.1, 0.13]), cfg, f"random_urdfs/{i:03d}", f"/r/{i:03d}.urdf")
               for i in range(200)]
    assert min(longest) >= 0.05 - 1e-9 and max(longest) <= 0.20 + 1e-9
    assert np.mean(np.array(longest) > 0.10) > 0.3  # many wider than the 10 cm opening
    again = 0.13 * object_scale(np.array([0.1, 0.1, 0.13]), cfg, "random_urdfs/000", "/r/000.urdf")
    assert again == longest[0]  # an object has one size in every scene and process


def test_ranges_set_the_longest_side():
    assert parse_size_range("8-25cm") == pytest.approx((0.08, 0.25))
    assert parse_size_range("80-250mm") == pytest.approx((0.08, 0.25))
    assert parse_size_range("real") is None
    cfg = ObjectConfig(size="8-25cm")
    for i in range(20):
        s = object_scale(np.array([0.02, 0.05, 0.4]), cfg, "o", f"/o{i}.obj")
        assert 0.08 <= 0.4 * s <= 0.25


@pytest.mark.parametrize("bad", ["huge", "25-8cm", "8-25in", ""])
def test_bad_sizes_are_named(bad):
    with pytest.raises(ValueError, match="object size"):
        check_size(ObjectConfig(size=bad))


def test_real_size_objects_load_at_their_size():
    pytest.importorskip("pybullet")
    from simgrasp.sim.backend import SimBackend

    with SimBackend("random_urdfs:900-903", library={"size": "real"}) as b:
        sides = []
        for seed in range(4):
            _, info = b.reset(seed)
            lo, hi = b.world.aabb(b.scene.obj.body)
            sides.append(info["scale"])
        assert len(set(sides)) == 4 and max(sides) != min(sides)
