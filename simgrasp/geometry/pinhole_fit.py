"""A pinhole camera (intrinsics, radial lens, pose) fitted to 3-D points and their pixels.

The points are where a robot put a marker (world frame, any length unit; metres here), the
pixels where the camera saw it. Stages, each a plain function:

1. :func:`fit_projection` - the 3 x 4 projection matrix by the normalised direct linear
   transform (needs >= 6 points not all on one plane: a marker at several heights);
2. :func:`decompose_projection` - intrinsics and pose from it (RQ decomposition);
3. :func:`fit_pinhole` - both refined by Levenberg-Marquardt on the pixel residuals, with
   the radial lens (k1, k2) free or fixed at 0.

:func:`reprojection_errors_px` and :func:`plane_errors` judge a fit at points it has not
seen: in pixels, and in world units where the ray through the seen pixel meets the
horizontal plane through the true point (the error of a grasp located at that height).
numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgrasp.geometry.camera import Intrinsics, PinholeCamera
from simgrasp.geometry.frames import rotation_from_rotvec
from simgrasp.geometry.homography import normaliser
from simgrasp.geometry.lens import RadialLens


@dataclass(frozen=True, eq=False)
class PinholeFit:
    """A fitted camera: ``camera`` the ideal pinhole (intrinsics, ``T_world_cam`` in the
    points' unit), ``lens`` its radial distortion, ``rms_px`` the residual on the points
    it was fitted to."""

    camera: PinholeCamera
    lens: RadialLens
    rms_px: float

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixels (N, 2) where the camera sees world points (N, 3), lens included."""
        T_cam_world = np.linalg.inv(self.camera.T_world_cam)
        return _project(np.asarray(points, dtype=np.float64), self.camera.intrinsics, self.lens,
                        T_cam_world[:3, :3], T_cam_world[:3, 3])

    def on_plane(self, pixels: np.ndarray, z: np.ndarray) -> np.ndarray:
        """World points (N, 3) where the rays through seen ``pixels`` (N, 2) meet the
        planes ``z`` (N,) (world units)."""
        ideal = self.lens.undistort_pixels(self.camera.intrinsics, pixels)
        z = np.broadcast_to(np.asarray(z, dtype=np.float64), (len(ideal),))
        return np.array([self.camera.pixel_on_plane(u, v, zi) for (u, v), zi in zip(ideal, z)]).reshape(-1, 3)


def _project(X: np.ndarray, k: Intrinsics, lens: RadialLens, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    pc = X @ R.T + t
    if np.any(pc[:, 2] <= 0):
        raise ValueError("a point lies behind the camera")
    xd, yd = lens.distort(pc[:, 0] / pc[:, 2], pc[:, 1] / pc[:, 2])
    return np.stack([k.fx * xd + k.cx, k.fy * yd + k.cy], axis=1)


def _check_points(points: np.ndarray, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, px = np.asarray(points, dtype=np.float64), np.asarray(pixels, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 3 or px.shape != (len(X), 2):
        raise ValueError(f"expected points (N, 3) and pixels (N, 2), got {X.shape} and {px.shape}")
    if len(X) < 6:
        raise ValueError(f"a 3-D camera fit needs at least 6 points, got {len(X)}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(px))):
        raise ValueError("calibration points contain NaN or infinity")
    sv = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    if sv[2] < 1e-6 * sv[0]:
        raise ValueError("the points lie on one plane: a 3-D camera fit needs the marker at two or more heights")
    return X, px


def fit_projection(points: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """The 3 x 4 projection ``P`` with ``pixels ~ P [points, 1]`` (least squares, normalised
    DLT). ``points``: (N, 3) world; ``pixels``: (N, 2). Raises ``ValueError`` for fewer than
    6 points or points on one plane."""
    X, px = _check_points(points, pixels)
    Tx, Tp = normaliser(X), normaliser(px)
    Xn = np.c_[X, np.ones(len(X))] @ Tx.T
    pn = np.c_[px, np.ones(len(px))] @ Tp.T
    pn = pn[:, :2] / pn[:, 2:3]
    A = np.zeros((2 * len(X), 12))
    A[0::2, 0:4], A[0::2, 8:12] = Xn, -pn[:, :1] * Xn
    A[1::2, 4:8], A[1::2, 8:12] = Xn, -pn[:, 1:2] * Xn
    P = np.linalg.svd(A)[2][-1].reshape(3, 4)
    return np.linalg.inv(Tp) @ P @ Tx


def decompose_projection(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper-triangular ``K`` (positive diagonal, ``K[2, 2] = 1``) and the 4x4
    ``T_cam_world`` with ``P ~ K [R | t]``."""
    P = np.asarray(P, dtype=np.float64)
    if np.linalg.det(P[:, :3]) < 0:
        P = -P  # the sign a real camera has: det(K R) = det(K) > 0
    J = np.flipud(np.eye(3))
    Q, U = np.linalg.qr((J @ P[:, :3]).T)  # RQ decomposition through QR of the flipped matrix
    K, R = J @ U.T @ J, J @ Q.T
    D = np.diag(np.sign(np.diag(K)))
    K, R = K @ D, D @ R
    t = np.linalg.solve(K, P[:, 3])
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, t
    return K / K[2, 2], T


def fit_pinhole(
    points: np.ndarray, pixels: np.ndarray, width: int, height: int, distortion: bool = True, iterations: int = 200
) -> PinholeFit:
    """Intrinsics, pose and (with ``distortion``) radial lens k1, k2 of a ``width`` x
    ``height`` camera from world ``points`` (N, 3) and the ``pixels`` (N, 2) they were seen
    at: the DLT's camera refined by Levenberg-Marquardt on the pixel residuals. ``T_world_cam``
    comes back in the points' unit."""
    X, px = _check_points(points, pixels)
    K0, T0 = decompose_projection(fit_projection(X, px))
    if np.any(X @ T0[2, :3] + T0[2, 3] <= 0):
        raise ValueError("the fitted camera sees some points behind it: check that pixels and points are paired")
    R0 = T0[:3, :3]
    nk = 2 if distortion else 0
    # parameters: fx, fy, cx, cy, [k1, k2], rotation increment (3), translation (3)
    p = np.r_[K0[0, 0], K0[1, 1], K0[0, 2], K0[1, 2], np.zeros(nk), np.zeros(3), T0[:3, 3]]

    def unpack(q: np.ndarray) -> tuple[Intrinsics, RadialLens, np.ndarray, np.ndarray]:
        lens = RadialLens(float(q[4]), float(q[5])) if nk else RadialLens()
        r = q[4 + nk : 7 + nk]
        return Intrinsics(width, height, *map(float, q[:4])), lens, rotation_from_rotvec(r) @ R0, q[7 + nk :]

    def residual(q: np.ndarray) -> np.ndarray:
        k, lens, R, t = unpack(q)
        return (_project(X, k, lens, R, t) - px).ravel()

    r = residual(p)
    cost, lam = float(r @ r), 1e-3
    for _ in range(iterations):
        step = 1e-6 * np.maximum(1.0, np.abs(p))
        J = np.stack([(residual(p + np.eye(len(p))[i] * step[i]) - r) / step[i] for i in range(len(p))], axis=1)
        A, g = J.T @ J, J.T @ r
        improved = False
        while lam < 1e12:
            delta = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-12), -g)
            try:
                r_new = residual(p + delta)
            except ValueError:  # a step that puts points behind the camera: damp harder
                lam *= 10.0
                continue
            c_new = float(r_new @ r_new)
            if c_new < cost:
                p, r, lam, improved = p + delta, r_new, max(lam / 10.0, 1e-12), True
                done = cost - c_new <= 1e-12 * cost
                cost = c_new
                break
            lam *= 10.0
        if not improved or done:
            break
    k, lens, R, t = unpack(p)
    T_cam_world = np.eye(4)
    T_cam_world[:3, :3], T_cam_world[:3, 3] = R, t
    camera = PinholeCamera(k, np.linalg.inv(T_cam_world))
    return PinholeFit(camera, lens, float(np.sqrt(cost / len(X))))


def reprojection_errors_px(fit: PinholeFit, points: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Per point, the distance in pixels between where ``fit`` projects it and where it was seen."""
    return np.linalg.norm(fit.project(points) - np.asarray(pixels, dtype=np.float64), axis=1)


def plane_errors(fit: PinholeFit, points: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Per point, the distance (world units) between the point and where the ray through
    its seen pixel meets the horizontal plane through it: how far off a grasp located
    from that pixel at that height would be."""
    X = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    return np.linalg.norm(fit.on_plane(pixels, X[:, 2]) - X, axis=1)
