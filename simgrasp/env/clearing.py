"""``simgrasp/Clearing-v0``: the clearing protocol as an env, one grasp per step.

An episode is one scene of several objects (``scene="pile:5"`` by default on the sim
backend). Each step executes one image grasp (the action of ``TopDownGrasp-v0``); the
object a successful grasp took is put away, objects pushed out of view are removed, and
the next observation shows what is left. Reward 1.0 per successful grasp. The episode
terminates when the table is clear and is truncated after ``max_failures`` failed grasps
in a row or ``attempts_per_object`` x the objects at the start (the rules below, which
the episodes of simgrasp.evaluation.clearing follow too).
The backend must offer ``keep_going()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simgrasp.env.topdown import TopDownGraspEnv


@dataclass(frozen=True)
class ClearingConfig:
    """When an episode stops."""

    max_failures: int = 2  # consecutive failed grasps that end the episode (VGN: 2)
    attempts_per_object: float = 2.0  # at most this many grasps per object at the start


def max_attempts(n_objects: int, cfg: ClearingConfig) -> int:
    """The grasp budget of an episode that starts with ``n_objects`` objects."""
    return max(1, int(round(cfg.attempts_per_object * n_objects)))


@dataclass
class EpisodeState:
    """Bookkeeping of one clearing episode: objects at the start, grasps, failures in a row."""

    n_objects: int
    attempts: int = 0
    cleared: int = 0
    failures_in_row: int = 0
    objects_left: int = 0

    def record(self, success: bool, objects_left: int) -> None:
        """Count one grasp and the objects left after it."""
        self.attempts += 1
        self.cleared += int(success)
        self.failures_in_row = 0 if success else self.failures_in_row + 1
        self.objects_left = objects_left

    def why_done(self, cfg: ClearingConfig) -> str:
        """Why the episode is over ("" while it goes on): clear, failures or attempts."""
        if self.objects_left == 0:
            return "clear"
        if self.failures_in_row >= cfg.max_failures:
            return "failures"
        if self.attempts >= max_attempts(self.n_objects, cfg):
            return "attempts"
        return ""



class ClearingEnv(TopDownGraspEnv):
    """Grasps on one scene until it is clear, or the failures or attempts run out."""

    def __init__(self, backend: str = "sim", render_mode: str | None = None, normalized_actions: bool = False,
                 max_failures: int = 2, attempts_per_object: float = 2.0, **backend_kwargs: Any) -> None:
        if backend == "sim":
            backend_kwargs.setdefault("scene", "pile:5")
        super().__init__(backend, render_mode, normalized_actions, **backend_kwargs)
        if not callable(getattr(self.backend, "keep_going", None)):
            self.backend.close()
            raise ValueError(f"Clearing-v0 needs a backend with keep_going(); {type(self.backend).__name__} has none")
        self.clearing = ClearingConfig(max_failures, attempts_per_object)
        self._state = EpisodeState(0)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)
        n = len(info.get("objects", [info.get("object")]))
        self._state = EpisodeState(n, objects_left=n)
        return obs, info

    def step(self, action: Any):
        outcome, info = self.execute_action(action, "the episode is over")
        self._obs, after = self.backend.keep_going()  # type: ignore[attr-defined]
        self._state.record(outcome.success, len(after["objects"]))
        why = self._state.why_done(self.clearing)
        self._done = bool(why)
        info.update(objects_left=self._state.objects_left, cleared=self._state.cleared, removed=after["removed"], done=why)
        reward = 1.0 if outcome.success else 0.0
        return self._to_space(self._obs), reward, why == "clear", why in ("failures", "attempts"), info
