"""Suites: ``evaluations/NAME.toml`` names what to run and the bounds its results must hold.

::

    name = "smoke"
    policies = ["heuristic", "random"]
    backend = "sim"
    objects = "random_urdfs:900-999"
    trials = 20
    seed = 0
    protocol = "trial"           # or "clear": episodes until the scene is clear (trials = episodes),
                                 # or "robust": each scene nominal and under perturbed draws
    [backend_options]            # keyword arguments of the backend
    [perturb]                    # the backend option perturb (simgrasp.backends.perturb)
    friction = [0.5, 1.5]
    draws = 4
    [[bounds]]                   # a policy's success rate must reach a minimum
    policy = "heuristic"
    min_success_rate = 0.6
    [[bounds]]                   # A must beat B on the same seeds
    better = "heuristic"
    worse = "random"
    min_difference = 0.2         # paired difference p_A - p_B, default 0

Bounds compare point estimates (the rate, the paired difference) so a suite states the
level it expects; set them below the measured figures by a margin that the trial count's
interval (in ``results.json``) justifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgrasp.config import load_toml_checked
from simgrasp.backends.perturb import PerturbError, PerturbSpec
from simgrasp.protocols import PROTOCOLS

_SUITE_KEYS = {
    "name",
    "description",
    "policies",
    "backend",
    "objects",
    "trials",
    "seed",
    "workers",
    "backend_options",
    "bounds",
    "protocol",
    "perturb",
}
_BOUND_KEYS = {"policy", "min_success_rate", "better", "worse", "min_difference"}


class SuiteError(ValueError):
    """A suite file that does not say what it should; one line for the user."""


@dataclass(frozen=True)
class Bound:
    """Either ``policy`` + ``min_success_rate`` (in [0, 1]) or ``better`` + ``worse`` with
    ``min_difference``: the paired difference of success rates must exceed it."""

    policy: str | None = None
    min_success_rate: float | None = None
    better: str | None = None
    worse: str | None = None
    min_difference: float = 0.0

    def describe(self) -> str:
        if self.policy is not None:
            return f"{self.policy} success rate >= {100 * self.min_success_rate:.1f}%"
        return f"{self.better} beats {self.worse} by more than {100 * self.min_difference:+.1f} pts"


@dataclass(frozen=True)
class Suite:
    """A suite file's content; ``path`` is where it was read from."""

    name: str
    policies: tuple[str, ...]
    backend: str = "sim"
    objects: str | None = None
    trials: int = 20
    seed: int = 0
    workers: int | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    bounds: tuple[Bound, ...] = ()
    description: str = ""
    path: str = ""
    protocol: str = "trial"  # trial (one grasp per scene) or clear (grasps until the scene is clear)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a table"}


