"""Policies: an observation in, an image grasp out. Importing this package registers the
built-in ones (``scorer``, ``primary``, ``heuristic``, ``random``); the network's model
code loads only when a network policy is built."""

from simgrasp.policies import heuristic, network, oracle, random_grasp  # noqa: F401  (registration)
from simgrasp.policies.base import (
    POLICIES,
    Decision,
    InvalidGrasp,
    Policy,
    policy_rng,
    register_policy,
    validate_decision,
)
from simgrasp.policies.cards import (
    CARDS_DIR,
    REPO_ROOT,
    PolicyError,
    PolicySpec,
    build_policy,
    known_policies,
    load_card,
    resolve_policy,
)


def make_policy(ref: str) -> Policy:
    """A ready policy from a ``--policy`` value: a registered name, a card, a card file
    or ``package.module:attr``."""
    return build_policy(resolve_policy(ref))


__all__ = [
    "CARDS_DIR",
    "POLICIES",
    "REPO_ROOT",
    "Decision",
    "InvalidGrasp",
    "Policy",
    "PolicyError",
    "PolicySpec",
    "build_policy",
    "known_policies",
    "load_card",
    "make_policy",
    "policy_rng",
    "register_policy",
    "resolve_policy",
    "validate_decision",
]
