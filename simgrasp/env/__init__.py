"""Gymnasium envs over the backend contract. Registration is cheap: the env module (and
the backend it builds) is only imported when an env is made."""

from __future__ import annotations

import gymnasium

ENV_IDS = ("simgrasp/TopDownGrasp-v0",)


def register_envs() -> None:
    """Register ``simgrasp/TopDownGrasp-v0`` (idempotent)."""
    if ENV_IDS[0] not in gymnasium.registry:
        gymnasium.register(id=ENV_IDS[0], entry_point="simgrasp.env.topdown:TopDownGraspEnv")


register_envs()
