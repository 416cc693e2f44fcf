"""The policy contract: an observation in, an image grasp out.

A policy sees only what a camera gives (:class:`~simgrasp.backends.base.Observation`):
the colour image, the depth image when the cell has one, and the camera model. It never
reads simulator state. A policy says what it cannot do without in ``reads``: some of
:data:`~simgrasp.backends.base.STREAMS` (``color``, ``depth``, ``pinhole``), a set or a
mapping from each to why; a run whose backend's camera does not give them is refused
before anything moves (:func:`unserved`). Randomness comes from the ``rng`` the caller passes for each trial
(seeded from the trial's seed), so a policy holds no hidden random state and the same
trial gives the same grasp in any process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

import numpy as np

from simgrasp.backends.base import STREAMS, Observation
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


def policy_reads(policy: Any) -> dict[str, str] | None:
    """What ``policy`` cannot do without, stream -> why ("" when it does not say why),
    from its ``reads`` (a set or a mapping; an attribute, a property or a method); None
    when it declares nothing. ValueError for a stream that is not one of :data:`STREAMS`."""
    reads = getattr(policy, "reads", None)
    if callable(reads):
        reads = reads()
    if reads is None:
        return None
    out = dict(reads) if isinstance(reads, Mapping) else {str(s): "" for s in reads}
    unknown = sorted(set(out) - set(STREAMS))
    if unknown:
        raise ValueError(f"policy reads unknown stream(s) {unknown}; expected some of {', '.join(STREAMS)}")
    return out


def unserved(label: str, policy: Any, gives: frozenset[str] | None, backend: str) -> str | None:
    """One line when ``policy`` (named ``label``) reads a stream the camera of ``backend``
    does not give (``gives``: its ``camera_streams``; None: it does not say, nothing is
    refused); None when the camera serves it. A ``reads`` naming an unknown stream is
    refused too."""
    try:
        reads = policy_reads(policy)
    except ValueError as e:
        return f"policy {label!r}: {e}"
    if gives is None or reads is None or set(reads) <= gives:
        return None
    shown = ", ".join(f"{s} ({reads[s]})" if reads[s] else s for s in STREAMS if s in reads)
    missing = ", ".join(s for s in STREAMS if s in reads and s not in gives)
    given = ", ".join(s for s in STREAMS if s in gives) or "nothing"
    return f"policy {label!r} reads {shown}; the camera of backend {backend!r} gives {given} (missing: {missing})"

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
