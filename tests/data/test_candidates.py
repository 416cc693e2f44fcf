from __future__ import annotations

import numpy as np

from simgrasp.data.candidates import (
    CandidateConfig,
    antipodal_candidates,
    boundary_pixels,
    dedupe,
    jitter_candidates,
    random_candidates,
)
from simgrasp.geometry import GraspRect


def _bar() -> np.ndarray:
    m = np.zeros((100, 100), bool)
    m[20:80, 40:60] = True  # 20 px wide along x, 60 px tall along y
    return m


def test_antipodal_grasps_span_the_narrow_side() -> None:
    cfg = CandidateConfig(angle_jitter_deg=0.0, centre_jitter_px=0.0)
    g = antipodal_candidates(_bar(), np.random.default_rng(0), 20, max_opening_px=40, jaw_px=8, cfg=cfg)
    assert len(g) == 20
    across = np.abs(g[:, 2]) < 5  # opening along x, across the bar (corners give diagonals)
    assert across.mean() >= 0.8
    np.testing.assert_allclose(g[across, 3], 20 + cfg.opening_margin_px, atol=1.5)
    assert np.all(g[:, 4] == 8)
    bar = _bar()
    for row in g:
        ends = GraspRect.from_array(row).jaw_endpoints()
        assert not any(bar[round(y), round(x)] for x, y in ends)  # both jaws outside the object
        assert bar[round(row[1]), round(row[0])]


def test_too_wide_objects_give_no_antipodal_grasp() -> None:
    m = np.zeros((100, 100), bool)
    m[10:90, 10:90] = True
    cfg = CandidateConfig()
    assert len(antipodal_candidates(m, np.random.default_rng(0), 10, max_opening_px=40, jaw_px=8, cfg=cfg)) == 0
    assert len(antipodal_candidates(np.zeros((9, 9), bool), np.random.default_rng(0), 5, 40, 8, cfg)) == 0


def test_random_candidates_are_seeded_and_near_the_object() -> None:
    cfg = CandidateConfig()
    a = random_candidates(_bar(), np.random.default_rng(4), 30, 40, 8, cfg)
    b = random_candidates(_bar(), np.random.default_rng(4), 30, 40, 8, cfg)
    np.testing.assert_array_equal(a, b)
    assert np.all((a[:, 0] > 35) & (a[:, 0] < 65) & (a[:, 1] > 15) & (a[:, 1] < 85))
    assert np.all((a[:, 2] >= -90) & (a[:, 2] < 90) & (a[:, 3] <= 40))


def test_boundary_pixels_ring() -> None:
    assert len(boundary_pixels(_bar())) == 2 * 60 + 2 * 18


def test_dedupe_keeps_the_first_of_near_copies() -> None:
    g = np.array(
        [[10, 10, 0, 20, 8], [12, 10, 5, 22, 8], [10, 10, 89, 20, 8], [10, 10, -85, 20, 8], [40, 40, 0, 20, 8]]
    )
    kept = dedupe(g, centre_px=5, angle_deg=15)
    np.testing.assert_array_equal(kept, g[[0, 2, 4]])  # -85 is 6 degrees from 89 modulo 180
    assert len(dedupe(g, 5, 15, limit=2)) == 2


def test_jitter_perturbs_each_success_within_bounds() -> None:
    cfg = CandidateConfig(jitter_centre_px=3.0, jitter_angle_deg=10.0, jitter_opening_min=0.5, jitter_opening_max=1.5)
    ok = np.array([[20.0, 30.0, 85.0, 20.0, 8.0], [60.0, 60.0, 0.0, 36.0, 8.0], [40.0, 80.0, -40.0, 10.0, 8.0]])
    g = jitter_candidates(ok, np.random.default_rng(1), 30, max_opening_px=40.0, cfg=cfg)
    np.testing.assert_array_equal(g, jitter_candidates(ok, np.random.default_rng(1), 30, 40.0, cfg))
    assert g.shape == (30, 5) and np.all(g[:, 4] == 8.0) and np.all((g[:, 2] >= -90) & (g[:, 2] < 90))
    src = np.argmin(np.abs(g[:, None, :2] - ok[None, :, :2]).max(-1), axis=1)  # the success each came from
    assert np.bincount(src, minlength=3).tolist() == [10, 10, 10]
    assert np.all(np.abs(g[:, :2] - ok[src, :2]) <= 3.0)
    turn = np.abs((g[:, 2] - ok[src, 2] + 90.0) % 180.0 - 90.0)
    assert np.all(turn <= 10.0 + 1e-9)
    ratio = g[:, 3] / ok[src, 3]
    assert ratio.min() < 0.8 and ratio.max() > 1.2  # narrower and wider than what succeeded
    assert g[:, 3].max() <= 40.0 and g[:, 3].min() >= cfg.min_opening_px  # clipped to the gripper
    assert len(jitter_candidates(ok, np.random.default_rng(0), 0, 40.0, cfg)) == 0
    assert len(jitter_candidates(np.zeros((0, 5)), np.random.default_rng(0), 5, 40.0, cfg)) == 0
