"""Object size modes (``ObjectConfig.size``): how big an object is in the scene.

- ``fit`` (the default): scaled to suit the 10 cm gripper (longest side into
  ``longest_side_m``, middle side at most ``middle_side_max_m``), as every object alone.
- ``real``: the file's own units (YCB meshes are in metres, pybullet_data's objects are
  modelled at their size); sets whose files have no real size (``random_urdfs``, all about
  10 cm) get a realistic one, the longest side log-uniform in ``SYNTHETIC_LONGEST_M``.
- ``A-Bcm`` (or ``A-Bm``, ``A-Bmm``): the longest side uniform in [A, B].

Drawn sizes come from a hash of the object's file path, so an object has the same size in
every scene, process and run. Many objects of ``real`` and of wide ranges no longer fit
the opening: they are grasped by a part (rim, handle, edge) or not at all.
"""

from __future__ import annotations

import hashlib

import numpy as np

from simgrasp.sim.config import ObjectConfig, parse_size_range

# Longest side (m) of objects of sets without a real size, in ``real`` mode: kitchen and
# household objects from an egg to a cereal box (log-uniform), all fitting the 27 cm view.
SYNTHETIC_LONGEST_M = {"random_urdfs/": (0.05, 0.20)}


def fit_scale(extents_m: np.ndarray, cfg: ObjectConfig) -> float:
    """Scale factor for an object whose axis-aligned sides are ``extents_m`` (metres, at
    scale 1): the longest side into ``cfg.longest_side_m``, then the middle side down to
    ``cfg.middle_side_max_m`` if it is still too wide for the opening."""
    e = np.sort(np.asarray(extents_m, float))
    lo, hi = cfg.longest_side_m
    s = float(np.clip(e[2], lo, hi) / e[2])
    if e[1] * s > cfg.middle_side_max_m:
        s = cfg.middle_side_max_m / e[1]
    return s


def check_size(cfg: ObjectConfig) -> None:
    """ValueError unless ``cfg.size`` is fit, real or a range such as 8-25cm."""
    if cfg.size not in ("fit", "real") and parse_size_range(cfg.size) is None:
        raise ValueError(f"object size must be fit, real or a range such as 8-25cm, got {cfg.size!r}")


def _unit(path: str) -> float:
    """A number in [0, 1) fixed by ``path``."""
    return int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "little") / 2.0**64


def object_scale(extents_m: np.ndarray, cfg: ObjectConfig, name: str = "", path: str = "") -> float:
    """Scale factor of the object ``name`` (file ``path``) whose sides at scale 1 are
    ``extents_m`` (metres), by the size mode ``cfg.size``."""
    longest = float(np.max(extents_m))
    if cfg.size == "fit":
        return fit_scale(extents_m, cfg)
    if cfg.size == "real":
        span = next((r for prefix, r in SYNTHETIC_LONGEST_M.items() if name.startswith(prefix)), None)
        if span is None:
            return 1.0
        target = float(np.exp(np.log(span[0]) + _unit(path) * (np.log(span[1]) - np.log(span[0]))))
        return target / longest
    lo, hi = parse_size_range(cfg.size) or (0.0, 0.0)
    return (lo + _unit(path) * (hi - lo)) / longest
