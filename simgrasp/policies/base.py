"""The policy contract: an observation in, an image grasp out.

A policy sees only what a camera gives (:class:`~simgrasp.backends.base.Observation`):
the colour image, the depth image when the cell has one, and the camera model. It never
reads simulator state. Randomness comes from the ``rng`` the caller passes for each trial
(seeded from the trial's seed), so a policy holds no hidden random state and the same
trial gives the same grasp in any process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from simgrasp.backends.base import Observation
from simgrasp.geometry import GraspRect, InvalidGrasp, check_grasp
from simgrasp.registry import Registry


@dataclass(frozen=True)
class Decision:
    """What a policy chose: ``grasp`` in the observation's image pixels (see
    :mod:`simgrasp.geometry.rect`), optionally the scored ``candidates`` it chose from
    (best first, as ``(GraspRect, score)``) and free-form ``info`` for the trial log."""

    grasp: GraspRect
    candidates: tuple[tuple[GraspRect, float], ...] = ()
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Policy(Protocol):
    """Chooses one top-down grasp per observation."""

    def act(self, observation: Observation, rng: np.random.Generator) -> Decision:
        """Return the grasp to execute in ``observation``; draw any randomness from ``rng``."""
        ...


PolicyFactory = Callable[..., Policy]

#: Registered policy factories, called with the card's ``options`` (and ``checkpoint=``
#: when the card names one).
POLICIES: Registry[PolicyFactory] = Registry("policy")


def register_policy(name: str) -> Callable[[PolicyFactory], PolicyFactory]:
    """Decorator adding a policy class or factory to :data:`POLICIES` under ``name``."""
    return POLICIES.register(name)


def validate_decision(decision: Any, width: int, height: int) -> Decision:
    """Check that ``decision`` is a :class:`Decision` whose grasp is executable in a
    ``width`` x ``height`` image (pixels; :func:`simgrasp.geometry.check_grasp`).
    A bare :class:`GraspRect` is accepted and wrapped. Raises :class:`InvalidGrasp`."""
    if isinstance(decision, GraspRect):
        decision = Decision(decision)
    if not isinstance(decision, Decision):
        raise InvalidGrasp(f"expected a Decision or GraspRect from the policy, got {type(decision).__name__}")
    if not isinstance(decision.grasp, GraspRect):
        raise InvalidGrasp(f"expected the decision's grasp to be a GraspRect, got {type(decision.grasp).__name__}")
    check_grasp(decision.grasp, width, height)
    return decision


def policy_rng(seed: int) -> np.random.Generator:
    """The generator a policy gets for the trial with ``seed``. Its stream is kept apart
    from a backend that seeds ``default_rng(seed)`` itself, so a random policy's draws
    are not correlated with the scene's."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(0x9011C7,)))
