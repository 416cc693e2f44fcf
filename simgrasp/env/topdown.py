"""``simgrasp/TopDownGrasp-v0``: one top-down grasp per episode, over any backend.

The env is a thin shell over the backend contract: ``reset`` shows a scene, ``step`` turns
the image grasp into a world grasp with the observation's camera and executes it. It
builds its backend by name and never knows which one runs.

Observation: ``rgb`` uint8 (H, W, 3) and ``depth`` float32 (H, W) in metres. Action: the
image grasp ``[x, y, theta_deg, w, h]`` (pixels, degrees; see simgrasp.geometry.rect), or,
with ``normalized_actions=True``, the same five numbers mapped affinely onto [-1, 1]
(x: 0..W-1, y: 0..H-1, theta: -90..90 deg, w and h: 0..max(H, W) px), the range RL
libraries expect."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from simgrasp.backends import make_backend
from simgrasp.backends.base import Observation, Outcome
from simgrasp.geometry import GraspRect, check_grasp, grasp_array

MAX_DEPTH_M = 100.0  # bound of the depth space; rendered depths never reach it


class TopDownGraspEnv(gym.Env):
    """One trial per episode: reward 1.0 when the grasp lifts, carries and places the
    object, else 0.0; every step terminates the episode."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

    def __init__(
        self, backend: str = "sim", render_mode: str | None = None, normalized_actions: bool = False, **backend_kwargs: Any
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.backend = make_backend(backend, **backend_kwargs)
        # The image size is the backend's business; it says so without showing a scene.
        h, w = self.backend.image_shape
        self.observation_space = spaces.Dict(
            {
                "rgb": spaces.Box(0, 255, (h, w, 3), np.uint8),
                "depth": spaces.Box(0.0, MAX_DEPTH_M, (h, w), np.float32),
            }
        )
        side = float(max(h, w))
        # Pixel bounds of the action; w and h start at 1 px so sampled actions are valid.
        self._px_low = np.array([0.0, 0.0, -90.0, 0.0, 0.0])
        self._px_high = np.array([w - 1, h - 1, 90.0, side, side])
        self.normalized_actions = normalized_actions
        if normalized_actions:
            self.action_space = spaces.Box(-1.0, 1.0, (5,), np.float32)
        else:
            low = self._px_low + [0, 0, 0, 1, 1]
            self.action_space = spaces.Box(low.astype(np.float32), self._px_high.astype(np.float32), dtype=np.float32)
        self._obs: Observation | None = None
        self._done = True
        self.last_outcome: Outcome | None = None

    def _to_space(self, obs: Observation) -> dict[str, np.ndarray]:
        depth = obs.depth if obs.depth is not None else np.zeros(obs.rgb.shape[:2], np.float32)
        # Fresh arrays every call: callers keep observations across steps.
        return {"rgb": obs.rgb.copy(), "depth": np.clip(depth, 0.0, MAX_DEPTH_M).astype(np.float32)}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        backend_seed = int(self.np_random.integers(0, 2**31 - 1))  # drawn only from np_random
        self._obs, info = self.backend.reset(backend_seed, options)
        self._done = False
        return self._to_space(self._obs), dict(info)

    @property
    def observation(self) -> Observation:
        """The last observation as the backend gave it (rgb, depth and the camera model):
        what a policy's ``act`` takes."""
        if self._obs is None:
            raise RuntimeError("call reset() first: there is no observation yet")
        return self._obs

    def to_pixels(self, action: np.ndarray) -> np.ndarray:
        """A normalised action in pixels and degrees (identity for pixel actions)."""
        if not self.normalized_actions:
            return action
        return self._px_low + (action + 1.0) * 0.5 * (self._px_high - self._px_low)

    def check_action(self, action: Any) -> GraspRect:
        """The action as a GraspRect, or ValueError (:class:`~simgrasp.geometry.InvalidGrasp`)
        naming what was expected and what came: five real numbers (no bools, complex numbers or
        strings) inside the action space, mapped to a grasp that :func:`simgrasp.geometry.check_grasp` accepts."""
        raw = grasp_array(action)
        assert self._obs is not None
        h, w = self._obs.rgb.shape[:2]
        grasp = check_grasp(self.to_pixels(raw), w, h)
        low, high = self.action_space.low.astype(np.float64), self.action_space.high.astype(np.float64)
        if np.any(raw < low) or np.any(raw > high):
            raise ValueError(f"action must lie in the action space, low {low.tolist()} high {high.tolist()}, got {raw.tolist()}")
        return grasp

    def execute_action(self, action: Any, over: str) -> tuple[Outcome, dict[str, Any]]:
        """Check ``action``, execute it in the current scene and return the outcome with the
        step's info (outcome, world grasp, camera); ``over`` says why no step is allowed."""
        if self._obs is None or self._done:
            raise RuntimeError(f"call reset() before step(): {over}")
        rect = self.check_action(action)
        camera = self._obs.camera
        grasp = camera.image_to_world(rect, self._obs.depth)
        outcome = self.backend.execute(grasp)
        self.last_outcome = outcome
        record = outcome.to_dict()
        # Wall-clock timings differ run to run; info stays a function of seed and action
        # (the full outcome, timings included, is ``last_outcome``).
        record.pop("timings_s", None)
        return outcome, {"outcome": record, "world_grasp": grasp.to_dict(), "camera": camera.to_dict()}

    def step(self, action: Any):
        outcome, info = self.execute_action(action, "each episode is one grasp")
        self._done = True
        return self._to_space(self._obs), 1.0 if outcome.success else 0.0, True, False, info

    def render(self) -> np.ndarray | None:
        if self.render_mode == "rgb_array" and self._obs is not None:
            return self._obs.rgb.copy()
        return None

    def close(self) -> None:
        self.backend.close()
        super().close()
