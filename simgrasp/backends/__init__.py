"""The backend contract and its registry.

Backends register lazily: naming ``sim`` imports PyBullet, naming ``fanuc`` imports the
robot client, and nothing else does, so the contract stays free of both."""

from __future__ import annotations

import importlib
from typing import Any, Callable

from simgrasp.backends.base import BACKENDS, Backend, Observation, Outcome, make_backend


def _lazy(module: str, attr: str) -> Callable[..., Backend]:
    def factory(**kwargs: Any) -> Backend:
        return getattr(importlib.import_module(module), attr)(**kwargs)

    factory.__doc__ = f"{module}.{attr}"
    return factory


BACKENDS.register("sim")(_lazy("simgrasp.sim.backend", "SimBackend"))
BACKENDS.register("fanuc")(_lazy("simgrasp.robots.backend", "FanucBackend"))

__all__ = ["BACKENDS", "Backend", "Observation", "Outcome", "make_backend"]
