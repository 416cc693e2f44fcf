"""Perturbed physics and calibration: a spec of what the simulator guesses, and its draws.

A spec (the backend option ``perturb``, or a suite's ``[perturb]`` table) names how far each
guessed value may be off::

    perturb = {friction = [0.5, 1.5], mass = [0.5, 2.0], jaw_force = [0.5, 1.0],
               grasp_xy_mm = 2, grasp_yaw_deg = 2, camera_xy_mm = 2, draws = 4}

- ``friction``, ``mass``, ``jaw_force``: factors on the plates' friction, every object's
  mass (and inertia: the density is off, not the shape) and the jaw's closing force, drawn
  log-uniform in ``[low, high]`` (0 < low <= high);
- ``grasp_xy_mm``, ``grasp_yaw_deg``: the arm's execution error, Gaussian (standard
  deviation per axis; the yaw in degrees);
- ``camera_xy_mm``: a calibration off by a Gaussian offset of the camera in the table
  plane: the policy decides from the image, and the hand goes where the wrong calibration
  sends it (every world point the camera model gives is shifted by the same offset);
- ``draws``: how many draws the ``robust`` protocol runs on each scene beside the nominal.

Draw 0 is the nominal draw (every factor 1, every offset 0): a backend applies nothing, so
its trial is bit for bit the unperturbed one. Draw ``k >= 1`` of the scene of ``seed`` comes
from ``default_rng([seed, PERTURB_KEY, k])`` alone, each parameter from its own stream, so
it is the same for every policy on that seed (comparisons stay paired), adding a parameter
to a spec leaves the others' draws unchanged, and a row's recorded draw
(:meth:`Draw.to_dict`) rebuilds it exactly (:meth:`Draw.from_dict`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

import numpy as np

from simgrasp.geometry import WorldGrasp

PERTURB_KEY = 0x9E27B  # seed key of the perturbation draws
FACTORS = ("friction", "mass", "jaw_force")  # log-uniform factors, [low, high]
NOISES = ("grasp_xy_mm", "grasp_yaw_deg", "camera_xy_mm")  # Gaussian standard deviations
DEFAULT_DRAWS = 4
MAX_DRAWS = 1000
STREAM = {name: i for i, name in enumerate(FACTORS + NOISES)}  # each parameter's own stream


class PerturbError(ValueError):
    """A perturbation spec that cannot be used; the message names the field."""


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PerturbError(f"perturb.{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise PerturbError(f"perturb.{where} must be finite, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PerturbSpec:
    """A checked spec: ``factors`` name -> (low, high); ``noises`` name -> standard deviation
    (mm or degrees); parameters left out are not perturbed."""

    factors: tuple[tuple[str, tuple[float, float]], ...] = ()
    noises: tuple[tuple[str, float], ...] = ()
    draws: int = DEFAULT_DRAWS

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | "PerturbSpec") -> "PerturbSpec":
        """A spec from its table; :class:`PerturbError` naming the field for an unknown key,
        a range that is not ``[low, high]`` with ``0 < low <= high``, a negative or non-finite
        deviation, or a bad ``draws``."""
        if isinstance(spec, PerturbSpec):
            return spec
        if not isinstance(spec, Mapping):
            raise PerturbError(f"perturb must be a table of {', '.join(FACTORS + NOISES)}, draws; got {spec!r}")
        unknown = sorted(set(spec) - {*FACTORS, *NOISES, "draws"})
        if unknown:
            raise PerturbError(f"perturb has unknown key(s) {', '.join(map(str, unknown))}; known: "
                               f"{', '.join(FACTORS + NOISES)}, draws")
        factors, noises = [], []
        for name in FACTORS:
            if name not in spec:
                continue
            value = spec[name]
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise PerturbError(f"perturb.{name} must be a range [low, high] of factors, got {value!r}")
            lo, hi = (_number(v, name) for v in value)
            if not 0 < lo <= hi:
                raise PerturbError(f"perturb.{name} must be [low, high] with 0 < low <= high, got {list(value)!r}")
            factors.append((name, (lo, hi)))
        for name in NOISES:
            if name in spec:
                sigma = _number(spec[name], name)
                if sigma < 0:
                    raise PerturbError(f"perturb.{name} is a standard deviation and must be >= 0, got {sigma!r}")
                noises.append((name, sigma))
        draws = spec.get("draws", DEFAULT_DRAWS)
        if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
            raise PerturbError(f"perturb.draws must be an integer in [1, {MAX_DRAWS}], got {draws!r}")
        return cls(tuple(factors), tuple(noises), int(draws))

    def to_dict(self) -> dict[str, Any]:
        return {**{k: list(v) for k, v in self.factors}, **dict(self.noises), "draws": self.draws}

    @property
    def parameters(self) -> tuple[str, ...]:
        """The perturbed parameters, in the spec's order (factors, then noises)."""
        return tuple(k for k, _ in self.factors) + tuple(k for k, _ in self.noises)

    def draw(self, seed: int, k: int) -> "Draw":
        """Draw ``k`` of the scene of ``seed``: the nominal draw for ``k == 0``."""
        if k == 0:
            return Draw()
        values: dict[str, float] = {}
        for name, (lo, hi) in self.factors:
            u = _stream(seed, k, name).random()
            values[name] = float(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))))
        for name, sigma in self.noises:
            r = _stream(seed, k, name)
            if name == "grasp_yaw_deg":
                values["grasp_yaw_deg"] = float(sigma * r.standard_normal())
            else:
                dx, dy = (float(sigma * v) for v in r.standard_normal(2))
                prefix = name.removesuffix("_xy_mm")
                values[f"{prefix}_dx_mm"], values[f"{prefix}_dy_mm"] = dx, dy
        return Draw(index=int(k), **values)


