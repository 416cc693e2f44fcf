"""Flat outlines made solid: a simple polygon (convex or not, no holes) triangulated by ear
clipping and extruded into a watertight prism. Pure numpy and trimesh, so it needs neither
shapely nor a triangulation library.

Units are the caller's (metres for the procedural objects); outlines are (n, 2) arrays in
the x-y plane, in either winding, and prisms rise along +z from z = 0."""

from __future__ import annotations

import numpy as np
import trimesh


def signed_area(poly: np.ndarray) -> float:
    """Signed area of the closed polygon ``poly`` (n, 2): positive when counter-clockwise."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """z of (a - o) x (b - o), broadcast over leading axes."""
    return (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (b[..., 0] - o[..., 0])


def clean_outline(poly: np.ndarray, rel_tol: float = 1e-9) -> np.ndarray:
    """``poly`` counter-clockwise, without repeated or collinear vertices (they would make
    zero-area ears). Raises ValueError for fewer than 3 vertices left or a zero area."""
    p = np.asarray(poly, float)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"an outline is an (n, 2) array of points, got shape {p.shape}")
    if signed_area(p) < 0:
        p = p[::-1]
    scale = max(float(np.ptp(p, axis=0).max()), 1e-12) ** 2
    changed = True
    while changed and len(p) >= 3:
        keep = np.abs(_cross(np.roll(p, 1, 0), p, np.roll(p, -1, 0))) > rel_tol * scale
        changed = not keep.all()
        p = p[keep] if changed else p
    if len(p) < 3 or signed_area(p) <= 0:
        raise ValueError(f"outline has no area (fewer than 3 non-collinear points): {np.asarray(poly).tolist()}")
    return p


def triangulate(poly: np.ndarray) -> np.ndarray:
    """Triangles (n - 2, 3), counter-clockwise, indexing the counter-clockwise simple polygon
    ``poly`` (n, 2) as :func:`clean_outline` returns it. Ear clipping: O(n^2) numpy calls,
    meant for outlines of tens of vertices. Raises ValueError for a self-intersecting one."""
    idx = list(range(len(poly)))
    tris: list[tuple[int, int, int]] = []
    while len(idx) > 3:
        m = len(idx)
        pts = poly[idx]
        convex = _cross(np.roll(pts, 1, 0), pts, np.roll(pts, -1, 0)) > 0
        for i in np.flatnonzero(convex):
            a, b, c = pts[i - 1], pts[i], pts[(i + 1) % m]
            others = np.delete(pts, [(i - 1) % m, i, (i + 1) % m], axis=0)
            # An ear holds no other vertex, on its border included (touching reflex corners).
            inside = (_cross(a, b, others) >= 0) & (_cross(b, c, others) >= 0) & (_cross(c, a, others) >= 0)
            if not inside.any():
                tris.append((idx[i - 1], idx[i], idx[(i + 1) % m]))
                del idx[i]
                break
        else:
            raise ValueError(f"outline is not a simple polygon (no ear among {m} vertices)")
    tris.append((idx[0], idx[1], idx[2]))
    return np.array(tris, dtype=np.int64)


def extrude(poly: np.ndarray, height: float) -> trimesh.Trimesh:
    """The watertight prism of the simple polygon ``poly`` (n, 2) from z = 0 to ``height``."""
    if not height > 0:
        raise ValueError(f"extrusion height must be positive, got {height}")
    p = clean_outline(poly)
    return trimesh.creation.extrude_triangulation(p, triangulate(p), float(height))


def _merge(a: list[int], b: list[int]) -> list[int] | None:
    """The polygon of the counter-clockwise index cycles ``a`` and ``b`` joined along an edge
    they share (a's i -> j is b's j -> i), or None if they share none."""
    for k in range(len(a)):
        i, j = a[k], a[(k + 1) % len(a)]
        for m in range(len(b)):
            if b[m] == j and b[(m + 1) % len(b)] == i:
                return a[k + 1:] + a[:k + 1] + [b[(m + 2 + t) % len(b)] for t in range(len(b) - 2)]
    return None


def _is_convex(poly: np.ndarray) -> bool:
    return bool((_cross(np.roll(poly, 1, 0), poly, np.roll(poly, -1, 0)) >= -1e-12 * np.ptp(poly) ** 2).all())


def convex_pieces(poly: np.ndarray) -> list[np.ndarray]:
    """The simple polygon ``poly`` (n, 2) cut into convex polygons (each (k, 2), counter-
    clockwise) that tile it: its triangles, merged greedily across shared edges while the
    union stays convex (a few pieces, not the fewest possible)."""
    p = clean_outline(poly)
    pieces = [list(t) for t in triangulate(p)]
    merged = True
    while merged:
        merged = False
        for x in range(len(pieces)):
            for y in range(x + 1, len(pieces)):
                joined = _merge(pieces[x], pieces[y])
                if joined is not None and _is_convex(p[joined]):
                    pieces[x] = joined
                    del pieces[y]
                    merged = True
                    break
            if merged:
                break
    return [p[c] for c in pieces]


def extrude_parts(poly: np.ndarray, height: float) -> list[np.ndarray]:
    """Corner points (2k, 3) of convex prisms whose union is :func:`extrude` (``poly``,
    ``height``): one prism per :func:`convex_pieces` piece, z from 0 to ``height``."""
    return [np.vstack([np.c_[c, np.zeros(len(c))], np.c_[c, np.full(len(c), float(height))]])
            for c in convex_pieces(poly)]


def min_width(poly: np.ndarray, directions: int = 180) -> tuple[float, float]:
    """(narrowest width, angle in radians of the direction it is measured along) of the
    outline ``poly`` (n, 2), over ``directions`` angles in [0, pi): the calliper width a
    parallel gripper closing across the whole outline would need."""
    ang = np.linspace(0.0, np.pi, directions, endpoint=False)
    proj = np.asarray(poly, float) @ np.stack([np.cos(ang), np.sin(ang)])
    widths = proj.max(0) - proj.min(0)
    k = int(np.argmin(widths))
    return float(widths[k]), float(ang[k])
