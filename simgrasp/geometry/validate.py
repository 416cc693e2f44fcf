"""The one check of an image grasp before it is executed: what the env accepts as an action
and what a policy may return, and the filter the detector ranks with.

A grasp is ``[x, y, theta_deg, w, h]`` in image pixels (see :mod:`simgrasp.geometry.rect`).
It is executable when its five values are real and finite, its centre lies on a pixel of the
``width`` x ``height`` image (x in [0, width - 1], y in [0, height - 1]) and its opening ``w``
and jaw size ``h`` are positive (and at most ``max_size_px`` when a bound is given)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simgrasp.geometry.rect import GraspRect

GRASP_FIELDS = "(x, y, theta_deg, w, h)"


class InvalidGrasp(ValueError):
    """A grasp that cannot be executed: the message says what was expected and what came."""


def grasp_array(values: Any) -> np.ndarray:
    """``values`` as a (5,) float64 array of finite real numbers, else :class:`InvalidGrasp`.
    Booleans, complex numbers, strings and other objects are refused, not converted."""
    if isinstance(values, GraspRect):
        values = values.as_array()
    try:
        a = np.asarray(values)
    except (TypeError, ValueError) as e:  # ragged or otherwise not an array
        raise InvalidGrasp(f"grasp must be 5 real numbers {GRASP_FIELDS}, got {type(values).__name__}: {e}") from None
    if a.dtype.kind not in "iuf":
        raise InvalidGrasp(f"grasp must be 5 real numbers {GRASP_FIELDS}, got dtype {a.dtype} ({values!r:.80})")
    if a.shape != (5,):
        raise InvalidGrasp(f"grasp must have shape (5,) = {GRASP_FIELDS}, got shape {a.shape}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise InvalidGrasp(f"grasp must be finite, got non-finite values {a.tolist()}")
    return a


def grasps_in_image(grasps: np.ndarray, width: int, height: int, max_size_px: float | None = None) -> np.ndarray:
    """(N,) mask of the (N, 5) grasps that are executable in a ``width`` x ``height`` image:
    finite, centre on a pixel of the image, ``0 < w, h`` (``<= max_size_px`` if given)."""
    g = np.asarray(grasps, dtype=np.float64).reshape(-1, 5)
    with np.errstate(invalid="ignore"):  # NaN compares False: refused below as not finite
        ok = np.isfinite(g).all(1)
        ok &= (g[:, 0] >= 0) & (g[:, 0] <= width - 1) & (g[:, 1] >= 0) & (g[:, 1] <= height - 1)
        ok &= (g[:, 3] > 0) & (g[:, 4] > 0)
        if max_size_px is not None:
            ok &= (g[:, 3] <= max_size_px) & (g[:, 4] <= max_size_px)
    return ok


def check_grasp(values: Any, width: int, height: int, max_size_px: float | None = None) -> GraspRect:
    """``values`` (five numbers or a GraspRect, pixels) as a GraspRect executable in a
    ``width`` x ``height`` image (see the module docstring), else :class:`InvalidGrasp`
    naming the first rule broken."""
    a = grasp_array(values)
    if not grasps_in_image(a, width, height, max_size_px)[0]:
        x, y, _, w, h = a
        if not (0 <= x <= width - 1 and 0 <= y <= height - 1):
            raise InvalidGrasp(
                f"grasp centre ({x:.6g}, {y:.6g}) px is outside the {width}x{height} image: expected it in the image, "
                f"x in [0, {width - 1}] and y in [0, {height - 1}]"
            )
        if not (w > 0 and h > 0):
            raise InvalidGrasp(f"grasp w and h must be positive pixels, got w={w:.6g}, h={h:.6g}")
        raise InvalidGrasp(f"grasp w and h must be at most {max_size_px:.6g} px, got w={w:.6g}, h={h:.6g}")
    return GraspRect.from_array(a)
