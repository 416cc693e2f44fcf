"""What a backend may offer beyond the contract, each declared as a capability.

A protocol, the dataset generator or a policy that needs more than ``reset`` and
``execute`` names the capability it needs, and :func:`require` checks that the backend
offers it before anything moves: nobody asks which backend runs. A capability is a
``runtime_checkable`` Protocol, so a backend declares one by having its methods.

- :class:`Clearing`: going on in the same scene after a grasp (the clearing protocol);
- :class:`Recording`: what the dataset generator records and rebuilds (segmentation,
  perfect depth, the scene record, a lift-only trial);
- :class:`Privileged`: the one door into a simulator a privileged policy reads through
  (the oracle; see :class:`~simgrasp.backends.base.PrivilegedAccess`);
- :class:`Perturbing`: trials under perturbed physics and calibration (the robust
  protocol; :mod:`simgrasp.backends.perturb`).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from simgrasp.backends.base import Observation, Outcome, PrivilegedAccess
from simgrasp.backends.perturb import Draw
from simgrasp.geometry import WorldGrasp


@runtime_checkable
class Clearing(Protocol):
    """A backend that goes on in the scene of its last grasp (a clearing episode)."""

    def keep_going(self) -> tuple[Observation, dict[str, Any]]:
        """Continue from where the last ``execute`` left the scene: the object a successful
        grasp took is put away, objects no longer wholly in view are removed, and the rest
        is shown. ``info["objects"]`` lists the objects left (names), ``info["removed"]``
        those taken out of view, ``info["taken"]`` the one put away ("" when none)."""
        ...


@runtime_checkable
class Recording(Protocol):
    """A backend whose scenes the dataset generator records and rebuilds exactly."""

    def segmentation_mask(self) -> np.ndarray:
        """bool (H, W): the pixels of the current scene that show an object."""
        ...

    def perfect_depth(self) -> np.ndarray:
        """float32 (H, W), metres: the current scene's depth without sensor noise."""
        ...

    def scene_record(self) -> dict[str, Any]:
        """A JSON-serialisable record of the current scene that :meth:`load_scene` rebuilds."""
        ...

    def load_scene(self, record: dict[str, Any]) -> tuple[Observation, dict[str, Any]]:
        """Show the scene of a :meth:`scene_record` again, in the same state."""
        ...

    def execute(self, grasp: WorldGrasp, lift_only: bool = False) -> Outcome:
        """The trial of ``grasp`` in the current scene; ``lift_only`` stops after the lift."""
        ...


@runtime_checkable
class Privileged(Protocol):
    """A backend with a door for privileged policies (the oracle)."""

    def privileged(self) -> PrivilegedAccess:
        """The door: full trials on a copy of the scene, its true segmentation."""
        ...


@runtime_checkable
class Perturbing(Protocol):
    """A backend whose physics and calibration a draw can perturb (a simulator: a real
    cell's are what they are)."""

    def execute_perturbed(self, grasp: WorldGrasp, draw: Draw) -> Outcome:
        """The trial of ``grasp`` in the current scene under ``draw`` (the nominal draw:
        exactly :meth:`execute`'s unperturbed trial); the scene shown is unchanged."""
        ...


C = TypeVar("C")

#: What a missing capability is, said to the user (the capability's class -> words).
NEEDS = {
    Clearing: "a backend that can clear (keep_going: put away what a grasp took and go on in the same scene)",
    Recording: "a backend that records its scenes (segmentation_mask, perfect_depth, scene_record, load_scene, "
    "execute(lift_only=))",
    Privileged: "a backend with a privileged door (privileged(): trials on a copy of the scene)",
    Perturbing: "a backend whose physics and calibration can be perturbed (execute_perturbed: the sim backend; a real "
    "cell's physics are what they are)",
}


class MissingCapability(ValueError):
    """A backend lacks a capability its user needs; the message is one line."""


def offers(backend: Any, capability: type) -> bool:
    """Whether ``backend`` has every method of ``capability``, looked up now: ``isinstance``
    on a runtime-checkable Protocol caches its answer per class, and would go on saying yes
    for a class that lost a method since."""
    methods = [n for n, v in vars(capability).items() if not n.startswith("_") and callable(v)]
    return all(callable(getattr(backend, n, None)) for n in methods)


def require(backend: Any, capability: type[C], who: str) -> C:
    """``backend`` itself when it offers ``capability``, else :class:`MissingCapability`
    naming ``who`` needs it, what it is and the backend that lacks it."""
    if not offers(backend, capability):
        what = NEEDS.get(capability, f"a backend with {capability.__name__}")
        raise MissingCapability(f"{who} needs {what}; backend {type(backend).__name__} has none")
    return backend  # type: ignore[return-value]


def privileged_access(backend: Any, who: str) -> PrivilegedAccess:
    """``backend.privileged()``, or :class:`MissingCapability` naming ``who`` when the
    backend has no such door."""
    if not offers(backend, Privileged):
        raise MissingCapability(
            f"{who} is privileged (it reads the simulator) and backend {type(backend).__name__} offers no "
            "privileged access; use the sim backend"
        )
    return backend.privileged()
