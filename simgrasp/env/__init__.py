"""Gymnasium envs over the backend contract. Registration is cheap: the env module (and
the backend it builds) is only imported when an env is made."""

from __future__ import annotations

ENTRY_POINTS = {
    "simgrasp/TopDownGrasp-v0": "simgrasp.env.topdown:TopDownGraspEnv",  # one grasp per episode
    "simgrasp/Clearing-v0": "simgrasp.env.clearing:ClearingEnv",  # grasps until the table is clear
}
ENV_IDS = tuple(ENTRY_POINTS)


def register_envs() -> None:
    """Register every env of :data:`ENTRY_POINTS` (idempotent)."""
    # Imported here: importing Gymnasium fires simgrasp's registration hook, which calls
    # this function, so it must exist before Gymnasium loads (no circular import).
    import gymnasium

    for env_id, entry in ENTRY_POINTS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry)


register_envs()
