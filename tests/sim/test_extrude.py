"""Outlines cut into convex pieces and their prisms: the pieces tile the outline."""

from __future__ import annotations

import numpy as np

from simgrasp.sim.extrude import convex_pieces, extrude, extrude_parts, signed_area

U = np.array([[0, 0], [3, 0], [3, 2], [2, 2], [2, 1], [1, 1], [1, 2], [0, 2]], float)


def _convex(poly: np.ndarray) -> bool:
    a, b, c = np.roll(poly, 1, 0), poly, np.roll(poly, -1, 0)
    return bool((((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0]) >= -1e-12).all())


def test_a_u_is_three_convex_pieces_that_tile_it():
    pieces = convex_pieces(U)
    assert len(pieces) == 3 and all(_convex(p) and signed_area(p) > 0 for p in pieces)
    assert sum(signed_area(p) for p in pieces) == signed_area(U) == 5.0


def test_a_convex_outline_stays_one_piece_and_a_star_splits():
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    assert len(convex_pieces(square[::-1])) == 1  # either winding
    a = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    star = np.c_[np.cos(a), np.sin(a)] * np.where(np.arange(10) % 2 == 0, 1.0, 0.4)[:, None]
    pieces = convex_pieces(star)
    assert 5 <= len(pieces) <= 8 and all(_convex(p) for p in pieces)
    np.testing.assert_allclose(sum(signed_area(p) for p in pieces), signed_area(star))


def test_prism_parts_span_the_extrusion():
    parts = extrude_parts(U, 0.5)
    assert [p.shape for p in parts] == [(8, 3)] * 3
    assert all(set(np.unique(p[:, 2])) == {0.0, 0.5} for p in parts)
    np.testing.assert_allclose(np.vstack(parts).min(0), extrude(U, 0.5).bounds[0])
    np.testing.assert_allclose(np.vstack(parts).max(0), extrude(U, 0.5).bounds[1])
