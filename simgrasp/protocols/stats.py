"""Confidence intervals for success rates and their differences (pure functions).

- One rate: the Wilson score interval.
- Two policies on the same scenes (paired trials): Newcombe's hybrid score interval for
  paired proportions (Newcombe 1998, Stat. Med. 17:2635, method 10), which combines the
  Wilson intervals of both rates with the correlation of the pairs.
- Two independent runs (e.g. sim against real): Newcombe's hybrid score interval for
  independent proportions (Newcombe 1998, Stat. Med. 17:873, method 10).
All intervals are two-sided at 95 % by default and clipped to the possible range.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval ``(low, high)`` for ``successes`` out of ``n`` (NaNs when n = 0)."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"expected 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def paired_difference(both: int, only_a: int, only_b: int, neither: int, z: float = Z95) -> tuple[float, float, float]:
    """Difference of success rates ``p_a - p_b`` over paired trials and its interval.

    ``both``: trials where A and B succeed; ``only_a``: A succeeds, B fails; ``only_b``: the
    reverse; ``neither``: both fail. Returns ``(difference, low, high)``; NaNs when empty."""
    n = both + only_a + only_b + neither
    if min(both, only_a, only_b, neither) < 0:
        raise ValueError(f"expected non-negative counts, got {(both, only_a, only_b, neither)}")
    if n == 0:
        return (math.nan, math.nan, math.nan)
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    l1, u1 = wilson_interval(both + only_a, n, z)
    l2, u2 = wilson_interval(both + only_b, n, z)
    # Correlation of the pairs, with Newcombe's correction towards zero for positive values.
    denom = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    cross = both * neither - only_a * only_b
    if cross > n / 2:
        cross -= n / 2
    elif cross > 0:
        cross = 0.0
    phi = cross / math.sqrt(denom) if denom > 0 else 0.0
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = d + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return (d, max(-1.0, low), min(1.0, high))


def independent_difference(
    successes_a: int, n_a: int, successes_b: int, n_b: int, z: float = Z95
) -> tuple[float, float, float]:
    """Difference of two independent success rates ``p_a - p_b`` and its interval,
    ``(difference, low, high)``; NaNs when either side has no trials."""
    if n_a == 0 or n_b == 0:
        return (math.nan, math.nan, math.nan)
    p1, p2 = successes_a / n_a, successes_b / n_b
    l1, u1 = wilson_interval(successes_a, n_a, z)
    l2, u2 = wilson_interval(successes_b, n_b, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (d, max(-1.0, low), min(1.0, high))