def _get(d: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    """``d[key]`` (``default`` when absent) checked to be ``kind``; an int is a float too,
    a bool is neither. SuiteError names the field, the expected type and what came."""
    if key not in d:
        return default
    v = d[key]
    ok = isinstance(v, kind) and not isinstance(v, bool)
    if kind is float and isinstance(v, int) and not isinstance(v, bool):
        ok, v = True, float(v)
    if not ok:
        raise SuiteError(f"{where}: '{key}' expects {_TYPE_NAMES[kind]}, got {type(v).__name__} ({v!r})")
    return v


def _bound(d: Any, where: str) -> Bound:
    if not isinstance(d, dict):
        raise SuiteError(f"{where}: expected a table ([[bounds]]), got {type(d).__name__} ({d!r})")
    unknown = set(d) - _BOUND_KEYS
    if unknown:
        raise SuiteError(f"{where}: unknown keys {sorted(unknown)}; valid keys: {sorted(_BOUND_KEYS)}")
    if "policy" in d and "min_success_rate" in d and not ({"better", "worse"} & set(d)):
        rate = _get(d, "min_success_rate", float, None, where)
        if not 0.0 <= rate <= 1.0:
            raise SuiteError(f"{where}: min_success_rate must be in [0, 1], got {rate}")
        return Bound(policy=_get(d, "policy", str, None, where), min_success_rate=rate)
    if "better" in d and "worse" in d and not ({"policy", "min_success_rate"} & set(d)):
        return Bound(
            better=_get(d, "better", str, None, where),
            worse=_get(d, "worse", str, None, where),
            min_difference=_get(d, "min_difference", float, 0.0, where),
        )
    raise SuiteError(f"{where}: expected either policy + min_success_rate or better + worse, got keys {sorted(d)}")


def load_suite(path: str | Path) -> Suite:
    """Read and check a suite file; bounds must name policies the suite runs."""
    p = Path(path)
    d = load_toml_checked(p, _SUITE_KEYS, SuiteError)
    policies = d.get("policies")
    if not isinstance(policies, list) or not policies:
        raise SuiteError(f"{p}: expected 'policies' as a non-empty list of names, got {policies!r}")
    bounds = tuple(_bound(b, f"{p} bounds[{i}]") for i, b in enumerate(_get(d, "bounds", list, [], str(p))))
    for b in bounds:
        for name in (b.policy, b.better, b.worse):
            if name is not None and name not in policies:
                raise SuiteError(f"{p}: a bound names policy {name!r}, which the suite does not run ({policies})")
    return Suite(
        name=_get(d, "name", str, p.stem, str(p)),
        policies=tuple(map(str, policies)),
        backend=_get(d, "backend", str, "sim", str(p)),
        objects=_get(d, "objects", str, None, str(p)),
        trials=_get(d, "trials", int, 20, str(p)),
        seed=_get(d, "seed", int, 0, str(p)),
        workers=_get(d, "workers", int, None, str(p)),
        backend_options=_with_perturb(dict(_get(d, "backend_options", dict, {}, str(p))), d, str(p)),
        bounds=bounds,
        description=_get(d, "description", str, "", str(p)),
        path=str(p),
        protocol=_protocol(_get(d, "protocol", str, "trial", str(p)), str(p)),
    )


def _with_perturb(options: dict[str, Any], d: dict[str, Any], where: str) -> dict[str, Any]:
    """The backend options with the suite's ``[perturb]`` table as the backend option
    ``perturb`` (checked here: a bad spec fails before any run), refused when both give one."""
    if "perturb" not in d:
        return options
    if "perturb" in options:
        raise SuiteError(f"{where}: give the perturbation once, as [perturb] or as backend_options.perturb, not both")
    try:
        spec = PerturbSpec.parse(d["perturb"])
    except PerturbError as e:
        raise SuiteError(f"{where}: {e}") from None
    return {**options, "perturb": spec.to_dict()}


def _protocol(value: str, where: str) -> str:
    if value not in PROTOCOLS:
        raise SuiteError(f"{where}: 'protocol' must be one of {', '.join(PROTOCOLS.names())}, got {value!r}")
    return value


@dataclass(frozen=True)
class BoundCheck:
    """One bound against the results: whether it holds and the figure it was held to."""

    bound: Bound
    passed: bool
    message: str


def check_bounds(bounds: tuple[Bound, ...], results: dict[str, Any]) -> list[BoundCheck]:
    """Hold each bound against ``results`` (the content of ``results.json``). A policy
    with no valid trial, or a pair with no common seed, fails its bound."""
    checks = []
    for b in bounds:
        if b.policy is not None:
            rate = results["policies"].get(b.policy, {}).get("success", {}).get("rate")
            ok = rate is not None and rate >= b.min_success_rate
            got = "no valid trials" if rate is None else f"measured {100 * rate:.1f}%"
        else:
            pair = _pair(results, b.better, b.worse)
            d = pair["difference"] if pair else None
            ok = d is not None and d > b.min_difference
            got = "no paired trials" if d is None else f"measured {100 * d:+.1f} pts over {pair['pairs']} pairs"
        checks.append(BoundCheck(b, ok, f"{'ok  ' if ok else 'FAIL'} {b.describe()}: {got}"))
    return checks


def _pair(results: dict[str, Any], a: str, b: str) -> dict[str, Any] | None:
    for p in results.get("paired", []):
        if (p["a"], p["b"]) == (a, b):
            return p
        if (p["a"], p["b"]) == (b, a):  # stored the other way round: flip the sign
            d = p["difference"]
            return {**p, "difference": None if d is None else -d}
    return None
