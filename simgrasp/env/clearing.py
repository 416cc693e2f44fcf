"""``simgrasp/Clearing-v0``: the clearing protocol as an env, one grasp per step.

An episode is one scene of several objects (``scene="pile:5"`` by default on the sim
backend). Each step executes one image grasp (the action of ``TopDownGrasp-v0``); the
object a successful grasp took is put away, objects pushed out of view are removed, and
the next observation shows what is left. Reward 1.0 per successful grasp. The episode
terminates when the table is clear and is truncated after ``max_failures`` failed grasps
in a row or ``attempts_per_object`` x the objects at the start: the rules of
:mod:`simgrasp.protocols.clear`, whose episodes this env steps through. The backend must
offer the capability :class:`~simgrasp.backends.capabilities.Clearing`."""

from __future__ import annotations

from typing import Any

from simgrasp.backends.capabilities import Clearing, MissingCapability, require
from simgrasp.env.topdown import TopDownGraspEnv
from simgrasp.protocols.clear import ClearingConfig, EpisodeState, next_scene


class ClearingEnv(TopDownGraspEnv):
    """Grasps on one scene until it is clear, or the failures or attempts run out."""

    def __init__(self, backend: str = "sim", render_mode: str | None = None, normalized_actions: bool = False,
                 max_failures: int = 2, attempts_per_object: float = 2.0, **backend_kwargs: Any) -> None:
        if backend == "sim":
            backend_kwargs.setdefault("scene", "pile:5")
        super().__init__(backend, render_mode, normalized_actions, **backend_kwargs)
        try:
            self._clearing: Clearing = require(self.backend, Clearing, "Clearing-v0")
        except MissingCapability:
            self.backend.close()
            raise
        self.clearing = ClearingConfig(max_failures, attempts_per_object)
        self._state = EpisodeState(0)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)
        self._state = EpisodeState.start(info)
        return obs, info

    def step(self, action: Any):
        outcome, info = self.execute_action(action, "the episode is over")
        self._obs, after = next_scene(self._clearing, self._state, outcome)
        why = self._state.why_done(self.clearing)
        self._done = bool(why)
        info.update(objects_left=self._state.objects_left, cleared=self._state.cleared, removed=after["removed"], done=why)
        reward = 1.0 if outcome.success else 0.0
        return self._to_space(self._obs), reward, why == "clear", why in ("failures", "attempts"), info
