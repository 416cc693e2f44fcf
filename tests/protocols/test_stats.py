import math

import pytest

from simgrasp.protocols.stats import independent_difference, paired_difference, wilson_interval


@pytest.mark.parametrize(
    "x, n, low, high",
    [  # Newcombe (1998), Stat. Med. 17:857, the score method's examples
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_values(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_wilson_empty_and_bad_input():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="successes <= n"):
        wilson_interval(5, 3)


@pytest.mark.parametrize(
    "table, low, high",
    [  # Newcombe (1998), Stat. Med. 17:2635, method 10
        ((36, 12, 2, 0), 0.0569, 0.3404),
        ((18, 12, 2, 18), 0.0562, 0.3290),
        ((53, 0, 0, 1), -0.0729, 0.0729),
    ],
)
def test_paired_difference_matches_published_values(table, low, high):
    d, lo, hi = paired_difference(*table)
    assert d == pytest.approx((table[1] - table[2]) / sum(table))
    assert (lo, hi) == pytest.approx((low, high), abs=1e-4)


def test_paired_difference_is_antisymmetric():
    d, lo, hi = paired_difference(20, 9, 3, 8)
    d2, lo2, hi2 = paired_difference(20, 3, 9, 8)
    assert (d2, lo2, hi2) == pytest.approx((-d, -hi, -lo))


@pytest.mark.parametrize(
    "a, na, b, nb, low, high",
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)],  # Newcombe (1998), Stat. Med. 17:873
)
def test_independent_difference_matches_published_values(a, na, b, nb, low, high):
    _, lo, hi = independent_difference(a, na, b, nb)
    assert (lo, hi) == pytest.approx((low, high), abs=1e-4)
