"""Gymnasium envs over the backend contract. Registration is cheap: the env module (and
the backend it builds) is only imported when an env is made."""

from __future__ import annotations

import gymnasium

ENTRY_POINTS = {
    "simgrasp/TopDownGrasp-v0": "simgrasp.env.topdown:TopDownGraspEnv",  # one grasp per episode
    "simgrasp/Clearing-v0": "simgrasp.env.clearing:ClearingEnv",  # grasps until the table is clear
}
ENV_IDS = tuple(ENTRY_POINTS)


def register_envs() -> None:
    """Register every env of :data:`ENTRY_POINTS` (idempotent)."""
    for env_id, entry in ENTRY_POINTS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry)


register_envs()
