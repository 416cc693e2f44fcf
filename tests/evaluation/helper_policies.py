"""Policies for tests, loaded through ``--policy helper_policies:NAME``."""

from __future__ import annotations

import numpy as np

from simgrasp.geometry import GraspRect
from simgrasp.policies import Decision
from simgrasp.policies.heuristic import HeuristicPolicy


class RaisesEvery3rd:
    """The heuristic, except that its 2nd, 5th, 8th... call raises (a policy fault)."""

    def __init__(self) -> None:
        self.inner = HeuristicPolicy()
        self.calls = 0

    def act(self, observation, rng: np.random.Generator) -> Decision:
        self.calls += 1
        if self.calls % 3 == 2:
            raise RuntimeError("detector exploded")
        return self.inner.act(observation, rng)


def nan_policy():
    """A factory whose policy returns a NaN grasp."""

    class NanPolicy:
        def act(self, observation, rng):
            return Decision(GraspRect(float("nan"), 1.0, 0.0, 10.0, 5.0))

    return NanPolicy()


class OutsidePolicy:
    """Returns a bare GraspRect centred left of the image."""

    def act(self, observation, rng):
        return GraspRect(-5.0, 10.0, 0.0, 10.0, 5.0)


class ZeroWidthPolicy:
    def act(self, observation, rng):
        return GraspRect(10.0, 10.0, 0.0, 0.0, 5.0)
