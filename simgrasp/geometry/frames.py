"""Rigid frames: FANUC poses (X, Y, Z in mm; W, P, R in degrees) and rotation vectors.

A pose's rotation is ``Rz(R) Ry(P) Rx(W)`` (fixed axes X, then Y, then Z), as a FANUC
controller and its user and tool frames use it. Transforms are 4x4 matrices in metres.
numpy only.
"""

from __future__ import annotations

import numpy as np


def wpr_matrix(x: float, y: float, z: float, w: float = 0.0, p: float = 0.0, r: float = 0.0) -> np.ndarray:
    """4x4 transform of a FANUC pose: translation in mm (returned in metres), rotation
    Rz(r) Ry(p) Rx(w) in degrees (fixed axes X, then Y, then Z)."""
    a, b, c = np.deg2rad([w, p, r])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    T = np.eye(4)
    T[:3, :3] = rz @ ry @ rx
    T[:3, 3] = np.array([x, y, z]) / 1000.0
    return T


def matrix_wpr(T: np.ndarray) -> tuple[float, float, float, float, float, float]:
    """The FANUC pose ``(x, y, z, w, p, r)`` (mm, degrees) of a 4x4 transform in metres;
    the inverse of :func:`wpr_matrix` for P inside (-90, 90) degrees."""
    T = np.asarray(T, dtype=np.float64)
    R = T[:3, :3]
    p = np.arcsin(np.clip(-R[2, 0], -1.0, 1.0))
    w = np.arctan2(R[2, 1], R[2, 2])
    r = np.arctan2(R[1, 0], R[0, 0])
    x, y, z = T[:3, 3] * 1000.0
    return float(x), float(y), float(z), *(float(np.degrees(a)) for a in (w, p, r))  # type: ignore[return-value]


def rotation_from_rotvec(rv: np.ndarray) -> np.ndarray:
    """3x3 rotation turning by ``|rv|`` radians about the axis ``rv`` (Rodrigues)."""
    rv = np.asarray(rv, dtype=np.float64)
    angle = float(np.linalg.norm(rv))
    if angle < 1e-12:
        return np.eye(3)
    k = rv / angle
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * (K @ K)
