import numpy as np
import torch

from simgrasp.model.anchors import anchor_angles_deg, decode, encode, make_anchors
from simgrasp.model.targets import angle_match, hard_negatives


def test_anchor_layout():
    np.testing.assert_allclose(anchor_angles_deg(6).numpy(), [-75, -45, -15, 15, 45, 75])
    a = make_anchors(grid=4, stride=16, k=6, anchor_w=50, anchor_h=20)
    assert a.shape == (4 * 4 * 6, 5)
    # Index (row * g + col) * k + anchor: row 1, col 2, anchor 3.
    np.testing.assert_allclose(a[(1 * 4 + 2) * 6 + 3].numpy(), [40.0, 24.0, 15.0, 50.0, 20.0])


def test_eq2_round_trip():
    anchors = make_anchors(3, 16, 6, 60, 20)
    g = torch.Generator().manual_seed(0)
    n = anchors.shape[0]
    grasps = torch.stack(
        [
            anchors[:, 0] + torch.randn(n, generator=g) * 10,
            anchors[:, 1] + torch.randn(n, generator=g) * 10,
            anchors[:, 2] + torch.empty(n).uniform_(-15, 15, generator=g),
            torch.empty(n).uniform_(10, 120, generator=g),
            torch.empty(n).uniform_(5, 40, generator=g),
        ],
        -1,
    )
    d = encode(grasps, anchors, 6)
    assert d[:, 4].abs().max() <= 0.5 + 1e-6
    torch.testing.assert_close(decode(d, anchors, 6), grasps, atol=1e-4, rtol=1e-5)
    # A zero deformation is the anchor itself; the angle slot moves by 180/k per unit.
    torch.testing.assert_close(decode(torch.zeros_like(d), anchors, 6), anchors)
    one = torch.zeros(1, 5)
    one[0, 4] = 1.0
    assert float(decode(one, anchors[:1], 6)[0, 2]) == float(anchors[0, 2]) + 30.0


def test_encode_folds_the_half_turn():
    anchors = make_anchors(1, 16, 6, 60, 20)[:1]  # theta_a = -75
    grasp = torch.tensor([[8.0, 8.0, 100.0, 60.0, 20.0]])  # 100 == -80 modulo 180
    d = encode(grasp, anchors, 6)
    assert abs(float(d[0, 4]) - (-5.0 / 30.0)) < 1e-6


def test_positive_and_negative_selection_by_hand():
    angles = anchor_angles_deg(6).numpy()
    truths = np.array(
        [
            [20.0, 5.0, 10.0, 30.0, 10.0],  # cell (row 0, col 1): angle 10 -> anchor 15 (idx 3)
            [20.0, 6.0, 14.0, 30.0, 10.0],  # same cell and anchor, closer in angle (1 deg vs 5)
            [40.0, 40.0, 0.0, 30.0, 10.0],  # cell (2, 2): exactly between -15 and 15 -> both
            [100.0, 5.0, 0.0, 30.0, 10.0],  # outside the 3x3 map of 16 px: ignored
        ]
    )
    m = angle_match(truths, grid=3, stride=16, anchor_angles_deg=angles)
    assert sorted(m.positive.tolist()) == [(0 * 3 + 1) * 6 + 3, (2 * 3 + 2) * 6 + 2, (2 * 3 + 2) * 6 + 3]
    first = m.matched[m.positive.tolist().index(9)]
    np.testing.assert_allclose(first, truths[1])
    prob = np.linspace(0, 1, 3 * 3 * 6)
    neg = hard_negatives(prob, m.positive, ratio=3)
    assert len(neg) == 9 and not set(neg) & set(m.positive)
    # The hardest are the non-positive anchors with the highest scores.
    others = [n for n in np.argsort(-prob) if n not in set(m.positive)]
    assert set(neg) == set(others[:9])
    # An image without grasps still gets a few negatives.
    empty = angle_match(np.zeros((0, 5)), 3, 16, angles)
    assert len(empty.positive) == 0 and len(hard_negatives(prob, empty.positive)) == 3