def _stream(seed: int, k: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), PERTURB_KEY, int(k), STREAM[name]])


@dataclass(frozen=True)
class Draw:
    """One draw: factors (1 = nominal) and offsets (0 = nominal), millimetres and degrees."""

    index: int = 0
    friction: float = 1.0
    mass: float = 1.0
    jaw_force: float = 1.0
    grasp_dx_mm: float = 0.0
    grasp_dy_mm: float = 0.0
    grasp_yaw_deg: float = 0.0
    camera_dx_mm: float = 0.0
    camera_dy_mm: float = 0.0

    @property
    def nominal(self) -> bool:
        """Whether the draw changes nothing (a backend then applies nothing)."""
        return all(getattr(self, f.name) == f.default for f in fields(self) if f.name != "index")

    def to_dict(self) -> dict[str, float]:
        return {k: (int(v) if k == "index" else float(v)) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Draw":
        """The draw a row recorded; :class:`PerturbError` for a field it does not have."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise PerturbError(f"a recorded draw has unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**{k: (int(v) if k == "index" else float(v)) for k, v in d.items()})

    def moved(self, grasp: WorldGrasp) -> WorldGrasp:
        """Where the hand goes for ``grasp`` under this draw: shifted by the calibration's and
        the arm's offsets, turned by the arm's yaw error (folded into [-pi/2, pi/2))."""
        if self.nominal:
            return grasp
        dx = (self.grasp_dx_mm + self.camera_dx_mm) / 1000.0
        dy = (self.grasp_dy_mm + self.camera_dy_mm) / 1000.0
        yaw = grasp.yaw_rad + math.radians(self.grasp_yaw_deg)
        yaw = (yaw + math.pi / 2) % math.pi - math.pi / 2
        return WorldGrasp(grasp.x_m + dx, grasp.y_m + dy, grasp.z_m, yaw, grasp.opening_m, grasp.jaw_m)


def parameter_values(draw: Mapping[str, Any], name: str) -> float:
    """A parameter's size in a recorded draw, as the sensitivity regresses on it: the log of a
    factor, the length of an offset (mm) or the size of the yaw error (degrees)."""
    if name in FACTORS:
        return math.log(float(draw.get(name, 1.0)))
    if name == "grasp_yaw_deg":
        return abs(float(draw.get(name, 0.0)))
    prefix = name.removesuffix("_xy_mm")
    return math.hypot(float(draw.get(f"{prefix}_dx_mm", 0.0)), float(draw.get(f"{prefix}_dy_mm", 0.0)))
